// libFuzzer target for the gossip wire codec (core/gossip/messages) and the Swim core behind it.
// Every input is decoded; whatever decodes must re-encode to bytes that decode to the same
// message (compound parts too). Then the input goes to a small Swim pool member as a UDP packet
// and as a TCP stream, which must neither crash nor break its invariants (we stay a member,
// no packet over 1400 bytes). Also linked, without libFuzzer, into unit.gossip.fuzz_corpus which
// replays tests/fuzz/corpus/gossip_message.
#include "fuzz_check.h"
#include "core/gossip/messages.h"
#include "core/gossip/swim.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace conclave::gossip;

namespace {

void checkRoundTrip(const Message &m)
{
    const QByteArray again = encode(m);
    const std::optional<Message> back = decode(again);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(*back == m);
    FUZZ_CHECK(encode(*back) == again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const std::optional<Message> m = decode(input);
    if (m) {
        checkRoundTrip(*m);
        if (const auto *c = std::get_if<Compound>(&*m)) {
            for (const QByteArray &part : c->parts) {
                if (const std::optional<Message> inner = decode(part))
                    checkRoundTrip(*inner);
            }
        }
    }

    // The core: a member of a three-member pool takes the input as a packet and as a stream.
    Swim s(Config::lan(QStringLiteral("a"), QStringLiteral("10.0.0.1:8301")), 1, 0);
    s.handlePacket(QStringLiteral("10.0.0.2:8301"),
                   encode(Alive{1, QStringLiteral("b"), QStringLiteral("10.0.0.2:8301"), {}}), 0);
    s.handlePacket(QStringLiteral("10.0.0.3:8301"),
                   encode(Alive{1, QStringLiteral("c"), QStringLiteral("10.0.0.3:8301"), {}}), 0);
    s.handlePacket(QStringLiteral("10.0.0.2:8301"), input, 10);
    const QByteArray reply = s.handleStream(QStringLiteral("10.0.0.2:8301"), input, 20);
    if (!reply.isEmpty())
        FUZZ_CHECK(decode(reply).has_value());
    for (qint64 t = 100; t <= 30000; t = std::max(t + 1, s.nextDeadline()))
        s.tick(t);
    FUZZ_CHECK(s.self().state == NodeState::Alive);
    const Outbox out = s.takeOutbox();
    for (const Packet &p : out.packets) {
        FUZZ_CHECK(p.bytes.size() <= kMaxPacketSize);
        FUZZ_CHECK(decode(p.bytes).has_value());
    }
    return 0;
}
