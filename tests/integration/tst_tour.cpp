// The README's five-minute tour, end to end against a real dev agent: KV, blocking queries,
// catalog, health, agent endpoints and the CLI verbs.
#include "support/agent_process.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QtTest>

using conclave::support::AgentProcess;
using conclave::support::HttpResult;
using conclave::support::httpRequest;

class TestTour : public QObject {
    Q_OBJECT

private:
    AgentProcess m_agent;
    QString url(const QString &path) const { return m_agent.baseUrl() + path; }
    HttpResult get(const QString &path) { return httpRequest("GET", url(path)); }
    HttpResult put(const QString &path, const QByteArray &body = {}) { return httpRequest("PUT", url(path), body); }
    static QJsonValue parse(const QByteArray &body)
    {
        QJsonParseError err{};
        const QJsonDocument d = QJsonDocument::fromJson(body, &err);
        if (err.error != QJsonParseError::NoError) {
            // Scalars (true/false/"x") are valid JSON texts that QJsonDocument does not take alone.
            const QJsonDocument w = QJsonDocument::fromJson("[" + body + "]");
            return w.array().isEmpty() ? QJsonValue() : w.array().first();
        }
        return d.isArray() ? QJsonValue(d.array()) : QJsonValue(d.object());
    }
    /// Runs a CLI verb against the agent; returns (exit code, stdout, stderr).
    std::tuple<int, QString, QString> cli(const QStringList &args, const QByteArray &stdinData = {})
    {
        QProcess p;
        QStringList all = args;
        // Consul's CLI takes flags after the subcommand: `kv put -http-addr=… key value`.
        const int at = (args.first() == QLatin1String("kv") || args.first() == QLatin1String("catalog")) ? 2 : 1;
        all.insert(at, QStringLiteral("-http-addr=") + m_agent.baseUrl());
        p.start(conclave::support::agentBinaryPath(), all);
        if (!stdinData.isEmpty())
            p.write(stdinData);
        p.closeWriteChannel();
        if (!p.waitForFinished(20000))
            return {-1, {}, QStringLiteral("timeout")};
        return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(!conclave::support::agentBinaryPath().isEmpty(), "the conclave binary was not built");
        QVERIFY2(m_agent.start({QStringLiteral("-node"), QStringLiteral("tour-node")}), qPrintable(m_agent.errorString()));
    }
    void cleanup() { m_agent.dumpLogOnFailure(); }
    void cleanupTestCase() { QVERIFY(m_agent.terminate(15000)); }

    void kvPutGetRawKeys()
    {
        HttpResult r = put(QStringLiteral("/v1/kv/app/greeting"), "hello");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body.trimmed(), QByteArray("true"));
        QVERIFY(r.header("Content-Type").startsWith("application/json"));

        r = get(QStringLiteral("/v1/kv/app/greeting"));
        QCOMPARE(r.status, 200);
        const QJsonArray arr = parse(r.body).toArray();
        QCOMPARE(arr.size(), 1);
        const QJsonObject e = arr.first().toObject();
        QCOMPARE(e.value("Key").toString(), QStringLiteral("app/greeting"));
        QCOMPARE(e.value("Value").toString(), QStringLiteral("aGVsbG8="));
        QCOMPARE(e.value("Flags").toInteger(), 0);
        QCOMPARE(e.value("LockIndex").toInteger(), 0);
        QVERIFY(!e.contains("Session"));
        const qint64 modify = e.value("ModifyIndex").toInteger();
        QVERIFY(modify > 0);
        QCOMPARE(e.value("CreateIndex").toInteger(), modify);
        QCOMPARE(r.header("X-Consul-Index").toLongLong(), modify);
        QCOMPARE(r.header("X-Consul-KnownLeader"), QByteArray("true"));
        QCOMPARE(r.header("X-Consul-LastContact"), QByteArray("0"));

