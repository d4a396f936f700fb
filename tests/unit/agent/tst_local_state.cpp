// LocalState with a manual clock, fake probes and a fake replicated log: check scheduling,
// Consul's StatusHandler thresholds, TTL expiry, the output write-back limit (counted in log
// proposals), the critical-service reaper and persistence across a restart. No sockets, no
// real timers: time moves only when a test advances it.

#include "agent/local_state.h"

#include "core/state/command.h"

#include <QDir>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace conclave;
using namespace conclave::agent;

namespace {

/// Virtual time: timers fire, in due order, only inside advance().
class ManualClock final : public TimerMaker {
public:
    class Timer final : public CheckTimer {
    public:
        Timer(ManualClock &clock, std::function<void()> cb) : m_clock(clock), m_cb(std::move(cb)) { m_clock.m_timers.append(this); }
        ~Timer() override { m_clock.m_timers.removeOne(this); }
        void start(qint64 ms) override
        {
            m_due = m_clock.m_now + std::max<qint64>(0, ms);
            m_active = true;
            m_seq = ++m_clock.m_seq;
        }
        void stop() override { m_active = false; }
        bool isActive() const override { return m_active; }

        ManualClock &m_clock;
        std::function<void()> m_cb;
        qint64 m_due = 0;
        quint64 m_seq = 0;
        bool m_active = false;
    };

    std::unique_ptr<CheckTimer> makeTimer(std::function<void()> onTimeout) override
    {
        return std::make_unique<Timer>(*this, std::move(onTimeout));
    }
    qint64 nowMs() const override { return m_now; }

    void advance(qint64 ms)
    {
        const qint64 target = m_now + ms;
        for (;;) {
            Timer *next = nullptr;
            for (Timer *t : std::as_const(m_timers)) {
                if (t->m_active && t->m_due <= target
                    && (!next || t->m_due < next->m_due || (t->m_due == next->m_due && t->m_seq < next->m_seq)))
                    next = t;
            }
            if (!next)
                break;
            m_now = next->m_due;
            next->m_active = false;
            next->m_cb();
        }
        m_now = target;
    }

private:
    QList<Timer *> m_timers;
    qint64 m_now = 0;
    quint64 m_seq = 0;
};

/// Applies nothing; records every proposed command and answers success at once.
class FakeLog final : public server::ReplicatedLog {
public:
    QList<state::Command> commands;
    void propose(const QByteArray &command, Done done) override
    {
        auto cmd = state::decodeCommand(command);
        Q_ASSERT(cmd);
        commands.append(*cmd);
        server::ProposeResult r;
        r.index = quint64(commands.size());
        done(r);
    }
    bool isLeader() const override { return true; }
    bool hasLeader() const override { return true; }
    QString leaderAddress() const override { return {}; }
    QStringList peers() const override { return {}; }
    qint64 lastContactMs() const override { return 0; }
    quint64 appliedIndex() const override { return quint64(commands.size()); }
    quint64 commitIndex() const override { return quint64(commands.size()); }

