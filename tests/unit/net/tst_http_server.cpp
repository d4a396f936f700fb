// HttpServer on 127.0.0.1:0 driven by an in-process QTcpSocket client: keep-alive, pipelining order,
// disconnects, parse errors, 100-continue, HEAD, backpressure, listen errors.
#include "net/http_server.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QtTest>

#include <memory>

using conclave::net::HttpParserLimits;
using conclave::net::HttpRequest;
using conclave::net::HttpResponder;
using conclave::net::HttpResponse;
using conclave::net::HttpServer;

namespace {

constexpr int kTimeoutMs = 5000;

struct Reply {
    int status = 0;
    QByteArray head;  // status line + headers, without the blank line
    QByteArray body;

    QByteArray header(const QByteArray &name) const
    {
        for (const QByteArray &line : head.split('\n')) {
            const int colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
                return line.mid(colon + 1).trimmed();
        }
        return QByteArray();
    }
};

/// A raw HTTP client: writes bytes as given, splits what comes back into replies.
class Client : public QObject {
public:
    explicit Client(quint16 port)
    {
        connect(&socket, &QTcpSocket::readyRead, this, [this] {
            raw += socket.readAll();
            split();
        });
        socket.connectToHost(QHostAddress::LocalHost, port);
    }

    QTcpSocket socket;
    QByteArray raw;       // everything received
    QByteArray pending;   // not yet split into replies
    QList<Reply> replies;
    int headRequests = 0; // replies to HEAD carry no body: count how many are expected next

private:
    void split()
    {
        pending = raw.mid(consumed);
        for (;;) {
            const qsizetype end = pending.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            Reply r;
            r.head = pending.left(end);
            r.status = r.head.mid(9, 3).toInt();
            qsizetype length = 0;
            if (r.status >= 200 && !(headRequests > 0 && r.status != 100))
                length = r.header("content-length").toLongLong();
            if (pending.size() < end + 4 + length)
                return;
            r.body = pending.mid(end + 4, length);
            consumed += end + 4 + length;
            pending = raw.mid(consumed);
            if (r.status >= 200 && headRequests > 0)
                --headRequests;
            replies.append(r);
        }
    }
    qsizetype consumed = 0;
};

QByteArray get(const QByteArray &path, const QByteArray &extra = {})
{
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

HttpResponse echo(const HttpRequest &r)
{
    return HttpResponse::text(200, r.method + ' ' + r.path.toUtf8() + (r.body.isEmpty() ? "" : ' ' + r.body));
}

}  // namespace

class TestHttpServer : public QObject {
    Q_OBJECT
private slots:
    void keepAliveServesTwoRequestsOnOneConnection();
    void pipelinedAnswersKeepRequestOrder();
    void clientDisconnectRunsOnClosed();
    void parseErrorIsAnsweredAfterEarlierRequestsThenCloses();
    void expectContinueGetsInterimResponse();
    void headKeepsContentLengthWithoutBody();
    void http10ClosesAfterAnswer();
    void connectionCloseHeaderFromClient();
    void backpressureLimitsPendingRequests();
    void responderOutlivesServer();
    void listenFailsWhenPortTaken();
    void closeDropsConnectionsAndRunsOnClosed();
    void connectionsPerClientAreCapped();
};

void TestHttpServer::keepAliveServesTwoRequestsOnOneConnection()
{
    QStringList peers;
    HttpServer server([&](const HttpRequest &r, HttpResponder resp) {
        peers << r.peerAddress;
        resp.send(echo(r));
    });
    QString error;
    QVERIFY2(server.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
    QVERIFY(server.port() != 0);

    Client c(server.port());
    c.socket.write(get("/v1/status/leader?stale"));
    QTRY_COMPARE_WITH_TIMEOUT(c.replies.size(), 1, kTimeoutMs);
    QCOMPARE(c.replies[0].status, 200);
    QCOMPARE(c.replies[0].body, QByteArray("GET /v1/status/leader"));
    QCOMPARE(c.replies[0].header("content-type"), QByteArray("text/plain; charset=utf-8"));
    QCOMPARE(c.replies[0].header("content-length"), QByteArray("21"));
    QCOMPARE(c.replies[0].header("connection"), QByteArray());
    QVERIFY(c.replies[0].head.startsWith("HTTP/1.1 200 OK\r\n"));

    c.socket.write("PUT /v1/kv/a%2Fb HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz");
    QTRY_COMPARE_WITH_TIMEOUT(c.replies.size(), 2, kTimeoutMs);
    QCOMPARE(c.replies[1].body, QByteArray("PUT /v1/kv/a/b xyz"));
    QCOMPARE(c.socket.state(), QAbstractSocket::ConnectedState);
    QCOMPARE(server.connectionCount(), 1);
    QCOMPARE(peers, (QStringList{"127.0.0.1", "127.0.0.1"}));
}

void TestHttpServer::pipelinedAnswersKeepRequestOrder()
{
    QList<QPair<HttpRequest, HttpResponder>> held;
    HttpServer server([&](const HttpRequest &r, HttpResponder resp) {
        held.append({r, resp});
        if (held.size() == 3) {
            // Answer the last first, each on its own event-loop turn.
            for (int i = 2; i >= 0; --i) {
                QTimer::singleShot((2 - i) * 5, [pair = held[i]] { pair.second.send(echo(pair.first)); });
            }
        }
    });
    QString error;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0, &error));

