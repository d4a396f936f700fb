// The viewer's network classes against small fake servers on loopback: what ApiClient puts on the
// wire for awkward keys and sizes, and what WsAgentLink says about a server that is not an agent.
#include "gui/net/api_client.h"
#include "gui/net/ws_agent_link.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace conclave;
using namespace conclave::gui;

namespace {

/// Answers every connection with `response` once the request head is in, then closes, like
/// `python3 -m http.server` (HTTP/1.0). Keeps the request lines it saw.
class FakeHttpServer : public QObject {
public:
    explicit FakeHttpServer(QByteArray response) : m_response(std::move(response))
    {
        connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = server.nextPendingConnection()) {
                auto *buffer = new QByteArray;
                connect(s, &QTcpSocket::disconnected, s, [s, buffer] {
                    delete buffer;
                    s->deleteLater();
                });
                connect(s, &QTcpSocket::readyRead, s, [this, s, buffer] {
                    *buffer += s->readAll();
                    const qsizetype end = buffer->indexOf("\r\n\r\n");
                    if (end < 0)
                        return;
                    requestLines.append(buffer->left(buffer->indexOf("\r\n")));
                    buffer->clear();
                    s->write(m_response);
                    s->disconnectFromHost();
                });
            }
        });
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(server.serverPort()); }
    QTcpServer server;
    QList<QByteArray> requestLines;

private:
    QByteArray m_response;
};

}  // namespace

class TestNet : public QObject {
    Q_OBJECT

private slots:
    void kvKeysAreSentAsTypedOrRefused_data()
    {
        // QUrl resolves "." and ".." segments (a percent-encoded dot is decoded first), so such a
        // key would reach the agent as another key: it is refused instead.
        QTest::addColumn<QString>("key");
        QTest::addColumn<QByteArray>("path");  // empty: refused, nothing sent
        QTest::newRow("plain") << QStringLiteral("app/config") << QByteArray("/v1/kv/app/config");
        QTest::newRow("dots inside a segment stay") << QStringLiteral("a/.hidden/b..c/...") << QByteArray("/v1/kv/a/.hidden/b..c/...");
        QTest::newRow("dot-dot segment") << QStringLiteral("odd/dot/../x") << QByteArray();
        QTest::newRow("dot segment") << QStringLiteral("odd/./x") << QByteArray();
        QTest::newRow("trailing dot-dot") << QStringLiteral("a/..") << QByteArray();
        QTest::newRow("leading dot") << QStringLiteral("./a") << QByteArray();
    }
    void kvKeysAreSentAsTypedOrRefused()
    {
        QFETCH(QString, key);
        QFETCH(QByteArray, path);
        FakeHttpServer http("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\ntrue");
        ApiClient api;
        api.setAgent(http.address(), {});
        int answers = 0;
        QStringList errors;
        auto write = [&](const ApiClient::WriteResult &w) {
            ++answers;
            errors.append(w.ok ? QString() : w.error);
        };
        api.kvPut(key, "v", std::nullopt, write);
        api.kvDelete(key, false, std::nullopt, write);
        api.kvGet(key, [&](const ApiClient::GetResult &g) {
            ++answers;
            errors.append(g.ok ? QString() : g.error);
        });
        QTRY_COMPARE_WITH_TIMEOUT(answers, 3, 10000);
        if (path.isEmpty()) {
            for (const QString &e : std::as_const(errors))
                QVERIFY2(e.contains(QStringLiteral("path segment \".\" or \"..\"")), qPrintable(e));
            QTest::qWait(100);
            QVERIFY(http.requestLines.isEmpty());
        } else {
            QCOMPARE(http.requestLines.size(), 3);
            QVERIFY(http.requestLines.contains("PUT " + path + " HTTP/1.1"));
            QVERIFY(http.requestLines.contains("DELETE " + path + " HTTP/1.1"));
            QVERIFY(http.requestLines.contains("GET " + path + " HTTP/1.1"));
        }
    }

    void oversizedValueRefusalNamesExactBytes_data()
    {
        QTest::addColumn<qint64>("size");
        QTest::addColumn<QString>("error");
        QTest::newRow("one byte over") << qint64(512 * 1024 + 1)
                                       << QStringLiteral("the value is 524,289 bytes; the agent accepts at most 524,288 bytes (512 KiB)");
        QTest::newRow("well over") << qint64(600 * 1024) << QStringLiteral("the value is 600 KiB; the agent accepts at most 512 KiB");
    }
    void oversizedValueRefusalNamesExactBytes()
    {
        QFETCH(qint64, size);
        QFETCH(QString, error);
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
        ApiClient api;  // no agent: nothing may be sent
        bool done = false;
        ApiClient::WriteResult result;
        api.kvPut(QStringLiteral("big"), QByteArray(size, 'x'), std::nullopt, [&](const ApiClient::WriteResult &w) {
            result = w;
            done = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(done, 5000);
        QVERIFY(!result.ok);
        QCOMPARE(result.error, error);
    }

    void plainHttpServerIsNamedAsNotAnAgent()
    {
        FakeHttpServer http("HTTP/1.0 404 File not found\r\nServer: SimpleHTTP/0.6 Python/3.11\r\n"
                            "Content-Type: text/html;charset=utf-8\r\nContent-Length: 9\r\n\r\nnot found");
        WsAgentLink link;
        link.open(http.address(), {});
        QTRY_COMPARE_WITH_TIMEOUT(link.state(), AgentLink::State::Reconnecting, 10000);
        QVERIFY2(link.detail().contains(QStringLiteral("answers HTTP but has no viewer stream (is it a Conclave agent?)")),
                 qPrintable(link.detail()));
        // And again after a retry: the message stays.
        QTRY_VERIFY_WITH_TIMEOUT(http.requestLines.size() >= 2, 10000);
        QTest::qWait(200);
        QVERIFY2(link.detail().contains(QStringLiteral("has no viewer stream")), qPrintable(link.detail()));
        link.close();
    }
};

QTEST_MAIN(TestNet)
#include "tst_net.moc"