    /// Catalog registrations that carried check `checkId`, in order.
    QList<model::Check> writesOf(const QString &checkId) const
    {
        QList<model::Check> out;
        for (const auto &c : commands) {
            if (c.type != state::CommandType::CatalogRegister)
                continue;
            for (const auto &check : std::get<model::RegisterRequest>(c.body).checks)
                if (check.checkId == checkId)
                    out.append(check);
        }
        return out;
    }
};

/// What the fake probes of a test answer next, and how often they ran.
struct ProbeScript {
    ProbeResult next{model::status::Passing, QStringLiteral("ok")};
    int runs = 0;
    std::function<void(ProbeScript &)> beforeRun;  // e.g. change the output every run
};

class FakeProbe final : public CheckProbe {
public:
    explicit FakeProbe(ProbeScript &script) : m_script(script) {}
    void run(Done done) override
    {
        ++m_script.runs;
        if (m_script.beforeRun)
            m_script.beforeRun(m_script);
        done(m_script.next);
    }

private:
    ProbeScript &m_script;
};

QJsonObject parse(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

struct Harness {
    ManualClock clock;
    FakeLog log;
    ProbeScript script;
    std::unique_ptr<LocalState> local;

    explicit Harness(qint64 checkUpdateIntervalMs = 60000, const QString &dataDir = {}, bool scripts = false)
    {
        LocalState::Options o;
        o.node = NodeIdentity{QStringLiteral("n1"), QStringLiteral("0b3ee4b9-6a9b-4a55-8d51-1b9c29b6c2a1"),
                              QStringLiteral("127.0.0.1"), QStringLiteral("dc1"), {}};
        o.checkUpdateIntervalMs = checkUpdateIntervalMs;
        o.dataDir = dataDir;
        o.enableScriptChecks = scripts;
        o.timers = &clock;
        o.random = [](qint64) { return qint64(0); };
        o.probes = [this](const model::Check &) { return std::make_unique<FakeProbe>(script); };
        local = std::make_unique<LocalState>(o, log, [] { return QJsonObject{}; }, [] { return QList<model::Member>{}; });
    }

    api::AgentResult registerService(const char *json)
    {
        QString error;
        auto reg = json::agentServiceRegistrationFromJson(parse(json), &error);
        if (!reg)
            return {400, error};
        api::AgentResult out{-1, {}};
        local->registerService(*reg, false, [&out](const api::AgentResult &r) { out = r; });
        settle(out);
        return out;
    }
    api::AgentResult registerCheck(const char *json)
    {
        QString error;
        auto reg = json::agentCheckRegistrationFromJson(parse(json), &error);
        if (!reg)
            return {400, error};
        api::AgentResult out{-1, {}};
        local->registerCheck(*reg, [&out](const api::AgentResult &r) { out = r; });
        settle(out);
        return out;
    }
    /// With a data dir the answer also waits for the file writer thread (a queued call back).
    static void settle(const api::AgentResult &out)
    {
        (void)QTest::qWaitFor([&out] { return out.status != -1; }, 5000);  // callers check the status
    }
    std::optional<model::Check> check(const QString &id) const
    {
        for (const auto &c : local->localChecks())
            if (c.checkId == id)
                return c;
        return std::nullopt;
    }
    QString status(const QString &id) const
    {
        auto c = check(id);
        return c ? c->status : QStringLiteral("<absent>");
    }
};

}  // namespace

class TestLocalState : public QObject {
    Q_OBJECT
private slots:
    void statusHandler_data()
    {
        // raw: p(assing) w(arning) c(ritical) per run; reported: the status passed on, '-' = none.
        QTest::addColumn<int>("successBefore");
        QTest::addColumn<int>("warningBefore");
        QTest::addColumn<int>("criticalBefore");
        QTest::addColumn<QString>("raw");
        QTest::addColumn<QString>("reported");
        QTest::newRow("no thresholds") << 0 << 0 << 0 << "pcwc" << "pcwc";
        QTest::newRow("success before passing 3") << 3 << 0 << 0 << "pppcpp" << "--pc--";
        QTest::newRow("warning counts as success") << 2 << 0 << 0 << "pwp" << "-wp";
        QTest::newRow("failures before critical 2") << 0 << 0 << 2 << "ccpccc" << "-cp-cc";
        QTest::newRow("warning before critical") << 0 << 1 << 3 << "cccpcc" << "wwcpww";
        QTest::newRow("a success resets failures") << 0 << 0 << 2 << "cpcpcc" << "-p-p-c";
    }
    void statusHandler()
    {
        QFETCH(int, successBefore);
        QFETCH(int, warningBefore);
        QFETCH(int, criticalBefore);
        QFETCH(QString, raw);
        QFETCH(QString, reported);
        auto statusOf = [](QChar c) {
            return c == u'p' ? model::status::Passing : c == u'w' ? model::status::Warning : model::status::Critical;
        };
        StatusHandler handler(successBefore, warningBefore, criticalBefore);
        QString got;
        for (QChar c : raw) {
            auto r = handler.filter(ProbeResult{statusOf(c), QStringLiteral("out")});
            got += r ? r->status.at(0) : u'-';
            if (r)
                QCOMPARE(r->output, QStringLiteral("out"));
        }
        QCOMPARE(got, reported);
    }

