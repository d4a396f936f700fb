// libFuzzer target for the DNS codec (net/dns_message). Every input must either decode or be
// rejected with a reason; what decodes must survive encode → decode unchanged, compressed and not;
// a FORMERR reply must be a response that the decoder itself would never answer. Also linked,
// without libFuzzer, into unit.dns.fuzz_corpus which replays tests/fuzz/corpus/dns_message.
#include "fuzz_check.h"
#include "net/dns_message.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace conclave::net::dns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray packet(reinterpret_cast<const char *>(data), qsizetype(size));
    const DecodeResult r = decode(packet);
    if (!r.message) {
        FUZZ_CHECK(r.error != DecodeError::None);
        if (r.answerFormErr) {
            FUZZ_CHECK(size >= 12);
            const DecodeResult reply = decode(formErrReply(r.header));
            FUZZ_CHECK(!reply.message && !reply.answerFormErr);  // a response: never answered back
            FUZZ_CHECK(reply.header.id == r.header.id && reply.header.qr && reply.header.rcode == 1);
        }
        return 0;
    }
    FUZZ_CHECK(r.error == DecodeError::None);
    FUZZ_CHECK(r.message->questions.size() == 1);
    for (const bool compress : {true, false}) {
        const QByteArray wire = encode(*r.message, compress);
        const DecodeResult again = decode(wire);
        FUZZ_CHECK(again.message.has_value());
        FUZZ_CHECK(*again.message == *r.message);
        FUZZ_CHECK(encode(*again.message, compress) == wire);
    }
    return 0;
}
