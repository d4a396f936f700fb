// libFuzzer target for what a gossip pool does with bytes off the wire before SWIM sees them
// (net/gossip_crypto): GossipSecurity::open (AES-GCM decrypt and authenticate under a fixed test
// key, or plaintext), the stream frame reader, then the gossip codec (core/gossip/messages).
//
// Input byte 0 chooses the pool's security: bit 0 encrypted, bit 1 encrypt_verify_incoming off,
// bit 2 a label as additional data, bit 3 an AES-128 key instead of AES-256. The rest is used
// three ways: as a datagram as it arrived (garbage must never authenticate), as a message a peer
// sealed (it must open to itself; one flipped byte must not open), and as a TCP stream fed to the
// frame reader in pieces. Whatever opens is decoded and must re-encode to itself. Also linked,
// without libFuzzer, into unit.gossip_net.fuzz_corpus, which replays corpus/gossip_packet.
#include "fuzz_check.h"
#include "core/gossip/messages.h"
#include "net/gossip_crypto.h"

#include <algorithm>
#include <cstdint>

using namespace conclave;
using net::GossipFrameReader;
using net::GossipSecurity;

namespace {

const QByteArray kTestKey32("conclave-fuzz-key-0123456789abcd");
const QByteArray kTestKey16("conclave-fuzz-16");

GossipSecurity securityFor(quint8 mode)
{
    GossipSecurity s;
    if (mode & 1)
        s.keyring.install((mode & 8) ? kTestKey16 : kTestKey32);
    s.verifyIncoming = !(mode & 2);
    if (mode & 4)
        s.label = "dc1";
    return s;
}

void checkDecoded(const QByteArray &plain)
{
    const std::optional<gossip::Message> m = gossip::decode(plain);
    if (!m)
        return;
    const QByteArray again = gossip::encode(*m);
    const std::optional<gossip::Message> back = gossip::decode(again);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(*back == *m);
    if (const auto *c = std::get_if<gossip::Compound>(&*m)) {
        for (const QByteArray &part : c->parts)
            checkDecoded(part);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const quint8 mode = data[0];
    const QByteArray input(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    const GossipSecurity security = securityFor(mode);
    const bool strict = security.isEncrypted() && security.verifyIncoming;

    // 1. A datagram as it arrived.
    const std::optional<QByteArray> opened = security.open(input);
    if (!security.isEncrypted())
        FUZZ_CHECK(opened && *opened == input);
    if (strict && opened)
        FUZZ_CHECK(opened->size() == input.size() - net::kGossipEncryptionOverhead);
    if (opened)
        checkDecoded(*opened);

    // 2. The input as a message an honest peer sealed.
    if (security.isEncrypted()) {
        const QByteArray wire = security.seal(input);
        FUZZ_CHECK(wire.size() == input.size() + net::kGossipEncryptionOverhead);
        const std::optional<QByteArray> back = security.open(wire);
        FUZZ_CHECK(back && *back == input);
        QByteArray tampered = wire;
        const qsizetype at = (input.isEmpty() ? 0 : quint8(input.at(0))) % wire.size();
        tampered[at] = char(tampered.at(at) ^ 0x80);
        const std::optional<QByteArray> bad = security.open(tampered);
        if (strict)
            FUZZ_CHECK(!bad.has_value());
        else
            FUZZ_CHECK(bad && *bad == tampered);  // taken as plaintext, then refused by decode
        checkDecoded(*back);
    }

    // 3. A TCP stream: fed in pieces whose sizes come from the input itself.
    GossipFrameReader reader(1 << 16);
    qsizetype pos = 0;
    while (pos < input.size() && reader.state() == GossipFrameReader::State::NeedMore) {
        const qsizetype piece = 1 + quint8(input.at(pos)) % 64;
        const qsizetype n = std::min(piece, input.size() - pos);
        reader.feed(input.constData() + pos, n);
        pos += n;
    }
    if (reader.state() == GossipFrameReader::State::Complete && pos < input.size()) {
        // Bytes after the one frame: the connection is dropped.
        FUZZ_CHECK(reader.feed(input.constData() + pos, input.size() - pos)
                   == GossipFrameReader::State::Error);
    } else if (reader.state() == GossipFrameReader::State::Complete) {
        FUZZ_CHECK(reader.payload().size() > 0 && reader.payload().size() <= (1 << 16));
        if (const std::optional<QByteArray> request = security.open(reader.payload()))
            checkDecoded(*request);
    }
    return 0;
}