    void runnerFollowsIntervalAndThresholds()
    {
        Harness h;
        const char *body = "{\"Name\":\"web\",\"Port\":80,\"Check\":{\"HTTP\":\"http://127.0.0.1:1/\",\"Interval\":\"10s\","
                           "\"SuccessBeforePassing\":2,\"FailuresBeforeCritical\":2}}";
        QCOMPARE(h.registerService(body).status, 200);
        const QString id = QStringLiteral("service:web");
        QCOMPARE(h.status(id), model::status::Critical);  // the initial status
        h.clock.advance(0);                                  // first run (stagger 0)
        QCOMPARE(h.script.runs, 1);
        QCOMPARE(h.status(id), model::status::Critical);    // 1 success of 2
        h.clock.advance(9999);
        QCOMPARE(h.script.runs, 1);
        h.clock.advance(1);
        QCOMPARE(h.script.runs, 2);
        QCOMPARE(h.status(id), model::status::Passing);
        QCOMPARE(h.check(id)->output, QStringLiteral("ok"));
        h.script.next = {model::status::Critical, QStringLiteral("down")};
        h.clock.advance(10000);
        QCOMPARE(h.status(id), model::status::Passing);      // 1 failure of 2
        h.clock.advance(10000);
        QCOMPARE(h.status(id), model::status::Critical);
        QCOMPARE(h.check(id)->output, QStringLiteral("down"));
        QCOMPARE(h.script.runs, 4);
        // Two status changes were written, after the registration.
        const auto writes = h.log.writesOf(id);
        QCOMPARE(writes.size(), 3);
        QCOMPARE(writes.at(1).status, model::status::Passing);
        QCOMPARE(writes.at(2).status, model::status::Critical);
        QCOMPARE(writes.at(2).output, QStringLiteral("down"));
    }

    void intervalBelowOneSecondIsRaised()
    {
        Harness h;
        {
            const char *json = "{\"Name\":\"fast\",\"TCP\":\"127.0.0.1:1\",\"Interval\":\"100ms\"}";
            QCOMPARE(h.registerCheck(json).status, 200);
        }
        h.clock.advance(0);
        QCOMPARE(h.script.runs, 1);
        h.clock.advance(999);
        QCOMPARE(h.script.runs, 1);
        h.clock.advance(1);
        QCOMPARE(h.script.runs, 2);
    }

    void ttlExpiresWithTheClock()
    {
        Harness h;
        {
            const char *json = "{\"Name\":\"beat\",\"TTL\":\"10s\",\"Status\":\"passing\"}";
            QCOMPARE(h.registerCheck(json).status, 200);
        }
        h.clock.advance(9999);
        QCOMPARE(h.status(QStringLiteral("beat")), model::status::Passing);
        api::AgentResult r{-1, {}};
        h.local->updateTtlCheck(QStringLiteral("beat"), model::status::Passing, QStringLiteral("alive"),
                                [&r](const api::AgentResult &res) { r = res; });
        QCOMPARE(r.status, 200);
        h.clock.advance(9999);  // the update reset the TTL
        QCOMPARE(h.status(QStringLiteral("beat")), model::status::Passing);
        h.clock.advance(1);
        QCOMPARE(h.status(QStringLiteral("beat")), model::status::Critical);
        QCOMPARE(h.check(QStringLiteral("beat"))->output,
                 QStringLiteral("TTL expired (last output before timeout follows): alive"));
        const auto writes = h.log.writesOf(QStringLiteral("beat"));
        QCOMPARE(writes.last().status, model::status::Critical);
    }

