// The viewer's network classes against small fake servers on loopback: what WsAgentLink says about
// a server that is not an agent.
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
