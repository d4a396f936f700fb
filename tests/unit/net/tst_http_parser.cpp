// HttpParser: well-formed requests (fed whole and one byte at a time must agree), malformed and
// oversized ones with the exact status, and the 100-continue / slowloris details.
#include "net/http_parser.h"

#include <QtTest>

using conclave::net::HttpParser;
using conclave::net::HttpParserLimits;
using conclave::net::HttpRequest;
using conclave::net::HttpResponse;

namespace {

/// One line per request: "METHOD path q[k=v&k2=v2] body[...] ka=1 v=1".
QString summarize(const HttpRequest &r)
{
    QStringList q;
    for (const auto &p : r.query)
        q << p.first + QLatin1Char('=') + p.second;
    return QStringLiteral("%1 %2 q[%3] body[%4] ka=%5 v=%6")
        .arg(QString::fromLatin1(r.method), r.path, q.join(QLatin1Char('&')), QString::fromLatin1(r.body))
        .arg(r.keepAlive ? 1 : 0)
        .arg(r.versionMinor);
}

struct Outcome {
    QStringList requests;
    HttpParser::State last = HttpParser::State::Incomplete;
    int errorStatus = 0;
    QString errorText;
};

/// Feeds `input` in pieces of `step` bytes (0 = all at once), taking every request that completes.
Outcome run(const QByteArray &input, int step, HttpParserLimits limits = {})
{
    HttpParser parser(limits);
    Outcome out;
    const int n = step <= 0 ? int(input.size()) : step;
    for (qsizetype at = 0; at < input.size() || (at == 0 && input.isEmpty()); at += n) {
        parser.feed(input.mid(at, n));
        for (;;) {
            out.last = parser.parse();
            if (out.last != HttpParser::State::Ready)
                break;
            out.requests << summarize(parser.take());
        }
        if (out.last == HttpParser::State::Error) {
            out.errorStatus = parser.errorStatus();
            out.errorText = parser.errorText();
            break;
        }
        if (input.isEmpty())
            break;
    }
    return out;
}

QByteArray crlf(const char *text)
{
    return QByteArray(text).replace("\n", "\r\n");
}

}  // namespace

class TestHttpParser : public QObject {
    Q_OBJECT
private slots:
    void wellFormed_data();
    void wellFormed();
    void malformed_data();
    void malformed();
    void headersAreLowerCasedAndTrimmed();
    void rawTargetKeepsEncoding();
    void pipelinedBytesStayBuffered();
    void endlessHeadersAreCutAtTheLimit();
    void oneRouteMayTakeALargerBody();
    void expectContinueIsReportedOnce();
    void requestHelpers();
    void responseHelpers();
};

