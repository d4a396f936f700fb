// Health checking end to end against the real agent (issue #3): an HTTP check against a server of
// this test turns passing, then critical when the server goes away; a TCP check; script checks
// refused without -enable-script-checks; the `services` CLI verbs; and agent registrations
// (services, checks, TTL state, maintenance) surviving a restart.
#include "support/agent_process.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

using conclave::support::AgentProcess;
using conclave::support::HttpResult;
using conclave::support::httpRequest;

namespace {

/// Answers every request with 200 "ok" and closes; stop() refuses further connections.
class HealthServer : public QObject {
public:
    HealthServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this]() {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                m_sockets.append(s);
                connect(s, &QTcpSocket::readyRead, s, [s]() {
                    if (!s->peek(1 << 16).contains("\r\n\r\n"))
                        return;
                    s->readAll();
                    s->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
                    s->disconnectFromHost();
                });
            }
        });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }
    void stop()
    {
        m_server.close();
        for (QTcpSocket *s : std::as_const(m_sockets))
            s->abort();
    }

private:
    QTcpServer m_server;
    QList<QPointer<QTcpSocket>> m_sockets;
};

}  // namespace

class TestChecks : public QObject {
    Q_OBJECT

private:
    AgentProcess m_agent;
    QTemporaryDir m_files;

    QString url(const QString &path) const { return m_agent.baseUrl() + path; }
    HttpResult get(const QString &path) { return httpRequest("GET", url(path)); }
    HttpResult put(const QString &path, const QByteArray &body = {}) { return httpRequest("PUT", url(path), body); }
    static QJsonValue parse(const QByteArray &body)
    {
        const QJsonDocument d = QJsonDocument::fromJson(body);
        return d.isArray() ? QJsonValue(d.array()) : QJsonValue(d.object());
    }
    QJsonObject agentCheck(const QString &id) { return parse(get(QStringLiteral("/v1/agent/checks")).body).toObject().value(id).toObject(); }
    int passingInstances(const QString &service)
    {
        return int(parse(get(QStringLiteral("/v1/health/service/%1?passing").arg(service)).body).toArray().size());
    }

    /// Runs a CLI verb against the agent with the event loop running (the test's servers keep
    /// answering meanwhile); returns (exit code, stdout, stderr).
    std::tuple<int, QString, QString> cli(QStringList args)
    {
        args.insert(2, QStringLiteral("-http-addr=") + m_agent.baseUrl());
        QProcess p;
        p.start(conclave::support::agentBinaryPath(), args);
        if (!QTest::qWaitFor([&p] { return p.state() == QProcess::NotRunning; }, 20000)) {
            p.kill();
            p.waitForFinished(5000);
            return {-1, {}, QStringLiteral("timeout")};
        }
        return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(!conclave::support::agentBinaryPath().isEmpty(), "the conclave binary was not built");
        QVERIFY(m_files.isValid());
        QVERIFY2(m_agent.start({QStringLiteral("-node"), QStringLiteral("checks-node")}), qPrintable(m_agent.errorString()));
    }
    void cleanup() { m_agent.dumpLogOnFailure(); }
    void cleanupTestCase() { QVERIFY(m_agent.terminate(15000)); }

    void httpCheckFollowsTheServer()
    {
        HealthServer server;
        QVERIFY(server.listen());
        const QString target = QStringLiteral("http://127.0.0.1:%1/health").arg(server.port());
        const QByteArray body = QStringLiteral(R"({"Name":"web","Port":%1,"Tags":["v2"],"Check":{"HTTP":"%2","Interval":"2s","Timeout":"1s"}})")
                                    .arg(server.port())
                                    .arg(target)
                                    .toUtf8();
        QCOMPARE(put(QStringLiteral("/v1/agent/service/register"), body).status, 200);
        QCOMPARE(agentCheck(QStringLiteral("service:web")).value("Status").toString(), QStringLiteral("critical"));
        QCOMPARE(passingInstances(QStringLiteral("web")), 0);

        // First run within one interval (random stagger), so passing within about two; the margin
        // is for loaded CI machines.
        QTRY_COMPARE_WITH_TIMEOUT(passingInstances(QStringLiteral("web")), 1, 10000);
        const QJsonObject check = agentCheck(QStringLiteral("service:web"));
        QCOMPARE(check.value("Status").toString(), QStringLiteral("passing"));
        QCOMPARE(check.value("Type").toString(), QStringLiteral("http"));
        QCOMPARE(check.value("Output").toString(), QStringLiteral("HTTP GET %1: 200 OK Output: ok").arg(target));
        const QJsonArray healthy = parse(get(QStringLiteral("/v1/health/service/web?passing")).body).toArray();
        QCOMPARE(healthy.first().toObject().value("Service").toObject().value("Port").toInt(), int(server.port()));

        server.stop();
        QTRY_COMPARE_WITH_TIMEOUT(agentCheck(QStringLiteral("service:web")).value("Status").toString(),
                                  QStringLiteral("critical"), 10000);
        QVERIFY(agentCheck(QStringLiteral("service:web")).value("Output").toString().startsWith(QStringLiteral("Get \"%1\": ").arg(target)));
        QTRY_COMPARE_WITH_TIMEOUT(get(QStringLiteral("/v1/health/service/web?passing")).body.trimmed(), QByteArray("[]"), 5000);
        // The catalog's copy changed too, not only the agent's.
        const QJsonArray checks = parse(get(QStringLiteral("/v1/health/checks/web")).body).toArray();
        QCOMPARE(checks.size(), 1);
        QCOMPARE(checks.first().toObject().value("Status").toString(), QStringLiteral("critical"));
    }