    Client c(server.port());
    c.socket.write(get("/a") + get("/b") + "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(c.replies.size(), 3, kTimeoutMs);
    QCOMPARE(c.replies[0].body, QByteArray("GET /a"));
    QCOMPARE(c.replies[1].body, QByteArray("GET /b"));
    QCOMPARE(c.replies[2].body, QByteArray("POST /c hi"));
    QCOMPARE(c.socket.state(), QAbstractSocket::ConnectedState);
}

void TestHttpServer::clientDisconnectRunsOnClosed()
{
    HttpResponder parked;
    int closedCalls = 0;
    HttpServer server([&](const HttpRequest &, HttpResponder resp) {
        parked = resp;
        resp.onClosed([&] { ++closedCalls; });
    });
    QString error;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0, &error));

    {
        Client c(server.port());
        c.socket.write(get("/v1/kv/k?index=5&wait=1m"));
        QTRY_VERIFY_WITH_TIMEOUT(parked.isOpen(), kTimeoutMs);
        QCOMPARE(server.connectionCount(), 1);
        c.socket.abort();
    }
    QTRY_COMPARE_WITH_TIMEOUT(closedCalls, 1, kTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 0, kTimeoutMs);
    QVERIFY(!parked.isOpen());
    parked.send(HttpResponse::json(200, "[]"));  // no-op, must not crash
    QCOMPARE(closedCalls, 1);

    // Registering on an already closed responder still reports it (on the next loop turn).
    bool late = false;
    parked.onClosed([&] { late = true; });
    QTRY_VERIFY_WITH_TIMEOUT(late, kTimeoutMs);
}

void TestHttpServer::parseErrorIsAnsweredAfterEarlierRequestsThenCloses()
{
    QList<HttpResponder> held;
    HttpServer server([&](const HttpRequest &, HttpResponder resp) { held.append(resp); });
    QString error;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0, &error));

    Client c(server.port());
    c.socket.write(get("/first") + "GET /v1/kv/%zz HTTP/1.1\r\n\r\n" + get("/never"));
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 1, kTimeoutMs);
    QCOMPARE(c.replies.size(), 0);

    held[0].send(HttpResponse::json(200, "true"));
    QTRY_COMPARE_WITH_TIMEOUT(c.replies.size(), 2, kTimeoutMs);
    QCOMPARE(c.replies[0].status, 200);
    QCOMPARE(c.replies[0].body, QByteArray("true"));
    QCOMPARE(c.replies[1].status, 400);
    QVERIFY(c.replies[1].head.startsWith("HTTP/1.1 400 Bad Request\r\n"));
    QCOMPARE(c.replies[1].header("connection"), QByteArray("close"));
    QCOMPARE(c.replies[1].body, QByteArray("Invalid percent-encoding in path."));
    QTRY_COMPARE_WITH_TIMEOUT(c.socket.state(), QAbstractSocket::UnconnectedState, kTimeoutMs);
    QCOMPARE(held.size(), 1);  // the request after the bad one never reached the handler
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 0, kTimeoutMs);
}

