// The HTTP, TCP and script probes against real loopback endpoints and child processes. These
// units are socket and process clients, so the tests poll with QTRY_*; nothing sleeps.

#include "agent/check_runner.h"

#include <QNetworkAccessManager>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace conclave;
using namespace conclave::agent;

namespace {

/// A tiny HTTP server: answers every request with `status` and `body`, or never (status 0).
/// Keeps the last request's raw bytes for header checks.
class TinyHttpServer : public QObject {
public:
    int status = 200;
    QByteArray reason = "OK";
    QByteArray body = "hello";
    QByteArray lastRequest;
    QByteArray hangPath;  // requests for this path are never answered, whatever `status` says

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }
    void close()
    {
        m_server.close();
        for (QTcpSocket *s : m_sockets)
            s->abort();
    }

    TinyHttpServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this]() {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                m_sockets.append(s);
                connect(s, &QTcpSocket::readyRead, this, [this, s]() { onData(s); });
            }
        });
    }

private:
    void onData(QTcpSocket *s)
    {
        QByteArray &buf = m_buffers[s];
        buf += s->readAll();
        const qsizetype end = buf.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        // Wait for the body too (Content-Length only; the probes never chunk).
        qsizetype length = 0;
        for (const QByteArray &line : buf.left(end).split('\n')) {
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        }
        if (buf.size() < end + 4 + length)
            return;
        lastRequest = buf.left(end + 4 + length);
        buf.remove(0, end + 4 + length);
        if (status == 0 || (!hangPath.isEmpty() && lastRequest.contains(" " + hangPath + " ")))
            return;  // hang: never answer
        s->write("HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\nContent-Length: "
                 + QByteArray::number(body.size()) + "\r\nContent-Type: text/plain\r\n\r\n" + body);
    }

    QTcpServer m_server;
    QList<QTcpSocket *> m_sockets;
    QMap<QTcpSocket *, QByteArray> m_buffers;
};

/// Runs a probe once and keeps its result.
struct Outcome {
    std::optional<ProbeResult> result;
    int calls = 0;
    CheckProbe::Done callback()
    {
        return [this](const ProbeResult &r) {
            result = r;
            ++calls;
        };
    }
};

quint16 closedPort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();  // closed again when `s` goes
}

}  // namespace