    void tcpCheck()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        const QString addr = QStringLiteral("127.0.0.1:%1").arg(server.serverPort());
        const QByteArray body = QStringLiteral(R"({"Name":"port-open","TCP":"%1","Interval":"1s","Status":"critical"})").arg(addr).toUtf8();
        QCOMPARE(put(QStringLiteral("/v1/agent/check/register"), body).status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(agentCheck(QStringLiteral("port-open")).value("Status").toString(), QStringLiteral("passing"), 10000);
        QCOMPARE(agentCheck(QStringLiteral("port-open")).value("Output").toString(), QStringLiteral("TCP connect %1: Success").arg(addr));
        QCOMPARE(put(QStringLiteral("/v1/agent/check/deregister/port-open")).status, 200);
    }

    void scriptChecksNeedTheOption()
    {
        const QByteArray text = "Scripts are disabled on this agent from remote calls; to enable, configure "
                                "'enable_script_checks' to true";
        HttpResult r = put(QStringLiteral("/v1/agent/check/register"), R"({"Name":"disk","Args":["/bin/true"],"Interval":"10s"})");
        QCOMPARE(r.status, 500);
        QCOMPARE(r.body, text);
        r = put(QStringLiteral("/v1/agent/service/register"), R"({"Name":"job","Check":{"Args":["/bin/true"],"Interval":"10s"}})");
        QCOMPARE(r.status, 500);
        QCOMPARE(r.body, text);
        QCOMPARE(get(QStringLiteral("/v1/agent/service/job")).status, 404);
        QVERIFY(!parse(get(QStringLiteral("/v1/agent/checks")).body).toObject().contains("disk"));
    }

    void servicesCli()
    {
        auto [code, out, err] = cli({QStringLiteral("services"), QStringLiteral("register"), QStringLiteral("-name=api"),
                                     QStringLiteral("-port=9000"), QStringLiteral("-tag=blue"), QStringLiteral("-tag=v1"),
                                     QStringLiteral("-meta=team=core")});
        QCOMPARE(code, 0);
        QCOMPARE(out, QStringLiteral("Registered service: api\n"));
        QJsonObject svc = parse(get(QStringLiteral("/v1/agent/service/api")).body).toObject();
        QCOMPARE(svc.value("Port").toInt(), 9000);
        QCOMPARE(svc.value("Tags").toArray(), (QJsonArray{"blue", "v1"}));
        QCOMPARE(svc.value("Meta").toObject().value("team").toString(), QStringLiteral("core"));

        std::tie(code, out, err) = cli({QStringLiteral("catalog"), QStringLiteral("services"), QStringLiteral("-tags")});
        QCOMPARE(code, 0);
        QVERIFY2(out.contains(QRegularExpression(QStringLiteral("(^|\\n)api +blue,v1\\n"))), qPrintable(out));

        // From a Consul-style definition file (lower-case keys, "service" and "services").
        const QString file = m_files.filePath(QStringLiteral("svc.json"));
        {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(R"({"service":{"name":"files","id":"files-1","port":7000,"check":{"ttl":"30s"}},)"
                    R"("services":[{"name":"more","port":7001}]})");
        }
        std::tie(code, out, err) = cli({QStringLiteral("services"), QStringLiteral("register"), file});
        QCOMPARE(code, 0);
        QCOMPARE(out, QStringLiteral("Registered service: files\nRegistered service: more\n"));
        QCOMPARE(parse(get(QStringLiteral("/v1/agent/service/files-1")).body).toObject().value("Port").toInt(), 7000);
        QCOMPARE(agentCheck(QStringLiteral("service:files-1")).value("Type").toString(), QStringLiteral("ttl"));

        std::tie(code, out, err) = cli({QStringLiteral("services"), QStringLiteral("deregister"), file});
        QCOMPARE(code, 0);
        QCOMPARE(out, QStringLiteral("Deregistered service: files-1\nDeregistered service: more\n"));
        QCOMPARE(get(QStringLiteral("/v1/agent/service/files-1")).status, 404);
        QCOMPARE(get(QStringLiteral("/v1/agent/service/more")).status, 404);

        std::tie(code, out, err) = cli({QStringLiteral("services"), QStringLiteral("deregister"), QStringLiteral("-id=api")});
        QCOMPARE(code, 0);
        QCOMPARE(out, QStringLiteral("Deregistered service: api\n"));
        QCOMPARE(get(QStringLiteral("/v1/agent/service/api")).status, 404);

        // Usage errors, as Consul words them.
        std::tie(code, out, err) = cli({QStringLiteral("services"), QStringLiteral("register")});
        QCOMPARE(code, 1);
        QVERIFY2(err.startsWith(QStringLiteral("Service registration requires at least one argument or flags.")), qPrintable(err));
        std::tie(code, out, err) = cli({QStringLiteral("services"), QStringLiteral("register"), QStringLiteral("-name=x"), file});
        QCOMPARE(code, 1);
        QVERIFY2(err.startsWith(QStringLiteral("Service registration requires arguments or -id, not both.")), qPrintable(err));
        std::tie(code, out, err) = cli({QStringLiteral("services"), QStringLiteral("register"), QStringLiteral("-port=1")});
        QCOMPARE(code, 1);
    }