        r = get(QStringLiteral("/v1/kv/app/greeting?raw"));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("hello"));

        QCOMPARE(put(QStringLiteral("/v1/kv/app/sub/deep"), "x").status, 200);
        r = get(QStringLiteral("/v1/kv/app/?keys&separator=/"));
        QCOMPARE(r.status, 200);
        QCOMPARE(parse(r.body).toArray(), (QJsonArray{"app/greeting", "app/sub/"}));

        r = get(QStringLiteral("/v1/kv/missing/key"));
        QCOMPARE(r.status, 404);
        QVERIFY(r.body.isEmpty());
        QVERIFY(r.header("X-Consul-Index").toLongLong() >= 1);

        // An empty value reads back as null.
        QCOMPARE(put(QStringLiteral("/v1/kv/app/empty")).status, 200);
        r = get(QStringLiteral("/v1/kv/app/empty"));
        QVERIFY(parse(r.body).toArray().first().toObject().value("Value").isNull());
    }

    void kvCasAndDelete()
    {
        HttpResult r = put(QStringLiteral("/v1/kv/cas/key?cas=0"), "first");
        QCOMPARE(r.body.trimmed(), QByteArray("true"));
        r = put(QStringLiteral("/v1/kv/cas/key?cas=0"), "second");
        QCOMPARE(r.body.trimmed(), QByteArray("false"));  // exists already
        r = get(QStringLiteral("/v1/kv/cas/key"));
        const qint64 idx = parse(r.body).toArray().first().toObject().value("ModifyIndex").toInteger();
        r = put(QStringLiteral("/v1/kv/cas/key?cas=1"), "x");
        QCOMPARE(r.body.trimmed(), QByteArray("false"));  // index moved on
        r = put(QStringLiteral("/v1/kv/cas/key?cas=%1").arg(idx), "third");
        QCOMPARE(r.body.trimmed(), QByteArray("true"));
        QCOMPARE(get(QStringLiteral("/v1/kv/cas/key?raw")).body, QByteArray("third"));

        r = httpRequest("DELETE", url(QStringLiteral("/v1/kv/cas/key?cas=1")));
        QCOMPARE(r.body.trimmed(), QByteArray("false"));
        r = httpRequest("DELETE", url(QStringLiteral("/v1/kv/cas?recurse")));
        QCOMPARE(r.body.trimmed(), QByteArray("true"));
        QCOMPARE(get(QStringLiteral("/v1/kv/cas/key")).status, 404);
    }

    void kvBadInput_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("status");
        QTest::newRow("get without key") << QByteArray("GET") << "/v1/kv/" << 400;
        QTest::newRow("bad cas") << QByteArray("PUT") << "/v1/kv/a?cas=abc" << 400;
        QTest::newRow("bad flags") << QByteArray("PUT") << "/v1/kv/a?flags=-1" << 400;
        QTest::newRow("cas with recurse") << QByteArray("DELETE") << "/v1/kv/a?recurse&cas=1" << 400;
        QTest::newRow("bad index") << QByteArray("GET") << "/v1/kv/a?index=x" << 400;
        QTest::newRow("bad wait") << QByteArray("GET") << "/v1/kv/a?index=1&wait=10" << 400;
        QTest::newRow("stale and consistent") << QByteArray("GET") << "/v1/kv/a?stale&consistent" << 400;
        QTest::newRow("unknown path") << QByteArray("GET") << "/v1/nope" << 404;
        QTest::newRow("wrong method") << QByteArray("POST") << "/v1/kv/a" << 405;
        QTest::newRow("other dc") << QByteArray("GET") << "/v1/kv/a?dc=dc9" << 500;
        QTest::newRow("sessions not built yet") << QByteArray("PUT") << "/v1/session/create" << 501;
        QTest::newRow("txn not built yet") << QByteArray("PUT") << "/v1/txn" << 501;
        QTest::newRow("acquire not built yet") << QByteArray("PUT") << "/v1/kv/a?acquire=x" << 501;
    }
    void kvBadInput()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(int, status);
        const HttpResult r = httpRequest(method, url(path), method == "PUT" ? QByteArray("v") : QByteArray());
        QCOMPARE(r.status, status);
        if (status == 405)
            QVERIFY(r.header("Allow").contains("GET"));
        if (status == 400 || status == 500 || status == 501)
            QVERIFY2(!r.body.isEmpty(), "an error must say why");
    }

    void kvValueTooLarge()
    {
        const HttpResult r = put(QStringLiteral("/v1/kv/big"), QByteArray(512 * 1024 + 1, 'x'));
        QCOMPARE(r.status, 413);
        QCOMPARE(put(QStringLiteral("/v1/kv/big"), QByteArray(512 * 1024, 'x')).status, 200);
    }

    void blockingQueryWakesOnChange()
    {
        put(QStringLiteral("/v1/kv/watch/me"), "v1");
        HttpResult r = get(QStringLiteral("/v1/kv/watch/me"));
        const QByteArray index = r.header("X-Consul-Index");
        QVERIFY(index.toLongLong() > 0);

        // Park a query, then write an unrelated key (must not wake it) and the watched key.
        QNetworkAccessManager nam;
        nam.setProxy(QNetworkProxy::NoProxy);
        QElapsedTimer timer;
        timer.start();
        QNetworkReply *reply = nam.get(QNetworkRequest(QUrl(url(QStringLiteral("/v1/kv/watch/me?index=%1&wait=30s").arg(QString::fromLatin1(index))))));
        put(QStringLiteral("/v1/kv/unrelated"), "noise");
        // Round trips after the unrelated write: any wake-up it caused has been handled by now
        // (the agent serves one event loop in order), and our loop has seen any answer.
        get(QStringLiteral("/v1/status/leader"));
        get(QStringLiteral("/v1/status/leader"));
        QVERIFY(!reply->isFinished());
        put(QStringLiteral("/v1/kv/watch/me"), "v2");
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
        QVERIFY(timer.elapsed() < 20000);
        const QByteArray body = reply->readAll();
        QCOMPARE(parse(body).toArray().first().toObject().value("Value").toString(), QString::fromLatin1(QByteArray("v2").toBase64()));
        QVERIFY(reply->rawHeader("X-Consul-Index").toLongLong() > index.toLongLong());
        reply->deleteLater();
    }

    void blockingQueryTimesOut()
    {
        HttpResult r = get(QStringLiteral("/v1/kv/watch/me"));
        const QByteArray index = r.header("X-Consul-Index");
        QElapsedTimer t;
        t.start();
        r = get(QStringLiteral("/v1/kv/watch/me?index=%1&wait=1s").arg(QString::fromLatin1(index)));
        QCOMPARE(r.status, 200);
        QVERIFY2(t.elapsed() >= 900, "a wait=1s query returned before its deadline");
        QCOMPARE(r.header("X-Consul-Index"), index);
    }

    void catalogRegisterAndQuery()
    {
        const QByteArray node = R"({"Node":"ext-1","Address":"10.1.2.3","NodeMeta":{"rack":"r1"},
            "Service":{"Service":"web","Tags":["v2","primary"],"Port":8080},
            "Check":{"Name":"web alive","ServiceID":"web","Status":"passing"}})";
        HttpResult r = put(QStringLiteral("/v1/catalog/register"), node);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body.trimmed(), QByteArray("true"));

        r = get(QStringLiteral("/v1/catalog/service/web"));
        QCOMPARE(r.status, 200);
        QJsonArray arr = parse(r.body).toArray();
        QCOMPARE(arr.size(), 1);
        QJsonObject sn = arr.first().toObject();
        QCOMPARE(sn.value("Node").toString(), QStringLiteral("ext-1"));
        QCOMPARE(sn.value("Address").toString(), QStringLiteral("10.1.2.3"));
        QCOMPARE(sn.value("ServiceName").toString(), QStringLiteral("web"));
        QCOMPARE(sn.value("ServiceID").toString(), QStringLiteral("web"));
        QCOMPARE(sn.value("ServicePort").toInt(), 8080);
        QCOMPARE(sn.value("ServiceTags").toArray(), (QJsonArray{"v2", "primary"}));
        QCOMPARE(sn.value("Datacenter").toString(), QStringLiteral("dc1"));
        QCOMPARE(sn.value("NodeMeta").toObject().value("rack").toString(), QStringLiteral("r1"));

        QCOMPARE(parse(get(QStringLiteral("/v1/catalog/service/web?tag=v2&tag=primary")).body).toArray().size(), 1);
        QCOMPARE(parse(get(QStringLiteral("/v1/catalog/service/web?tag=v3")).body).toArray().size(), 0);
        QCOMPARE(parse(get(QStringLiteral("/v1/catalog/service/web?node-meta=rack:r1")).body).toArray().size(), 1);
        QCOMPARE(parse(get(QStringLiteral("/v1/catalog/service/web?node-meta=rack:r2")).body).toArray().size(), 0);

        const QJsonObject services = parse(get(QStringLiteral("/v1/catalog/services")).body).toObject();
        QVERIFY(services.contains("consul"));  // the dev server registers itself
        QCOMPARE(services.value("web").toArray().size(), 2);

        QJsonArray nodes = parse(get(QStringLiteral("/v1/catalog/nodes")).body).toArray();
        QStringList names;
        for (const auto &n : nodes)
            names << n.toObject().value("Node").toString();
        QCOMPARE(names, (QStringList{"ext-1", "tour-node"}));

        const QJsonObject catNode = parse(get(QStringLiteral("/v1/catalog/node/ext-1")).body).toObject();
        QVERIFY(catNode.value("Services").toObject().contains("web"));
        QCOMPARE(get(QStringLiteral("/v1/catalog/node/nobody")).body.trimmed(), QByteArray("null"));
        QCOMPARE(parse(get(QStringLiteral("/v1/catalog/datacenters")).body).toArray(), QJsonArray{"dc1"});

        // Health: the instance with its check; ?passing keeps it while the check passes.
        arr = parse(get(QStringLiteral("/v1/health/service/web?passing")).body).toArray();
        QCOMPARE(arr.size(), 1);
        const QJsonObject csn = arr.first().toObject();
        QCOMPARE(csn.value("Service").toObject().value("Service").toString(), QStringLiteral("web"));
        QCOMPARE(csn.value("Checks").toArray().size(), 1);
        QCOMPARE(csn.value("Checks").toArray().first().toObject().value("Status").toString(), QStringLiteral("passing"));

        // Turning the check critical drops the instance from ?passing but not from the plain list.
        r = put(QStringLiteral("/v1/catalog/register"),
                R"({"Node":"ext-1","Address":"10.1.2.3","Check":{"Name":"web alive","ServiceID":"web","Status":"critical"}})");
        QCOMPARE(r.status, 200);
        QCOMPARE(parse(get(QStringLiteral("/v1/health/service/web?passing")).body).toArray().size(), 0);
        QCOMPARE(parse(get(QStringLiteral("/v1/health/service/web")).body).toArray().size(), 1);
        QCOMPARE(parse(get(QStringLiteral("/v1/health/state/critical")).body).toArray().size(), 1);
        QCOMPARE(parse(get(QStringLiteral("/v1/health/checks/web")).body).toArray().size(), 1);
        QVERIFY(parse(get(QStringLiteral("/v1/health/node/tour-node")).body).toArray().size() >= 1);  // serfHealth

        r = put(QStringLiteral("/v1/catalog/deregister"), R"({"Node":"ext-1"})");
        QCOMPARE(r.body.trimmed(), QByteArray("true"));
        QCOMPARE(parse(get(QStringLiteral("/v1/catalog/service/web")).body).toArray().size(), 0);

        QCOMPARE(put(QStringLiteral("/v1/catalog/register"), "{not json").status, 400);
        QCOMPARE(put(QStringLiteral("/v1/catalog/register"), R"({"Address":"1.2.3.4"})").status, 400);
    }

    void agentServicesAndTtlChecks()
    {
        HttpResult r = put(QStringLiteral("/v1/agent/service/register"),
                           R"({"Name":"api","Port":9000,"Tags":["t1"],"Check":{"TTL":"30s"}})");
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.isEmpty());
        const QJsonObject services = parse(get(QStringLiteral("/v1/agent/services")).body).toObject();
        QCOMPARE(services.value("api").toObject().value("Port").toInt(), 9000);
        QCOMPARE(get(QStringLiteral("/v1/agent/service/api")).status, 200);
        QCOMPARE(get(QStringLiteral("/v1/agent/service/nope")).status, 404);

        QJsonObject checks = parse(get(QStringLiteral("/v1/agent/checks")).body).toObject();
        QCOMPARE(checks.value("service:api").toObject().value("Status").toString(), QStringLiteral("critical"));
        QCOMPARE(parse(get(QStringLiteral("/v1/health/service/api?passing")).body).toArray().size(), 0);

        QCOMPARE(put(QStringLiteral("/v1/agent/check/pass/service:api?note=ok")).status, 200);
        checks = parse(get(QStringLiteral("/v1/agent/checks")).body).toObject();
        QCOMPARE(checks.value("service:api").toObject().value("Status").toString(), QStringLiteral("passing"));
        QCOMPARE(checks.value("service:api").toObject().value("Output").toString(), QStringLiteral("ok"));
        const QJsonArray healthy = parse(get(QStringLiteral("/v1/health/service/api?passing")).body).toArray();
        QCOMPARE(healthy.size(), 1);
        QCOMPARE(healthy.first().toObject().value("Node").toObject().value("Node").toString(), QStringLiteral("tour-node"));

        r = put(QStringLiteral("/v1/agent/check/update/service:api"), R"({"Status":"warning","Output":"slow"})");
        QCOMPARE(r.status, 200);
        QCOMPARE(parse(get(QStringLiteral("/v1/health/checks/api")).body).toArray().first().toObject().value("Status").toString(),
                 QStringLiteral("warning"));
        QCOMPARE(put(QStringLiteral("/v1/agent/check/update/service:api"), R"({"Status":"bogus"})").status, 400);

        r = put(QStringLiteral("/v1/agent/check/pass/nonexistent"));
        QCOMPARE(r.status, 500);
        QCOMPARE(r.body, QByteArray("CheckID \"nonexistent\" does not have associated TTL"));

        // A short TTL expires into critical by itself.
        QCOMPARE(put(QStringLiteral("/v1/agent/check/register"), R"({"Name":"beat","TTL":"1s","Status":"passing"})").status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(parse(get(QStringLiteral("/v1/agent/checks")).body).toObject().value("beat").toObject().value("Status").toString(),
                                  QStringLiteral("critical"), 10000);
        QCOMPARE(parse(get(QStringLiteral("/v1/agent/checks")).body).toObject().value("beat").toObject().value("Output").toString(),
                 QStringLiteral("TTL expired"));

        // Maintenance mode adds the critical _service_maintenance check and removes it again.
        QCOMPARE(put(QStringLiteral("/v1/agent/service/maintenance/api?enable=true&reason=deploy")).status, 200);
        checks = parse(get(QStringLiteral("/v1/agent/checks")).body).toObject();
        QCOMPARE(checks.value("_service_maintenance:api").toObject().value("Notes").toString(), QStringLiteral("deploy"));
        QCOMPARE(put(QStringLiteral("/v1/agent/service/maintenance/api?enable=false")).status, 200);
        QVERIFY(!parse(get(QStringLiteral("/v1/agent/checks")).body).toObject().contains("_service_maintenance:api"));
        QCOMPARE(put(QStringLiteral("/v1/agent/maintenance")).status, 400);
        QCOMPARE(put(QStringLiteral("/v1/agent/maintenance?enable=true")).status, 200);
        QCOMPARE(parse(get(QStringLiteral("/v1/health/state/critical")).body).toArray().size() >= 1, true);
        QCOMPARE(put(QStringLiteral("/v1/agent/maintenance?enable=false")).status, 200);

        QCOMPARE(put(QStringLiteral("/v1/agent/service/deregister/api")).status, 200);
        QCOMPARE(parse(get(QStringLiteral("/v1/catalog/service/api")).body).toArray().size(), 0);
        QCOMPARE(put(QStringLiteral("/v1/agent/service/register"), R"({"Port":1})").status, 400);
    }

    void agentSelfAndStatus()
    {
        const QJsonObject self = parse(get(QStringLiteral("/v1/agent/self")).body).toObject();
        QCOMPARE(self.value("Config").toObject().value("Datacenter").toString(), QStringLiteral("dc1"));
        QCOMPARE(self.value("Config").toObject().value("NodeName").toString(), QStringLiteral("tour-node"));
        QCOMPARE(self.value("DebugConfig").toObject().value("HTTPPort").toInt(), int(m_agent.httpPort()));
        const QJsonArray members = parse(get(QStringLiteral("/v1/agent/members")).body).toArray();
        QCOMPARE(members.size(), 1);
        QCOMPARE(members.first().toObject().value("Status").toInt(), 1);
        QVERIFY(parse(get(QStringLiteral("/v1/status/leader")).body).toString().contains(':'));
        QCOMPARE(parse(get(QStringLiteral("/v1/status/peers")).body).toArray().size(), 1);
    }

    void cliVerbs()
    {
        auto [rc, out, err] = cli({"kv", "put", "cli/greeting", "hello"});
        QCOMPARE(rc, 0);
        QVERIFY2(out.contains("Success! Data written to: cli/greeting"), qPrintable(out + err));
        std::tie(rc, out, err) = cli({"kv", "get", "cli/greeting"});
        QCOMPARE(rc, 0);
        QCOMPARE(out.trimmed(), QStringLiteral("hello"));
        cli({"kv", "put", "cli/other", "world"});
        std::tie(rc, out, err) = cli({"kv", "get", "-recurse", "cli/"});
        QCOMPARE(rc, 0);
        QCOMPARE(out.trimmed().split('\n'), (QStringList{"cli/greeting:hello", "cli/other:world"}));
        std::tie(rc, out, err) = cli({"kv", "get", "cli/missing"});
        QCOMPARE(rc, 1);
        QVERIFY(err.contains("No key exists at: cli/missing"));

        std::tie(rc, out, err) = cli({"kv", "export", "cli/"});
        QCOMPARE(rc, 0);
        const QByteArray exported = out.toUtf8();
        QCOMPARE(parse(exported).toArray().size(), 2);
        std::tie(rc, out, err) = cli({"kv", "delete", "-recurse", "cli/"});
        QCOMPARE(rc, 0);
        QCOMPARE(get(QStringLiteral("/v1/kv/cli/greeting")).status, 404);
        std::tie(rc, out, err) = cli({"kv", "import", "-"}, exported);
        QCOMPARE(rc, 0);
        QCOMPARE(get(QStringLiteral("/v1/kv/cli/other?raw")).body, QByteArray("world"));

        std::tie(rc, out, err) = cli({"catalog", "services"});
        QCOMPARE(rc, 0);
        QVERIFY(out.split('\n').contains(QStringLiteral("consul")));
        std::tie(rc, out, err) = cli({"members"});
        QCOMPARE(rc, 0);
        QVERIFY(out.contains("tour-node") && out.contains("alive") && out.contains("server"));
    }
};

QTEST_MAIN(TestTour)
#include "tst_tour.moc"