    void outputOnlyChangesAreDeferred()
    {
        // 1 s interval, check_update_interval 60 s: deferral is 30 s (interval/2 + stagger 0).
        Harness h(60000);
        int n = 0;
        h.script.beforeRun = [&n](ProbeScript &s) { s.next.output = QStringLiteral("n=%1").arg(++n); };
        {
            const char *json = "{\"Name\":\"busy\",\"HTTP\":\"http://127.0.0.1:1/\",\"Interval\":\"1s\"}";
            QCOMPARE(h.registerCheck(json).status, 200);
        }
        const int before = int(h.log.commands.size());
        h.clock.advance(100000);
        QCOMPARE(h.script.runs, 101);
        QCOMPARE(h.check(QStringLiteral("busy"))->output, QStringLiteral("n=101"));  // the agent sees it at once
        // critical→passing at t=0, then output write-backs at t=31, 61 and 91 s (each armed by the
        // first change after the previous write-back, 30 s later).
        const auto writes = h.log.writesOf(QStringLiteral("busy"));
        QCOMPARE(int(h.log.commands.size()) - before, 4);
        QCOMPARE(writes.size(), 5);
        QCOMPARE(writes.at(1).output, QStringLiteral("n=1"));
        QCOMPARE(writes.at(2).output, QStringLiteral("n=31"));
        QCOMPARE(writes.at(3).output, QStringLiteral("n=61"));
        QCOMPARE(writes.at(4).output, QStringLiteral("n=91"));
    }

    void statusChangesAreWrittenAtOnce_data()
    {
        QTest::addColumn<QString>("pattern");  // per run, p or c; output is constant
        QTest::addColumn<int>("writes");
        QTest::newRow("steady passing") << "pppppppppp" << 1;
        QTest::newRow("one failure") << "pppppcpppp" << 3;
        QTest::newRow("flapping") << "pcpcpcpcpc" << 10;
    }
    void statusChangesAreWrittenAtOnce()
    {
        QFETCH(QString, pattern);
        QFETCH(int, writes);
        Harness h(60000);
        int i = 0;
        h.script.beforeRun = [&](ProbeScript &s) {
            s.next.status = pattern.at(i++) == u'p' ? model::status::Passing : model::status::Critical;
        };
        {
            const char *json = "{\"Name\":\"c\",\"TCP\":\"127.0.0.1:1\",\"Interval\":\"1s\"}";
            QCOMPARE(h.registerCheck(json).status, 200);
        }
        const int before = int(h.log.commands.size());
        h.clock.advance(qint64(pattern.size() - 1) * 1000);
        QCOMPARE(h.script.runs, int(pattern.size()));
        QCOMPARE(int(h.log.commands.size()) - before, writes);
    }

    void zeroUpdateIntervalWritesEveryChange()
    {
        Harness h(0);
        int n = 0;
        h.script.beforeRun = [&n](ProbeScript &s) { s.next.output = QString::number(++n); };
        {
            const char *json = "{\"Name\":\"c\",\"TCP\":\"127.0.0.1:1\",\"Interval\":\"1s\"}";
            QCOMPARE(h.registerCheck(json).status, 200);
        }
        const int before = int(h.log.commands.size());
        h.clock.advance(9000);
        QCOMPARE(int(h.log.commands.size()) - before, 10);
    }

    void reaperRemovesLongCriticalServices_data()
    {
        QTest::addColumn<QString>("after");
        QTest::addColumn<qint64>("stillThereAt");
        QTest::addColumn<qint64>("goneAt");
        // TTL 10 s expires at t=10 s; the reaper runs every 30 s.
        QTest::newRow("90s") << "90s" << qint64(119000) << qint64(120000);
        QTest::newRow("10s raised to the 1m minimum") << "10s" << qint64(89000) << qint64(90000);
    }
    void reaperRemovesLongCriticalServices()
    {
        QFETCH(QString, after);
        QFETCH(qint64, stillThereAt);
        QFETCH(qint64, goneAt);
        Harness h;
        const QByteArray body = "{\"Name\":\"db\",\"Check\":{\"TTL\":\"10s\",\"Status\":\"passing\",\"DeregisterCriticalServiceAfter\":\""
                                + after.toUtf8() + "\"}}";
        QCOMPARE(h.registerService(body.constData()).status, 200);
        h.clock.advance(stillThereAt);
        QVERIFY(h.local->localService(QStringLiteral("db")).has_value());
        QCOMPARE(h.status(QStringLiteral("service:db")), model::status::Critical);
        h.clock.advance(goneAt - stillThereAt);
        QVERIFY(!h.local->localService(QStringLiteral("db")).has_value());
        QVERIFY(!h.check(QStringLiteral("service:db")).has_value());
        const state::Command &last = h.log.commands.last();
        QCOMPARE(last.type, state::CommandType::CatalogDeregister);
        QCOMPARE(std::get<model::DeregisterRequest>(last.body).serviceId, QStringLiteral("db"));
    }