void TestHttpParser::wellFormed_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("simple GET") << crlf("GET / HTTP/1.1\nHost: a\n\n")
                                << QStringList{"GET / q[] body[] ka=1 v=1"};
    QTest::newRow("query flags and values")
        << crlf("GET /v1/kv/foo?recurse&index=12&wait=5s HTTP/1.1\n\n")
        << QStringList{"GET /v1/kv/foo q[recurse=&index=12&wait=5s] body[] ka=1 v=1"};
    QTest::newRow("%2F in path decodes to slash") << crlf("GET /v1/kv/a%2Fb HTTP/1.1\n\n")
                                                  << QStringList{"GET /v1/kv/a/b q[] body[] ka=1 v=1"};
    QTest::newRow("plus is literal in path, space in query")
        << crlf("GET /a+b?x=a+b HTTP/1.1\n\n") << QStringList{"GET /a+b q[x=a b] body[] ka=1 v=1"};
    QTest::newRow("%2B in query is a plus") << crlf("GET /q?x=1%2B1&y=%20 HTTP/1.1\n\n")
                                            << QStringList{"GET /q q[x=1+1&y= ] body[] ka=1 v=1"};
    QTest::newRow("percent-encoded query name") << crlf("GET /q?a%3Db=c HTTP/1.1\n\n")
                                                << QStringList{"GET /q q[a=b=c] body[] ka=1 v=1"};
    QTest::newRow("repeated params keep order") << crlf("GET /v1/catalog/service/web?tag=a&tag=b&dc=x HTTP/1.1\n\n")
                                                << QStringList{"GET /v1/catalog/service/web q[tag=a&tag=b&dc=x] body[] ka=1 v=1"};
    QTest::newRow("empty query segments skipped") << crlf("GET /q?&a=1&&b HTTP/1.1\n\n")
                                                  << QStringList{"GET /q q[a=1&b=] body[] ka=1 v=1"};
    QTest::newRow("utf-8 percent escapes") << crlf("GET /v1/kv/%C3%A9t%C3%A9 HTTP/1.1\n\n")
                                           << QStringList{QStringLiteral("GET /v1/kv/\u00e9t\u00e9 q[] body[] ka=1 v=1")};
    QTest::newRow("fragment is dropped") << crlf("GET /a?x=1#frag HTTP/1.1\n\n")
                                         << QStringList{"GET /a q[x=1] body[] ka=1 v=1"};
    QTest::newRow("PUT with Content-Length") << crlf("PUT /v1/kv/k HTTP/1.1\nContent-Length: 5\n\n") + "hello"
                                             << QStringList{"PUT /v1/kv/k q[] body[hello] ka=1 v=1"};
    QTest::newRow("Content-Length zero") << crlf("PUT /k HTTP/1.1\nContent-Length: 0\n\n")
                                         << QStringList{"PUT /k q[] body[] ka=1 v=1"};
    QTest::newRow("Content-Length repeated equal") << crlf("PUT /k HTTP/1.1\nContent-Length: 2, 2\nContent-Length: 2\n\nok")
                                                   << QStringList{"PUT /k q[] body[ok] ka=1 v=1"};
    QTest::newRow("Content-Length leading zeros") << crlf("PUT /k HTTP/1.1\nContent-Length: 0003\n\nabc")
                                                  << QStringList{"PUT /k q[] body[abc] ka=1 v=1"};
    QTest::newRow("chunked with extension and trailer")
        << crlf("POST /x HTTP/1.1\nTransfer-Encoding: chunked\n\n5;name=val\nhello\n6\n world\n0\nX-Trailer: 1\n\n")
        << QStringList{"POST /x q[] body[hello world] ka=1 v=1"};
    QTest::newRow("chunked upper-case hex and spaces")
        << crlf("POST /x HTTP/1.1\nTransfer-Encoding: Chunked\n\nA \n0123456789\n0\n\n")
        << QStringList{"POST /x q[] body[0123456789] ka=1 v=1"};
    QTest::newRow("chunked empty body") << crlf("POST /x HTTP/1.1\nTransfer-Encoding: chunked\n\n0\n\n")
                                        << QStringList{"POST /x q[] body[] ka=1 v=1"};
    QTest::newRow("bare LF line endings")
        << QByteArray("PUT /k HTTP/1.1\nContent-Length: 3\n\nabc")
        << QStringList{"PUT /k q[] body[abc] ka=1 v=1"};
    QTest::newRow("bare LF chunked")
        << QByteArray("POST /c HTTP/1.1\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n")
        << QStringList{"POST /c q[] body[abc] ka=1 v=1"};
    QTest::newRow("HTTP/1.0 closes by default") << crlf("GET / HTTP/1.0\n\n")
                                                << QStringList{"GET / q[] body[] ka=0 v=0"};
    QTest::newRow("HTTP/1.0 keep-alive") << crlf("GET / HTTP/1.0\nConnection: Keep-Alive\n\n")
                                         << QStringList{"GET / q[] body[] ka=1 v=0"};
    QTest::newRow("HTTP/1.1 Connection: close") << crlf("GET / HTTP/1.1\nConnection: close\n\n")
                                                << QStringList{"GET / q[] body[] ka=0 v=1"};
    QTest::newRow("Connection token list") << crlf("GET / HTTP/1.1\nConnection: Upgrade, CLOSE\n\n")
                                           << QStringList{"GET / q[] body[] ka=0 v=1"};
    QTest::newRow("pipelined pair") << crlf("GET /a HTTP/1.1\n\nGET /b?x=1 HTTP/1.1\n\n")
                                    << QStringList{"GET /a q[] body[] ka=1 v=1", "GET /b q[x=1] body[] ka=1 v=1"};
    QTest::newRow("pipelined bodies")
        << crlf("PUT /a HTTP/1.1\nContent-Length: 2\n\nxyPOST /b HTTP/1.1\nTransfer-Encoding: chunked\n\n1\nz\n0\n\nDELETE /c HTTP/1.1\n\n")
        << QStringList{"PUT /a q[] body[xy] ka=1 v=1", "POST /b q[] body[z] ka=1 v=1", "DELETE /c q[] body[] ka=1 v=1"};
    QTest::newRow("absolute-form") << crlf("GET http://127.0.0.1:8500/v1/agent/self?x=1 HTTP/1.1\n\n")
                                   << QStringList{"GET /v1/agent/self q[x=1] body[] ka=1 v=1"};
    QTest::newRow("absolute-form without path") << crlf("GET HTTP://example HTTP/1.1\n\n")
                                                << QStringList{"GET / q[] body[] ka=1 v=1"};
    QTest::newRow("absolute-form query only") << crlf("GET https://h:1?a=b HTTP/1.1\n\n")
                                              << QStringList{"GET / q[a=b] body[] ka=1 v=1"};
    QTest::newRow("OPTIONS *") << crlf("OPTIONS * HTTP/1.1\n\n") << QStringList{"OPTIONS * q[] body[] ka=1 v=1"};
    QTest::newRow("blank lines before request") << crlf("\n\nGET /x HTTP/1.1\n\n")
                                                << QStringList{"GET /x q[] body[] ka=1 v=1"};
    QTest::newRow("HEAD") << crlf("HEAD /v1/status/leader HTTP/1.1\n\n")
                          << QStringList{"HEAD /v1/status/leader q[] body[] ka=1 v=1"};
    QTest::newRow("extension method") << crlf("PURGE /x HTTP/1.1\n\n") << QStringList{"PURGE /x q[] body[] ka=1 v=1"};
    QTest::newRow("HTTP/1.1 minor 9 treated as 1.x") << crlf("GET / HTTP/1.9\n\n")
                                                   << QStringList{"GET / q[] body[] ka=1 v=9"};
    QTest::newRow("binary body with NUL") << crlf("PUT /k HTTP/1.1\nContent-Length: 3\n\n") + QByteArray("a\0b", 3)
                                          << QStringList{QStringLiteral("PUT /k q[] body[a") + QChar(0) + QStringLiteral("b] ka=1 v=1")};
    QTest::newRow("incomplete second request is left pending")
        << crlf("GET /a HTTP/1.1\n\nGET /b HTTP/1.1\nHost:")
        << QStringList{"GET /a q[] body[] ka=1 v=1"};
}