void TestHttpServer::expectContinueGetsInterimResponse()
{
    HttpServer server([&](const HttpRequest &r, HttpResponder resp) { resp.send(echo(r)); });
    QString error;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0, &error));

    Client c(server.port());
    c.socket.write("PUT /v1/kv/big HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(c.replies.size(), 1, kTimeoutMs);
    QCOMPARE(c.raw, QByteArray("HTTP/1.1 100 Continue\r\n\r\n"));
    c.socket.write("hello");
    QTRY_COMPARE_WITH_TIMEOUT(c.replies.size(), 2, kTimeoutMs);
    QCOMPARE(c.replies[1].status, 200);
    QCOMPARE(c.replies[1].body, QByteArray("PUT /v1/kv/big hello"));

    // Too large for the limit: answered 413 at once instead of 100.
    HttpParserLimits limits;
    limits.maxBodyBytes = 4;
    HttpServer small([&](const HttpRequest &r, HttpResponder resp) { resp.send(echo(r)); }, limits);
    QVERIFY(small.listen(QHostAddress::LocalHost, 0, &error));
    Client d(small.port());
    d.socket.write("PUT /k HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(d.replies.size(), 1, kTimeoutMs);
    QCOMPARE(d.replies[0].status, 413);
    QTRY_COMPARE_WITH_TIMEOUT(d.socket.state(), QAbstractSocket::UnconnectedState, kTimeoutMs);
}

void TestHttpServer::headKeepsContentLengthWithoutBody()
{
    QList<QByteArray> seenMethods;
    HttpServer server([&](const HttpRequest &r, HttpResponder resp) {
        seenMethods << r.method;
        resp.send(HttpResponse::json(200, "{\"a\":1}"));
    });
    QString error;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0, &error));

    Client c(server.port());
    c.headRequests = 1;
    c.socket.write("HEAD /v1/agent/self HTTP/1.1\r\n\r\n" + get("/after"));
    QTRY_COMPARE_WITH_TIMEOUT(c.replies.size(), 2, kTimeoutMs);
    QCOMPARE(seenMethods, (QList<QByteArray>{"HEAD", "GET"}));
    QCOMPARE(c.replies[0].header("content-length"), QByteArray("7"));
    QCOMPARE(c.replies[0].body, QByteArray());
    QCOMPARE(c.replies[1].body, QByteArray("{\"a\":1}"));
    QCOMPARE(c.raw.count("{\"a\":1}"), 1);  // the HEAD answer put no body on the wire
}

void TestHttpServer::http10ClosesAfterAnswer()
{
    HttpServer server([&](const HttpRequest &r, HttpResponder resp) { resp.send(echo(r)); });
    QString error;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0, &error));

    Client c(server.port());
    c.socket.write("GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(c.socket.state(), QAbstractSocket::UnconnectedState, kTimeoutMs);
    QCOMPARE(c.replies.size(), 1);
    QCOMPARE(c.replies[0].body, QByteArray("GET /a"));
    QCOMPARE(c.replies[0].header("connection"), QByteArray("close"));

    Client k(server.port());
    k.socket.write("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(k.replies.size(), 1, kTimeoutMs);
    QCOMPARE(k.replies[0].header("connection"), QByteArray("keep-alive"));
    QCOMPARE(k.socket.state(), QAbstractSocket::ConnectedState);
}

void TestHttpServer::connectionCloseHeaderFromClient()
{
    HttpServer server([&](const HttpRequest &r, HttpResponder resp) { resp.send(echo(r)); });
    QString error;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0, &error));

    Client c(server.port());
    c.socket.write(get("/x", "Connection: close\r\n"));
    QTRY_COMPARE_WITH_TIMEOUT(c.socket.state(), QAbstractSocket::UnconnectedState, kTimeoutMs);
    QCOMPARE(c.replies.size(), 1);
    QCOMPARE(c.replies[0].header("connection"), QByteArray("close"));
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 0, kTimeoutMs);
}

void TestHttpServer::backpressureLimitsPendingRequests()
{
    QList<HttpResponder> held;
    int answered = 0;
    int maxOutstanding = 0;
    HttpServer server([&](const HttpRequest &, HttpResponder resp) {
        held.append(resp);
        maxOutstanding = std::max(maxOutstanding, int(held.size()) - answered);
    });
    QString error;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0, &error));

    constexpr int total = HttpServer::kMaxPendingRequests + 36;
    Client c(server.port());
    QByteArray burst;
    for (int i = 0; i < total; ++i)
        burst += get("/r/" + QByteArray::number(i));
    c.socket.write(burst);
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), HttpServer::kMaxPendingRequests, kTimeoutMs);
    while (answered < total) {
        QTRY_VERIFY_WITH_TIMEOUT(held.size() > answered, kTimeoutMs);
        const HttpResponder next = held[answered];
        ++answered;  // before send(): sending may resume reading and call the handler at once
        next.send(HttpResponse::text(200, QByteArray::number(answered - 1)));
    }
    QTRY_COMPARE_WITH_TIMEOUT(c.replies.size(), total, kTimeoutMs);
    for (int i = 0; i < total; ++i)
        QCOMPARE(c.replies[i].body, QByteArray::number(i));
    // Reading paused whenever the limit was reached, so the handler never saw more at once.
    QCOMPARE(maxOutstanding, HttpServer::kMaxPendingRequests);
}