    void reaperSparesRecoveredServices()
    {
        Harness h;
        {
            const char *json = "{\"Name\":\"db\",\"Check\":{\"TTL\":\"10s\",\"DeregisterCriticalServiceAfter\":\"1m\"}}";
            QCOMPARE(h.registerService(json).status, 200);
        }
        h.clock.advance(50000);
        api::AgentResult r{-1, {}};
        h.local->updateTtlCheck(QStringLiteral("service:db"), model::status::Passing, {},
                                [&r](const api::AgentResult &res) { r = res; });
        QCOMPARE(r.status, 200);
        h.clock.advance(5000);
        QCOMPARE(h.status(QStringLiteral("service:db")), model::status::Passing);
        h.clock.advance(60000);  // critical again from t=60 s (the pass re-armed the TTL)
        QCOMPARE(h.status(QStringLiteral("service:db")), model::status::Critical);
        h.clock.advance(20000);  // reaper at 90 s and 120 s: 30 s and 60 s critical, not more than 1m
        QVERIFY(h.local->localService(QStringLiteral("db")).has_value());
        h.clock.advance(15000);  // reaper at 150 s: 90 s critical
        QVERIFY(!h.local->localService(QStringLiteral("db")).has_value());
    }

    void scriptChecksNeedTheOption()
    {
        Harness off;
        const char *body = "{\"Name\":\"disk\",\"Args\":[\"/bin/true\"],\"Interval\":\"10s\"}";
        const api::AgentResult refused = off.registerCheck(body);
        QCOMPARE(refused.status, 500);
        QCOMPARE(refused.error, QStringLiteral("Scripts are disabled on this agent from remote calls; to enable, "
                                               "configure 'enable_script_checks' to true"));
        QVERIFY(!off.check(QStringLiteral("disk")).has_value());
        QCOMPARE(off.log.commands.size(), 0);
        Harness on(60000, {}, true);
        QCOMPARE(on.registerCheck(body).status, 200);
        QVERIFY(on.check(QStringLiteral("disk")).has_value());
    }

    void fileFormatRoundTrips()
    {
        model::Service s;
        s.kind = QStringLiteral("");
        s.id = QStringLiteral("web-1");
        s.service = QStringLiteral("web");
        s.tags = {QStringLiteral("v2"), QStringLiteral("blue")};
        s.address = QStringLiteral("10.0.0.5");
        s.taggedAddresses.insert(QStringLiteral("lan"), model::ServiceAddress{QStringLiteral("10.0.0.5"), 8080});
        s.meta.insert(QStringLiteral("ver"), QStringLiteral("2"));
        s.port = 8080;
        s.socketPath = QStringLiteral("/run/web.sock");
        s.weights = model::Weights{3, 2};
        s.enableTagOverride = true;
        QCOMPARE(AgentPersistence::decodeService(AgentPersistence::encodeService(s)), std::optional(s));

        model::Check c;
        c.node = QStringLiteral("n1");
        c.checkId = QStringLiteral("service:web-1");
        c.name = QStringLiteral("Service 'web' check");
        c.status = model::status::Warning;
        c.notes = QStringLiteral("n");
        c.output = QStringLiteral("o");
        c.serviceId = s.id;
        c.serviceName = s.service;
        c.serviceTags = s.tags;
        c.type = QStringLiteral("http");
        c.definition.http = QStringLiteral("https://127.0.0.1:8080/health");
        c.definition.method = QStringLiteral("POST");
        c.definition.body = QStringLiteral("{}");
        c.definition.header.insert(QStringLiteral("X-A"), {QStringLiteral("1"), QStringLiteral("2")});
        c.definition.tlsSkipVerify = true;
        c.definition.tlsServerName = QStringLiteral("web.local");
        c.definition.disableRedirects = true;
        c.definition.interval = 2'000'000'001;
        c.definition.timeout = 1'000'000'000;
        c.definition.deregisterCriticalServiceAfter = 90'000'000'000;
        c.definition.outputMaxSize = 100;
        c.definition.successBeforePassing = 2;
        c.definition.failuresBeforeWarning = 1;
        c.definition.failuresBeforeCritical = 3;
        QCOMPARE(AgentPersistence::decodeCheck(AgentPersistence::encodeCheck(c)), std::optional(c));

        QVERIFY(!AgentPersistence::decodeService("not json").has_value());
        QVERIFY(!AgentPersistence::decodeCheck("{\"Check\":{}}").has_value());
    }

