// Self-test of AgentProcess and httpRequest against fake_agent (a tiny QTcpServer that logs
// Consul's "Started HTTP server" line), so the support library is checked without the real agent.

#include "support/agent_process.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

using conclave::support::AgentProcess;
using conclave::support::httpRequest;

class TestAgentProcess : public QObject
{
    Q_OBJECT
private slots:
    void startReadsPortFromLogAndServes();
    void httpRequestReturnsStatusBodyAndHeaders_data();
    void httpRequestReturnsStatusBodyAndHeaders();
    void terminateReportsCleanExit();
    void kill9ThenRestartKeepsDataDir();
    void setDataDirIsPassedToAgent();
    void startFailsWhenAgentExitsEarly();
    void startFailsWhenAgentNeverListens();
    void startFailsForMissingBinary();
    void httpRequestReportsRefusedConnection();

private:
    static QString fakeAgent() { return QStringLiteral(FAKE_AGENT_BINARY); }
};

void TestAgentProcess::startReadsPortFromLogAndServes()
{
    AgentProcess agent(fakeAgent());
    QVERIFY2(agent.start(), qPrintable(agent.errorString()));
    QVERIFY(agent.isRunning());
    QVERIFY(agent.pid() > 0);
    QVERIFY(agent.httpPort() != 0);
    QCOMPARE(agent.httpHost(), QStringLiteral("127.0.0.1"));
    QCOMPARE(agent.baseUrl(), QStringLiteral("http://127.0.0.1:%1").arg(agent.httpPort()));
    QCOMPARE(agent.dnsPort(), quint16(8600));
    QVERIFY(QDir(agent.dataDir()).exists());
    QVERIFY(agent.log().contains("fake agent args: agent -dev -http-port 0 -dns-port 0 -server-port 0 "
                                 "-serf-lan-port 0 -serf-wan-port 0 -data-dir "
                                 + agent.dataDir().toLocal8Bit() + '\n'));
    const auto reply = httpRequest("GET", agent.baseUrl() + QStringLiteral("/v1/kv/a"));
    QVERIFY2(reply.ok, qPrintable(reply.error));
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body, QByteArray("GET /v1/kv/a\n"));
}

void TestAgentProcess::httpRequestReturnsStatusBodyAndHeaders_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("expectedBody");

    QTest::newRow("put with a value") << QByteArray("PUT") << "/v1/kv/k?cas=0" << QByteArray("hello")
                                      << 200 << QByteArray("PUT /v1/kv/k?cas=0\nhello");
    QTest::newRow("put with an empty body") << QByteArray("PUT") << "/v1/kv/k" << QByteArray() << 200
                                            << QByteArray("PUT /v1/kv/k\n");
    QTest::newRow("delete") << QByteArray("DELETE") << "/v1/kv/k?recurse" << QByteArray() << 200
                            << QByteArray("DELETE /v1/kv/k?recurse\n");
    QTest::newRow("not found is still a reply") << QByteArray("GET") << "/missing/x" << QByteArray()
                                                << 404 << QByteArray("GET /missing/x\n");
}

void TestAgentProcess::httpRequestReturnsStatusBodyAndHeaders()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QByteArray, expectedBody);

    AgentProcess agent(fakeAgent());
    QVERIFY2(agent.start(), qPrintable(agent.errorString()));
    const auto reply = httpRequest(method, agent.baseUrl() + path, body);
    QVERIFY2(reply.ok, qPrintable(reply.error));
    QCOMPARE(reply.status, status);
    QCOMPARE(reply.body, expectedBody);
    QCOMPARE(reply.headers.value("X-Consul-Index"), QByteArray("7"));
    QCOMPARE(reply.header("x-consul-index"), QByteArray("7"));
    QVERIFY(reply.error.isEmpty());
}

void TestAgentProcess::terminateReportsCleanExit()
{
    AgentProcess agent(fakeAgent());
    QVERIFY2(agent.start(), qPrintable(agent.errorString()));
    QVERIFY(agent.terminate(5000));
    QVERIFY(!agent.isRunning());
    QCOMPARE(agent.exitCode(), 0);
    QCOMPARE(agent.exitStatus(), QProcess::NormalExit);
}

void TestAgentProcess::kill9ThenRestartKeepsDataDir()
{
    AgentProcess agent(fakeAgent());
    QVERIFY2(agent.start(), qPrintable(agent.errorString()));
    const qint64 firstPid = agent.pid();
    const QString dir = agent.dataDir();
    QVERIFY(agent.kill9());
    QVERIFY(!agent.isRunning());
    QCOMPARE(agent.exitStatus(), QProcess::CrashExit);
    QVERIFY(QDir(dir).exists());

    QVERIFY2(agent.start(), qPrintable(agent.errorString()));
    QVERIFY(agent.pid() != firstPid);
    QCOMPARE(agent.dataDir(), dir);
    QCOMPARE(agent.log().count("=== start: "), 2);
    QCOMPARE(agent.log().count("Started HTTP server on"), 2);
}

void TestAgentProcess::setDataDirIsPassedToAgent()
{
    QTemporaryDir dir;
    AgentProcess agent(fakeAgent());
    agent.setDataDir(dir.path());
    QVERIFY2(agent.start({QStringLiteral("-node"), QStringLiteral("n1")}), qPrintable(agent.errorString()));
    QCOMPARE(agent.dataDir(), dir.path());
    QVERIFY(agent.log().contains("-data-dir " + dir.path().toLocal8Bit() + " -node n1"));
}

void TestAgentProcess::startFailsWhenAgentExitsEarly()
{
    AgentProcess agent(fakeAgent());
    QVERIFY(!agent.start({QStringLiteral("-fake-exit")}, 5000));
    QVERIFY(!agent.isRunning());
    QCOMPARE(agent.exitCode(), 3);
    QVERIFY2(agent.errorString().contains(QStringLiteral("exited (code 3)")), qPrintable(agent.errorString()));
    QCOMPARE(agent.httpPort(), quint16(0));
}

void TestAgentProcess::startFailsWhenAgentNeverListens()
{
    AgentProcess agent(fakeAgent());
    QVERIFY(!agent.start({QStringLiteral("-fake-silent")}, 300));
    QVERIFY(!agent.isRunning());  // the silent child was killed, not leaked
    QVERIFY2(agent.errorString().contains(QStringLiteral("within 300 ms")), qPrintable(agent.errorString()));
}

void TestAgentProcess::startFailsForMissingBinary()
{
    AgentProcess agent(QStringLiteral("/nonexistent/conclave"));
    QVERIFY(!agent.start());
    QVERIFY(agent.errorString().contains(QStringLiteral("/nonexistent/conclave")));
    QCOMPARE(agent.pid(), qint64(0));
}

void TestAgentProcess::httpRequestReportsRefusedConnection()
{
    AgentProcess agent(fakeAgent());
    QVERIFY2(agent.start(), qPrintable(agent.errorString()));
    const QString url = agent.baseUrl() + QStringLiteral("/v1/kv/a");
    QVERIFY(agent.kill9());
    const auto reply = httpRequest("GET", url, {}, 5000);
    QVERIFY(!reply.ok);
    QCOMPARE(reply.status, 0);
    QVERIFY(!reply.error.isEmpty());
}

QTEST_GUILESS_MAIN(TestAgentProcess)
#include "tst_agent_process.moc"