    void restartKeepsAgentRegistrations()
    {
        QCOMPARE(put(QStringLiteral("/v1/agent/service/register"),
                     R"({"Name":"keep","Port":8123,"Tags":["a"],"Check":{"TTL":"10m"}})").status, 200);
        QCOMPARE(put(QStringLiteral("/v1/agent/check/pass/service:keep?note=fine")).status, 200);
        QCOMPARE(put(QStringLiteral("/v1/agent/check/register"), R"({"Name":"node-beat","TTL":"10m","Notes":"n","Status":"passing"})").status, 200);
        QCOMPARE(put(QStringLiteral("/v1/agent/service/maintenance/keep?enable=true&reason=upgrade")).status, 200);
        QCOMPARE(put(QStringLiteral("/v1/agent/service/register"), R"({"Name":"dropped","Port":1})").status, 200);
        QCOMPARE(put(QStringLiteral("/v1/agent/service/deregister/dropped")).status, 200);

        QVERIFY(m_agent.terminate(15000));
        QVERIFY2(m_agent.start({QStringLiteral("-node"), QStringLiteral("checks-node")}), qPrintable(m_agent.errorString()));

        const QJsonObject services = parse(get(QStringLiteral("/v1/agent/services")).body).toObject();
        QVERIFY2(services.contains("keep"), get(QStringLiteral("/v1/agent/services")).body.constData());
        QVERIFY(services.contains("web"));
        QVERIFY(!services.contains("dropped"));
        QCOMPARE(services.value("keep").toObject().value("Port").toInt(), 8123);
        QCOMPARE(services.value("keep").toObject().value("Tags").toArray(), (QJsonArray{"a"}));

        const QJsonObject checks = parse(get(QStringLiteral("/v1/agent/checks")).body).toObject();
        QCOMPARE(checks.value("service:keep").toObject().value("Status").toString(), QStringLiteral("passing"));
        QCOMPARE(checks.value("service:keep").toObject().value("Output").toString(), QStringLiteral("fine"));
        QCOMPARE(checks.value("node-beat").toObject().value("Notes").toString(), QStringLiteral("n"));
        QCOMPARE(checks.value("_service_maintenance:keep").toObject().value("Notes").toString(), QStringLiteral("upgrade"));
        QCOMPARE(checks.value("service:web").toObject().value("Type").toString(), QStringLiteral("http"));

        // The catalog shows them too, and maintenance still keeps "keep" out of ?passing.
        QTRY_COMPARE_WITH_TIMEOUT(parse(get(QStringLiteral("/v1/catalog/service/keep")).body).toArray().size(), 1, 5000);
        QCOMPARE(passingInstances(QStringLiteral("keep")), 0);
        QCOMPARE(put(QStringLiteral("/v1/agent/service/maintenance/keep?enable=false")).status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(passingInstances(QStringLiteral("keep")), 1, 5000);
    }
};

QTEST_MAIN(TestChecks)
#include "tst_checks.moc"