    void persistenceSurvivesARestart()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        model::Service web;
        {
            Harness a(60000, dir.path());
            const char *body = "{\"Name\":\"web\",\"ID\":\"web-1\",\"Port\":8080,\"Tags\":[\"v2\"],"
                               "\"Check\":{\"HTTP\":\"http://127.0.0.1:8080/health\",\"Interval\":\"2s\",\"Timeout\":\"1s\"}}";
            QCOMPARE(a.registerService(body).status, 200);
            // The answer came after the files were written: no flush needed to see them.
            QCOMPARE(QDir(dir.filePath(QStringLiteral("services"))).entryList(QDir::Files).size(), 1);
            QCOMPARE(QDir(dir.filePath(QStringLiteral("checks"))).entryList(QDir::Files).size(), 1);
            {
                const char *json = "{\"Name\":\"gone\",\"Port\":1}";
                QCOMPARE(a.registerService(json).status, 200);
            }
            {
                const char *json = "{\"Name\":\"beat\",\"TTL\":\"10m\"}";
                QCOMPARE(a.registerCheck(json).status, 200);
            }
            api::AgentResult r{-1, {}};
            auto keep = [&r](const api::AgentResult &res) { r = res; };
            a.local->updateTtlCheck(QStringLiteral("beat"), model::status::Warning, QStringLiteral("slow"), keep);
            QTRY_COMPARE(r.status, 200);
            r.status = -1;
            a.local->setServiceMaintenance(QStringLiteral("web-1"), true, QStringLiteral("deploy"), keep);
            QTRY_COMPARE(r.status, 200);
            r.status = -1;
            a.local->deregisterService(QStringLiteral("gone"), keep);
            QTRY_COMPARE(r.status, 200);
            web = *a.local->localService(QStringLiteral("web-1"));
            a.local->flushPersistence();
        }
        Harness b(60000, dir.path());
        QVERIFY(b.local->restore().isEmpty());
        QCOMPARE(b.local->localServices().size(), 1);
        QCOMPARE(*b.local->localService(QStringLiteral("web-1")), web);
        QCOMPARE(b.local->localChecks().size(), 3);
        const auto http = b.check(QStringLiteral("service:web-1"));
        QVERIFY(http.has_value());
        QCOMPARE(http->definition.http, QStringLiteral("http://127.0.0.1:8080/health"));
        QCOMPARE(http->definition.interval, qint64(2'000'000'000));
        QCOMPARE(http->serviceName, QStringLiteral("web"));
        QCOMPARE(b.status(QStringLiteral("beat")), model::status::Warning);  // TTL state restored
        QCOMPARE(b.check(QStringLiteral("beat"))->output, QStringLiteral("slow"));
        QCOMPARE(b.check(QStringLiteral("_service_maintenance:web-1"))->notes, QStringLiteral("deploy"));
        // The restored registrations went to the catalog, and the restored HTTP check runs.
        QVERIFY(!b.log.writesOf(QStringLiteral("service:web-1")).isEmpty());
        QVERIFY(!b.log.writesOf(QStringLiteral("beat")).isEmpty());
        b.clock.advance(0);
        QCOMPARE(b.script.runs, 1);
        QCOMPARE(b.status(QStringLiteral("service:web-1")), model::status::Passing);

        // A deregistration removes the files too.
        api::AgentResult r{-1, {}};
        b.local->deregisterService(QStringLiteral("web-1"), [&r](const api::AgentResult &res) { r = res; });
        QTRY_COMPARE(r.status, 200);
        b.local->flushPersistence();
        Harness c(60000, dir.path());
        c.local->restore();
        QCOMPARE(c.local->localServices().size(), 0);
        QCOMPARE(c.local->localChecks().size(), 1);  // "beat", a node check
    }
};

QTEST_GUILESS_MAIN(TestLocalState)
#include "tst_local_state.moc"
