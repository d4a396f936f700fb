// libFuzzer target for HttpParser. Feeds the input once whole and once in pseudo-random pieces
// (derived from the input, so a crash reproduces from the file alone), with default and with tiny
// limits, and checks that both feeds agree and every parsed request is sane. Also linked, without
// libFuzzer, into unit.net.fuzz_corpus which replays tests/fuzz/corpus/http.
#include "fuzz_check.h"
#include "net/http_parser.h"

#include <QStringList>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using conclave::net::HttpParser;
using conclave::net::HttpParserLimits;
using conclave::net::HttpRequest;

namespace {

struct Outcome {
    QList<QByteArray> requests;  // a flat rendering of each request, for comparing two runs
    HttpParser::State last = HttpParser::State::Incomplete;
    int errorStatus = 0;
    QString errorText;
};

void checkRequest(const HttpRequest &r, const HttpParserLimits &limits)
{
    FUZZ_CHECK(!r.method.isEmpty());
    for (char c : r.method)
        FUZZ_CHECK(c > 0x20 && c < 0x7f);
    FUZZ_CHECK(r.path.startsWith(QLatin1Char('/')) || r.path == QLatin1String("*"));
    for (QChar c : r.path)
        FUZZ_CHECK(c.unicode() >= 0x20 && c.unicode() != 0x7f);
    FUZZ_CHECK(r.target.startsWith('/') || r.target == "*");
    FUZZ_CHECK(r.body.size() <= limits.maxBodyBytes);
    FUZZ_CHECK(r.versionMinor >= 0 && r.versionMinor <= 9);
    if (r.versionMinor == 0 && r.keepAlive) {
        // HTTP/1.0 keeps the connection only when some Connection header (there may be several,
        // and the first may be empty) names keep-alive.
        bool asked = false;
        for (const auto &h : r.headers)
            asked = asked || (h.first == "connection" && h.second.toLower().contains("keep-alive"));
        FUZZ_CHECK(asked);
    }
    for (const auto &h : r.headers) {
        FUZZ_CHECK(!h.first.isEmpty());
        FUZZ_CHECK(h.first == h.first.toLower());
        FUZZ_CHECK(!h.second.contains('\r') && !h.second.contains('\n'));
    }
}

QByteArray render(const HttpRequest &r)
{
    QByteArray out = r.method + ' ' + r.target + ' ' + r.path.toUtf8() + ' ' + QByteArray::number(r.versionMinor)
        + (r.keepAlive ? " ka" : " close");
    for (const auto &q : r.query)
        out += " q:" + q.first.toUtf8() + '=' + q.second.toUtf8();
    for (const auto &h : r.headers)
        out += " h:" + h.first + '=' + h.second;
    out += " b:" + r.body;
    return out;
}

/// Tiny deterministic PRNG (splitmix64) seeded from the input bytes.
struct Rng {
    quint64 state;
    quint64 next()
    {
        quint64 z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
};

Outcome run(const QByteArray &input, const HttpParserLimits &limits, Rng *rng)
{
    HttpParser parser(limits);
    Outcome out;
    qsizetype at = 0;
    bool done = false;
    while (!done) {
        qsizetype n = input.size() - at;
        if (rng && n > 0) {
            // Mostly small pieces (down to single bytes), sometimes big ones.
            const quint64 r = rng->next();
            n = std::min<qsizetype>(n, (r & 3) == 0 ? qsizetype(1 + (r >> 8) % 4096) : qsizetype(1 + (r >> 8) % 16));
        }
        parser.feed(input.mid(at, n));
        at += n;
        for (;;) {
            const qint64 before = parser.bufferedBytes();
            out.last = parser.parse();
            if (out.last != HttpParser::State::Ready)
                break;
            const HttpRequest req = parser.take();
            FUZZ_CHECK(parser.bufferedBytes() < before);  // each request consumes input
            checkRequest(req, limits);
            out.requests.append(render(req));
            FUZZ_CHECK(out.requests.size() <= input.size());
        }
        (void)parser.takeContinueRequest();
        if (out.last == HttpParser::State::Error) {
            out.errorStatus = parser.errorStatus();
            out.errorText = parser.errorText();
            const int s = out.errorStatus;
            FUZZ_CHECK(s == 400 || s == 413 || s == 431 || s == 501 || s == 505);
            FUZZ_CHECK(!out.errorText.isEmpty());
            FUZZ_CHECK(parser.parse() == HttpParser::State::Error);  // errors are sticky
            done = true;
        } else {
            // Whatever stays buffered is an unfinished request: never more than the limits allow.
            FUZZ_CHECK(parser.bufferedBytes() <= limits.maxHeaderBytes + 2 * limits.maxBodyBytes + 8192 + 4096);
            done = at >= input.size();
        }
    }
    return out;
}

void compare(const Outcome &a, const Outcome &b)
{
    FUZZ_CHECK(a.requests == b.requests);
    FUZZ_CHECK(a.last == b.last);
    FUZZ_CHECK(a.errorStatus == b.errorStatus);
    FUZZ_CHECK(a.errorText == b.errorText);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    quint64 seed = 1469598103934665603ULL;  // FNV-1a of the input picks the split pattern
    for (size_t i = 0; i < size; ++i)
        seed = (seed ^ data[i]) * 1099511628211ULL;

    HttpParserLimits defaults;
    HttpParserLimits tiny;
    tiny.maxHeaderBytes = 48 + int(seed % 200);
    tiny.maxBodyBytes = 8 + qint64((seed >> 16) % 64);

    for (const HttpParserLimits &limits : {defaults, tiny}) {
        const Outcome whole = run(input, limits, nullptr);
        Rng rng{seed};
        compare(whole, run(input, limits, &rng));
        Rng bytes{seed ^ 0x5bd1e995ULL};
        compare(whole, run(input, limits, &bytes));
    }
    return 0;
}