void TestHttpParser::wellFormed()
{
    QFETCH(QByteArray, input);
    QFETCH(QStringList, expected);

    const Outcome whole = run(input, 0);
    QCOMPARE(whole.requests, expected);
    QVERIFY(whole.last != HttpParser::State::Error);

    const Outcome bytes = run(input, 1);
    QCOMPARE(bytes.requests, expected);
    QCOMPARE(bytes.last, whole.last);

    const Outcome sevens = run(input, 7);
    QCOMPARE(sevens.requests, expected);
}

void TestHttpParser::malformed_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("maxHeaderBytes");  // 0 = default
    QTest::addColumn<int>("maxBodyBytes");    // 0 = default

    const QByteArray cl = "PUT /k HTTP/1.1\r\nContent-Length: ";
    const QByteArray te = "POST /k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";

    QTest::newRow("garbage request line") << crlf("garbage\n\n") << 400 << 0 << 0;
    QTest::newRow("missing version") << crlf("GET /\n\n") << 400 << 0 << 0;
    QTest::newRow("missing target") << crlf("GET HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("empty method") << crlf(" / HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("method with control char") << crlf("G\x01T / HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("double space in line") << crlf("GET  / HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("space inside target") << crlf("GET /a b HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("HTTP/2.0") << crlf("GET / HTTP/2.0\n\n") << 505 << 0 << 0;
    QTest::newRow("HTTP/0.9") << crlf("GET / HTTP/0.9\n\n") << 505 << 0 << 0;
    QTest::newRow("HTTP/3") << crlf("GET / HTTP/3\n\n") << 505 << 0 << 0;
    QTest::newRow("not HTTP") << crlf("GET / FTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("junk after version") << crlf("GET / HTTP/1.1x\n\n") << 400 << 0 << 0;
    QTest::newRow("lower-case protocol") << crlf("GET / http/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("Content-Length not a number") << cl + crlf("abc\n\n") << 400 << 0 << 0;
    QTest::newRow("Content-Length negative") << cl + crlf("-1\n\n") << 400 << 0 << 0;
    QTest::newRow("Content-Length plus sign") << cl + crlf("+1\n\nx") << 400 << 0 << 0;
    QTest::newRow("Content-Length empty") << cl + crlf("\n\n") << 400 << 0 << 0;
    QTest::newRow("Content-Length conflicting list") << cl + crlf("5, 6\n\nhello!") << 400 << 0 << 0;
    QTest::newRow("Content-Length conflicting headers") << cl + crlf("5\nContent-Length: 6\n\nhello!") << 400 << 0 << 0;
    QTest::newRow("Content-Length and chunked")
        << crlf("POST /k HTTP/1.1\nContent-Length: 3\nTransfer-Encoding: chunked\n\n0\n\n") << 400 << 0 << 0;
    QTest::newRow("gzip transfer coding") << crlf("POST /k HTTP/1.1\nTransfer-Encoding: gzip\n\n") << 501 << 0 << 0;
    QTest::newRow("gzip then chunked") << crlf("POST /k HTTP/1.1\nTransfer-Encoding: gzip, chunked\n\n") << 501 << 0 << 0;
    QTest::newRow("empty Transfer-Encoding") << crlf("POST /k HTTP/1.1\nTransfer-Encoding: \n\n") << 400 << 0 << 0;
    QTest::newRow("bad chunk size") << te + crlf("zz\nhello\n0\n\n") << 400 << 0 << 0;
    QTest::newRow("empty chunk size") << te + crlf("\nhello\n0\n\n") << 400 << 0 << 0;
    QTest::newRow("junk after chunk size") << te + crlf("5x\nhello\n0\n\n") << 400 << 0 << 0;
    QTest::newRow("chunk data too long") << te + crlf("3\nhello\n0\n\n") << 400 << 0 << 0;
    QTest::newRow("chunk size overflows") << te + crlf("ffffffffffffffffffffffffffff\n") << 413 << 0 << 0;
    QTest::newRow("chunk size line endless") << te + QByteArray(5000, '0') << 400 << 0 << 0;
    QTest::newRow("chunks add up over limit") << te + crlf("8\n12345678\n8\n12345678\n0\n\n") << 413 << 0 << 10;
    QTest::newRow("header without colon") << crlf("GET / HTTP/1.1\nHost a\n\n") << 400 << 0 << 0;
    QTest::newRow("header name empty") << crlf("GET / HTTP/1.1\n: a\n\n") << 400 << 0 << 0;
    QTest::newRow("space before colon") << crlf("GET / HTTP/1.1\nHost : a\n\n") << 400 << 0 << 0;
    QTest::newRow("obs-fold") << crlf("GET / HTTP/1.1\nX-A: a\n b\n\n") << 400 << 0 << 0;
    QTest::newRow("NUL in header name") << QByteArray("GET / HTTP/1.1\r\nX\0A: a\r\n\r\n", 26) << 400 << 0 << 0;
    QTest::newRow("control char in header value") << crlf("GET / HTTP/1.1\nX-A: a\x01" "b\n\n") << 400 << 0 << 0;
    QTest::newRow("bare CR in header value") << QByteArray("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n") << 400 << 0 << 0;
    QTest::newRow("70 KiB of headers") << crlf("GET / HTTP/1.1\n") + QByteArray("X-Big: ") + QByteArray(70 * 1024, 'a') + "\r\n\r\n"
                                       << 431 << 0 << 0;
    QTest::newRow("head just over a small limit") << crlf("GET / HTTP/1.1\nX: 1234567890\n\n") << 431 << 32 << 0;
    QTest::newRow("huge Content-Length") << cl + crlf("99999999999999999999999999\n\n") << 413 << 0 << 0;
    QTest::newRow("Content-Length over default limit") << cl + crlf("8388609\n\n") << 413 << 0 << 0;
    QTest::newRow("body over small limit") << cl + crlf("11\n\n") + "hello world" << 413 << 0 << 10;
    QTest::newRow("trailers too large") << te + crlf("0\nX-T: 123456789012345678901234567890123456789012345678901234567890\n\n") << 431 << 50 << 0;
    QTest::newRow("NUL in path (escaped)") << crlf("GET /v1/kv/a%00b HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("newline in path (escaped)") << crlf("GET /v1/kv/a%0Ab HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("DEL in path (escaped)") << crlf("GET /a%7F HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("raw NUL in target") << QByteArray("GET /a\0b HTTP/1.1\r\n\r\n", 22) << 400 << 0 << 0;
    QTest::newRow("invalid percent escape") << crlf("GET /a%zz HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("truncated percent escape") << crlf("GET /a%2 HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("invalid escape in query") << crlf("GET /a?x=%G1 HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("target without slash") << crlf("GET foo HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("asterisk with GET") << crlf("GET * HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("absolute-form without host") << crlf("GET http:///x HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("unknown scheme") << crlf("GET ftp://h/x HTTP/1.1\n\n") << 400 << 0 << 0;
    QTest::newRow("error after a good request") << crlf("GET /ok HTTP/1.1\n\nBAD\n\n") << 400 << 0 << 0;
}

void TestHttpParser::malformed()
{
    QFETCH(QByteArray, input);
    QFETCH(int, status);
    QFETCH(int, maxHeaderBytes);
    QFETCH(int, maxBodyBytes);

    HttpParserLimits limits;
    if (maxHeaderBytes)
        limits.maxHeaderBytes = maxHeaderBytes;
    if (maxBodyBytes)
        limits.maxBodyBytes = maxBodyBytes;

    const Outcome whole = run(input, 0, limits);
    QCOMPARE(whole.last, HttpParser::State::Error);
    QCOMPARE(whole.errorStatus, status);
    QVERIFY(!whole.errorText.isEmpty());

    const Outcome bytes = run(input, 1, limits);
    QCOMPARE(bytes.last, HttpParser::State::Error);
    QCOMPARE(bytes.errorStatus, status);
    QCOMPARE(bytes.errorText, whole.errorText);
    QCOMPARE(bytes.requests, whole.requests);
}

void TestHttpParser::headersAreLowerCasedAndTrimmed()
{
    HttpParser parser;
    parser.feed(crlf("GET / HTTP/1.1\nX-Consul-Token:   secret \t\nAccept: a\naccept: b\nEmpty:\n\n"));
    QCOMPARE(parser.parse(), HttpParser::State::Ready);
    const HttpRequest r = parser.take();
    const QList<QPair<QByteArray, QByteArray>> expected{
        {"x-consul-token", "secret"}, {"accept", "a"}, {"accept", "b"}, {"empty", ""}};
    QCOMPARE(r.headers, expected);
    QCOMPARE(r.header("x-consul-token"), QByteArray("secret"));
    QCOMPARE(r.header("accept"), QByteArray("a"));
    QCOMPARE(r.header("missing"), QByteArray());
}

void TestHttpParser::rawTargetKeepsEncoding()
{
    HttpParser parser;
    parser.feed(crlf("GET /v1/kv/a%2Fb?recurse HTTP/1.1\n\n"));
    QCOMPARE(parser.parse(), HttpParser::State::Ready);
    const HttpRequest r = parser.take();
    QCOMPARE(r.target, QByteArray("/v1/kv/a%2Fb?recurse"));
    QCOMPARE(r.path, QStringLiteral("/v1/kv/a/b"));
    QVERIFY(r.hasQuery(QStringLiteral("recurse")));
}

void TestHttpParser::pipelinedBytesStayBuffered()
{
    HttpParser parser;
    const QByteArray second = crlf("GET /b HTTP/1.1\n");
    parser.feed(crlf("GET /a HTTP/1.1\n\n") + second);
    QCOMPARE(parser.parse(), HttpParser::State::Ready);
    QCOMPARE(parser.parse(), HttpParser::State::Ready);  // stable until taken
    QCOMPARE(parser.take().path, QStringLiteral("/a"));
    QCOMPARE(parser.bufferedBytes(), second.size());
    QCOMPARE(parser.parse(), HttpParser::State::Incomplete);
    parser.feed("\r\n");
    QCOMPARE(parser.parse(), HttpParser::State::Ready);
    QCOMPARE(parser.take().path, QStringLiteral("/b"));
    QCOMPARE(parser.bufferedBytes(), 0);
}

void TestHttpParser::endlessHeadersAreCutAtTheLimit()
{
    // A slowloris never sends the blank line: the parser must give up once the limit is buffered.
    HttpParserLimits limits;
    limits.maxHeaderBytes = 1024;
    HttpParser parser(limits);
    parser.feed("GET / HTTP/1.1\r\n");
    const QByteArray line = "X-A: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n";
    while (parser.bufferedBytes() + line.size() < limits.maxHeaderBytes) {
        parser.feed(line);
        QCOMPARE(parser.parse(), HttpParser::State::Incomplete);
    }
    parser.feed(line);
    QCOMPARE(parser.parse(), HttpParser::State::Error);
    QCOMPARE(parser.errorStatus(), 431);
    QCOMPARE(parser.parse(), HttpParser::State::Error);  // stays failed
}

void TestHttpParser::oneRouteMayTakeALargerBody()
{
    HttpParserLimits limits;
    limits.maxBodyBytes = 4;
    limits.bodyLimit = [](const conclave::net::HttpRequest &head) -> qint64 {
        return head.method == "PUT" && head.path == QLatin1String("/big") ? 12 : 4;
    };
    const QByteArray twelve = "hello world!";
    for (int step : {0, 1}) {
        // Content-Length and chunked bodies alike; each request of a pipeline gets its own limit.
        Outcome o = run(crlf("PUT /big HTTP/1.1\nContent-Length: 12\n\n") + twelve
                            + crlf("PUT /big HTTP/1.1\nTransfer-Encoding: chunked\n\n6\nhello \n6\nworld!\n0\n\n")
                            + crlf("PUT /small HTTP/1.1\nContent-Length: 4\n\nabcd"),
                        step, limits);
        QCOMPARE(o.last, HttpParser::State::Incomplete);
        QCOMPARE(o.requests.size(), 3);
        o = run(crlf("PUT /big HTTP/1.1\nContent-Length: 13\n\n") + twelve + "?", step, limits);
        QCOMPARE(o.errorStatus, 413);
        o = run(crlf("PUT /big HTTP/1.1\nTransfer-Encoding: chunked\n\n6\nhello \n7\nworld!?\n0\n\n"), step, limits);
        QCOMPARE(o.errorStatus, 413);
        o = run(crlf("PUT /small HTTP/1.1\nContent-Length: 12\n\n") + twelve, step, limits);
        QCOMPARE(o.errorStatus, 413);
        o = run(crlf("GET /big HTTP/1.1\nContent-Length: 12\n\n") + twelve, step, limits);
        QCOMPARE(o.errorStatus, 413);
    }
}

void TestHttpParser::expectContinueIsReportedOnce()
{
    HttpParser parser;
    parser.feed(crlf("PUT /k HTTP/1.1\nContent-Length: 5\nExpect: 100-continue\n"));
    QCOMPARE(parser.parse(), HttpParser::State::Incomplete);
    QVERIFY(!parser.takeContinueRequest());  // head not complete yet
    parser.feed("\r\n");
    QCOMPARE(parser.parse(), HttpParser::State::Incomplete);
    QVERIFY(parser.takeContinueRequest());
    QVERIFY(!parser.takeContinueRequest());
    parser.feed("hello");
    QCOMPARE(parser.parse(), HttpParser::State::Ready);
    QCOMPARE(parser.take().body, QByteArray("hello"));

    // Body already there, or no body at all: nothing to continue.
    parser.feed(crlf("PUT /k HTTP/1.1\nContent-Length: 2\nExpect: 100-continue\n\nok"));
    QCOMPARE(parser.parse(), HttpParser::State::Ready);
    QVERIFY(!parser.takeContinueRequest());
    parser.take();
    parser.feed(crlf("GET /k HTTP/1.1\nExpect: 100-continue\n\n"));
    QCOMPARE(parser.parse(), HttpParser::State::Ready);
    QVERIFY(!parser.takeContinueRequest());
}

void TestHttpParser::requestHelpers()
{
    HttpRequest r;
    r.query = {{"tag", "a"}, {"recurse", ""}, {"tag", "b"}};
    QVERIFY(r.hasQuery(QStringLiteral("recurse")));
    QVERIFY(!r.hasQuery(QStringLiteral("index")));
    QCOMPARE(r.queryValue(QStringLiteral("tag")), QStringLiteral("a"));
    QCOMPARE(r.queryValue(QStringLiteral("index")), QString());
    QCOMPARE(r.queryValues(QStringLiteral("tag")), (QStringList{"a", "b"}));
    QCOMPARE(r.queryValues(QStringLiteral("index")), QStringList());
}

void TestHttpParser::responseHelpers()
{
    const HttpResponse t = HttpResponse::text(404, "nope");
    QCOMPARE(t.status, 404);
    QCOMPARE(t.body, QByteArray("nope"));
    QCOMPARE(t.headers.size(), 1);
    QCOMPARE(t.headers.first().second, QByteArray("text/plain; charset=utf-8"));

    HttpResponse j = HttpResponse::json(200, "{}");
    QCOMPARE(j.headers.first().first, QByteArray("Content-Type"));
    QCOMPARE(j.headers.first().second, QByteArray("application/json"));
    j.setHeader("content-type", "application/x");  // replaces, case-insensitively
    j.setHeader("X-Consul-Index", "7");
    QCOMPARE(j.headers.size(), 2);
    QCOMPARE(j.headers.at(0).second, QByteArray("application/x"));
    QCOMPARE(j.headers.at(1).second, QByteArray("7"));

    QCOMPARE(QByteArray(conclave::net::reasonPhrase(200)), QByteArray("OK"));
    QCOMPARE(QByteArray(conclave::net::reasonPhrase(404)), QByteArray("Not Found"));
    QCOMPARE(QByteArray(conclave::net::reasonPhrase(429)), QByteArray("Too Many Requests"));
    QCOMPARE(QByteArray(conclave::net::reasonPhrase(431)), QByteArray("Request Header Fields Too Large"));
    QCOMPARE(QByteArray(conclave::net::reasonPhrase(505)), QByteArray("HTTP Version Not Supported"));
}

QTEST_APPLESS_MAIN(TestHttpParser)
#include "tst_http_parser.moc"