void TestHttpServer::responderOutlivesServer()
{
    HttpResponder parked;
    bool closed = false;
    auto server = std::make_unique<HttpServer>([&](const HttpRequest &, HttpResponder resp) {
        parked = resp;
        resp.onClosed([&] { closed = true; });
    });
    QString error;
    QVERIFY(server->listen(QHostAddress::LocalHost, 0, &error));
    Client c(server->port());
    c.socket.write(get("/park"));
    QTRY_VERIFY_WITH_TIMEOUT(parked.isOpen(), kTimeoutMs);

    server.reset();
    QVERIFY(!parked.isOpen());
    parked.send(HttpResponse::text(200, "late"));  // no-op
    QVERIFY(!closed);  // destroying the server does not call back into its owner
    QTRY_COMPARE_WITH_TIMEOUT(c.socket.state(), QAbstractSocket::UnconnectedState, kTimeoutMs);
    QCOMPARE(c.replies.size(), 0);
}

void TestHttpServer::listenFailsWhenPortTaken()
{
    QTcpServer blocker;
    QVERIFY(blocker.listen(QHostAddress::LocalHost, 0));
    HttpServer server([](const HttpRequest &, HttpResponder) {});
    QString error;
    QVERIFY(!server.listen(QHostAddress::LocalHost, blocker.serverPort(), &error));
    QCOMPARE(error, QStringLiteral("cannot listen on 127.0.0.1:%1: address already in use").arg(blocker.serverPort()));
}

void TestHttpServer::closeDropsConnectionsAndRunsOnClosed()
{
    HttpResponder parked;
    int closedCalls = 0;
    HttpServer server([&](const HttpRequest &, HttpResponder resp) {
        parked = resp;
        resp.onClosed([&] { ++closedCalls; });
    });
    QString error;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0, &error));
    Client c(server.port());
    c.socket.write(get("/park"));
    QTRY_VERIFY_WITH_TIMEOUT(parked.isOpen(), kTimeoutMs);
    server.close();
    QCOMPARE(closedCalls, 1);
    QCOMPARE(server.connectionCount(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(c.socket.state(), QAbstractSocket::UnconnectedState, kTimeoutMs);
}


void TestHttpServer::connectionsPerClientAreCapped()
{
    HttpServer server([](const HttpRequest &r, HttpResponder resp) { resp.send(echo(r)); });
    server.setMaxConnectionsPerClient(3);
    QString error;
    QVERIFY2(server.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));

    std::vector<std::unique_ptr<Client>> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(std::make_unique<Client>(server.port()));
        held.back()->socket.write(get("/held"));
        QTRY_COMPARE_WITH_TIMEOUT(held.back()->replies.size(), 1, kTimeoutMs);
    }
    QCOMPARE(server.connectionCount(), 3);

    // A fourth connection from the same address is told 429 and closed, as Consul does.
    Client extra(server.port());
    QTRY_COMPARE_WITH_TIMEOUT(extra.replies.size(), 1, kTimeoutMs);
    QCOMPARE(extra.replies[0].status, 429);
    QCOMPARE(extra.replies[0].body, QByteArray("Your IP is issuing too many concurrent connections, please rate limit your calls\n"));
    QTRY_COMPARE_WITH_TIMEOUT(extra.socket.state(), QAbstractSocket::UnconnectedState, kTimeoutMs);
    QCOMPARE(server.connectionCount(), 3);

    // Once one closes, a new one is served again.
    held.front()->socket.disconnectFromHost();
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 2, kTimeoutMs);
    Client again(server.port());
    again.socket.write(get("/again"));
    QTRY_COMPARE_WITH_TIMEOUT(again.replies.size(), 1, kTimeoutMs);
    QCOMPARE(again.replies[0].status, 200);
}

QTEST_GUILESS_MAIN(TestHttpServer)
#include "tst_http_server.moc"