class TestCheckRunners : public QObject {
    Q_OBJECT
private slots:
    void httpStatusMapping_data()
    {
        QTest::addColumn<int>("code");
        QTest::addColumn<QByteArray>("reason");
        QTest::addColumn<QString>("status");
        QTest::newRow("200 passing") << 200 << QByteArray("OK") << model::status::Passing;
        QTest::newRow("204 passing") << 204 << QByteArray("No Content") << model::status::Passing;
        QTest::newRow("429 warning") << 429 << QByteArray("Too Many Requests") << model::status::Warning;
        QTest::newRow("500 critical") << 500 << QByteArray("Internal Server Error") << model::status::Critical;
        QTest::newRow("404 critical") << 404 << QByteArray("Not Found") << model::status::Critical;
    }
    void httpStatusMapping()
    {
        QFETCH(int, code);
        QFETCH(QByteArray, reason);
        QFETCH(QString, status);
        TinyHttpServer server;
        QVERIFY(server.listen());
        server.status = code;
        server.reason = reason;
        server.body = code == 204 ? QByteArray() : QByteArray("body of ") + QByteArray::number(code);
        QtTimerMaker timers;
        QNetworkAccessManager nam;
        model::CheckDefinition def;
        def.http = QStringLiteral("http://127.0.0.1:%1/health").arg(server.port());
        auto probe = makeHttpProbe(def, 5000, 4096, timers, nam);
        Outcome out;
        probe->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 5000);
        QCOMPARE(out.result->status, status);
        QCOMPARE(out.result->output, QStringLiteral("HTTP GET %1: %2 %3 Output: %4")
                                         .arg(def.http)
                                         .arg(code)
                                         .arg(QString::fromLatin1(reason), QString::fromLatin1(server.body)));
        QVERIFY(server.lastRequest.startsWith("GET /health HTTP/1.1\r\n"));
    }

    void httpRequestShape()
    {
        TinyHttpServer server;
        QVERIFY(server.listen());
        QtTimerMaker timers;
        QNetworkAccessManager nam;
        model::CheckDefinition def;
        def.http = QStringLiteral("http://127.0.0.1:%1/probe").arg(server.port());
        def.method = QStringLiteral("POST");
        def.body = QStringLiteral("{\"ping\":1}");
        def.header.insert(QStringLiteral("X-Token"), {QStringLiteral("abc")});
        auto probe = makeHttpProbe(def, 5000, 4096, timers, nam);
        Outcome out;
        probe->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 5000);
        QCOMPARE(out.result->status, model::status::Passing);
        QVERIFY(out.result->output.startsWith(QStringLiteral("HTTP POST ")));
        const QByteArray req = server.lastRequest;
        QVERIFY2(req.startsWith("POST /probe HTTP/1.1\r\n"), req.constData());
        QVERIFY2(req.contains("User-Agent: Consul Health Check\r\n"), req.constData());
        QVERIFY2(req.contains("Accept: text/plain, text/*, */*\r\n"), req.constData());
        QVERIFY2(req.contains("X-Token: abc\r\n"), req.constData());
        QVERIFY(req.endsWith("\r\n\r\n{\"ping\":1}"));
    }

    void httpHeaderOverridesDefaults()
    {
        TinyHttpServer server;
        QVERIFY(server.listen());
        QtTimerMaker timers;
        QNetworkAccessManager nam;
        model::CheckDefinition def;
        def.http = QStringLiteral("http://127.0.0.1:%1/").arg(server.port());
        def.header.insert(QStringLiteral("User-Agent"), {QStringLiteral("mine")});
        auto probe = makeHttpProbe(def, 5000, 4096, timers, nam);
        Outcome out;
        probe->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 5000);
        QVERIFY(server.lastRequest.contains("User-Agent: mine\r\n"));
        QVERIFY(!server.lastRequest.contains("Consul Health Check"));
    }

    void httpBodyIsCapped()
    {
        TinyHttpServer server;
        QVERIFY(server.listen());
        server.body = QByteArray(10000, 'x');
        QtTimerMaker timers;
        QNetworkAccessManager nam;
        model::CheckDefinition def;
        def.http = QStringLiteral("http://127.0.0.1:%1/").arg(server.port());
        auto probe = makeHttpProbe(def, 5000, 100, timers, nam);
        Outcome out;
        probe->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 5000);
        QVERIFY(out.result->output.endsWith(QStringLiteral("Output: ") + QString(100, u'x')));
    }

    void httpHangTimesOut()
    {
        TinyHttpServer server;
        QVERIFY(server.listen());
        server.status = 0;
        QtTimerMaker timers;
        QNetworkAccessManager nam;
        model::CheckDefinition def;
        def.http = QStringLiteral("http://127.0.0.1:%1/slow").arg(server.port());
        auto probe = makeHttpProbe(def, 300, 4096, timers, nam);
        Outcome out;
        probe->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 5000);
        QCOMPARE(out.result->status, model::status::Critical);
        QCOMPARE(out.result->output,
                 QStringLiteral("Get \"%1\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)").arg(def.http));
        QCoreApplication::processEvents();  // an abandoned reply must not call back again
        QCOMPARE(out.calls, 1);
    }

    void hungChecksDoNotStallOthersToTheSameServer()
    {
        // Qt opens at most six connections per host:port. Each timed-out probe must give its
        // connection back, or after six of them every probe to that server waits in a queue and
        // times out too, healthy endpoints included.
        TinyHttpServer server;
        QVERIFY(server.listen());
        server.hangPath = "/hang";
        QtTimerMaker timers;
        QNetworkAccessManager nam;
        model::CheckDefinition hang;
        hang.http = QStringLiteral("http://127.0.0.1:%1/hang").arg(server.port());
        auto hung = makeHttpProbe(hang, 100, 4096, timers, nam);
        for (int i = 0; i < 8; ++i) {
            Outcome out;
            hung->run(out.callback());
            QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 5000);
            QCOMPARE(out.result->status, model::status::Critical);
        }
        model::CheckDefinition ok;
        ok.http = QStringLiteral("http://127.0.0.1:%1/ok").arg(server.port());
        auto healthy = makeHttpProbe(ok, 3000, 4096, timers, nam);
        Outcome out;
        healthy->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 5000);
        QVERIFY2(out.result->status == model::status::Passing, qPrintable(out.result->output));
    }

    void httpNoServerIsCritical()
    {
        QtTimerMaker timers;
        QNetworkAccessManager nam;
        model::CheckDefinition def;
        def.http = QStringLiteral("http://127.0.0.1:%1/").arg(closedPort());
        auto probe = makeHttpProbe(def, 5000, 4096, timers, nam);
        Outcome out;
        probe->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 5000);
        QCOMPARE(out.result->status, model::status::Critical);
        QCOMPARE(out.result->output, QStringLiteral("Get \"%1\": dial tcp %2: connect: connection refused")
                                         .arg(def.http, def.http.mid(7).chopped(1)));
    }

    void httpProbeRunsAgain()
    {
        TinyHttpServer server;
        QVERIFY(server.listen());
        QtTimerMaker timers;
        QNetworkAccessManager nam;
        model::CheckDefinition def;
        def.http = QStringLiteral("http://127.0.0.1:%1/").arg(server.port());
        auto probe = makeHttpProbe(def, 5000, 4096, timers, nam);
        Outcome first;
        probe->run(first.callback());
        QTRY_VERIFY_WITH_TIMEOUT(first.result.has_value(), 5000);
        server.status = 503;
        server.reason = "Service Unavailable";
        Outcome second;
        probe->run(second.callback());
        QTRY_VERIFY_WITH_TIMEOUT(second.result.has_value(), 5000);
        QCOMPARE(first.result->status, model::status::Passing);
        QCOMPARE(second.result->status, model::status::Critical);
    }

    void tcpListeningIsPassing()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        QtTimerMaker timers;
        const QString addr = QStringLiteral("127.0.0.1:%1").arg(server.serverPort());
        auto probe = makeTcpProbe(addr, 5000, timers);
        Outcome out;
        probe->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 5000);
        QCOMPARE(out.result->status, model::status::Passing);
        QCOMPARE(out.result->output, QStringLiteral("TCP connect %1: Success").arg(addr));
    }

    void tcpClosedIsCritical_data()
    {
        QTest::addColumn<QString>("address");
        QTest::addColumn<QString>("prefix");
        const QString closed = QStringLiteral("127.0.0.1:%1").arg(closedPort());
        QTest::newRow("closed port") << closed << QStringLiteral("dial tcp %1: connect: connection refused").arg(closed);
        QTest::newRow("no port") << QStringLiteral("127.0.0.1") << QStringLiteral("dial tcp 127.0.0.1: ");
    }
    void tcpClosedIsCritical()
    {
        QFETCH(QString, address);
        QFETCH(QString, prefix);
        QtTimerMaker timers;
        auto probe = makeTcpProbe(address, 5000, timers);
        Outcome out;
        probe->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 5000);
        QCOMPARE(out.result->status, model::status::Critical);
        QVERIFY2(out.result->output.startsWith(prefix), qPrintable(out.result->output));
    }

    void scriptExitCodes_data()
    {
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("status");
        QTest::newRow("exit 0 passing") << 0 << model::status::Passing;
        QTest::newRow("exit 1 warning") << 1 << model::status::Warning;
        QTest::newRow("exit 2 critical") << 2 << model::status::Critical;
        QTest::newRow("exit 127 critical") << 127 << model::status::Critical;
    }
    void scriptExitCodes()
    {
        QFETCH(int, exitCode);
        QFETCH(QString, status);
        QtTimerMaker timers;
        const QStringList args{QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                               QStringLiteral("echo out; echo err >&2; exit %1").arg(exitCode)};
        auto probe = makeScriptProbe(args, 10000, 4096, timers);
        Outcome out;
        probe->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 10000);
        QCOMPARE(out.result->status, status);
        QCOMPARE(out.result->output, QStringLiteral("out\nerr\n"));
    }

    void scriptOutputKeepsTheNewestBytes()
    {
        QtTimerMaker timers;
        const QStringList args{QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                               QStringLiteral("printf 'aaaaaaaaaabbbbbbbbbb'")};
        auto probe = makeScriptProbe(args, 10000, 10, timers);
        Outcome out;
        probe->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 10000);
        QCOMPARE(out.result->output, QStringLiteral("Captured 10 of 20 bytes\n...\nbbbbbbbbbb"));
    }

    void scriptHangIsKilled()
    {
        QtTimerMaker timers;
        auto probe = makeScriptProbe({QStringLiteral("sleep"), QStringLiteral("30")}, 300, 4096, timers);
        Outcome out;
        QElapsedTimer clock;
        clock.start();
        probe->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 10000);
        QVERIFY(clock.elapsed() < 10000);
        QCOMPARE(out.result->status, model::status::Critical);
        QCOMPARE(out.result->output, QStringLiteral("Timed out (300ms) running check"));
    }

    void scriptMissingProgram()
    {
        QtTimerMaker timers;
        auto probe = makeScriptProbe({QStringLiteral("/nonexistent/check-program")}, 5000, 4096, timers);
        Outcome out;
        probe->run(out.callback());
        QTRY_VERIFY_WITH_TIMEOUT(out.result.has_value(), 5000);
        QCOMPARE(out.result->status, model::status::Critical);
        QVERIFY2(out.result->output.startsWith(QStringLiteral("exec: \"/nonexistent/check-program\": ")),
                 qPrintable(out.result->output));
    }

    void timeoutDefaults_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<qint64>("intervalMs");
        QTest::addColumn<qint64>("timeoutMs");
        QTest::addColumn<qint64>("expected");
        QTest::newRow("http default") << "http" << qint64(30000) << qint64(0) << qint64(10000);
        QTest::newRow("http short interval") << "http" << qint64(2000) << qint64(0) << qint64(2000);
        QTest::newRow("http explicit") << "http" << qint64(2000) << qint64(1000) << qint64(1000);
        QTest::newRow("tcp default") << "tcp" << qint64(60000) << qint64(0) << qint64(10000);
        QTest::newRow("script default") << "script" << qint64(5000) << qint64(0) << qint64(30000);
        QTest::newRow("script explicit") << "script" << qint64(5000) << qint64(3000) << qint64(3000);
    }
    void timeoutDefaults()
    {
        QFETCH(QString, type);
        QFETCH(qint64, intervalMs);
        QFETCH(qint64, timeoutMs);
        QFETCH(qint64, expected);
        model::CheckDefinition def;
        def.interval = intervalMs * 1000000;
        def.timeout = timeoutMs * 1000000;
        QCOMPARE(checkTimeoutMs(type, def), expected);
    }
};

QTEST_MAIN(TestCheckRunners)
#include "tst_check_runners.moc"
