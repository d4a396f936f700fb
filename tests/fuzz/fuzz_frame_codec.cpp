// libFuzzer target for the server port's frame codec (net/frame_codec). Feeds the input once whole
// and once in pieces whose sizes derive from the input (a crash reproduces from the file alone),
// under the default and a tiny frame limit, and checks that both feeds give the same frames and
// the same verdict, and that every decoded frame re-encodes to bytes that decode to itself.
// Also linked, without libFuzzer, into unit.net.fuzz_frame_codec_corpus which replays
// tests/fuzz/corpus/frame_codec.
#include "fuzz_check.h"
#include "net/frame_codec.h"

#include <QList>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using conclave::net::Frame;
using conclave::net::FrameDecoder;

namespace {

struct Outcome {
    QList<Frame> frames;
    bool error = false;
};

Outcome decodeAll(const uint8_t *data, size_t size, qint64 limit, bool pieces)
{
    FrameDecoder decoder(limit);
    Outcome out;
    size_t pos = 0;
    size_t step = 1;
    while (pos < size) {
        const size_t n = pieces ? std::min(size - pos, step) : size - pos;
        decoder.feed(reinterpret_cast<const char *>(data) + pos, qint64(n));
        pos += n;
        step = (step * 7 + data[pos - 1]) % 13 + 1;
        while (std::optional<Frame> f = decoder.next())
            out.frames.append(*f);
        if (decoder.hasError())
            break;
    }
    out.error = decoder.hasError();
    FUZZ_CHECK(out.error == !decoder.errorString().isEmpty());
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (qint64 limit : {conclave::net::kDefaultMaxFrameSize, qint64(64)}) {
        const Outcome whole = decodeAll(data, size, limit, false);
        const Outcome split = decodeAll(data, size, limit, true);
        FUZZ_CHECK(whole.error == split.error);
        FUZZ_CHECK(whole.frames == split.frames);
        for (const Frame &f : whole.frames) {
            FUZZ_CHECK(f.payload.size() < limit);
            FrameDecoder again;
            again.feed(conclave::net::encodeFrame(f));
            const std::optional<Frame> back = again.next();
            FUZZ_CHECK(back.has_value());
            FUZZ_CHECK(*back == f);
        }
    }
    return 0;
}
