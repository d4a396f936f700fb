// Three servers in three `conclave agent -server -bootstrap-expect 3` processes on loopback, seen
// through the HTTP API only: the cluster forms (one leader, three voters, three catalog nodes),
// follower writes are forwarded to the leader, five kill -9s of the leader under eight concurrent
// writers lose no acknowledged write and leave three identical stores, a server left without a
// quorum refuses writes and consistent reads with Consul's "No cluster leader" while stale reads
// still answer from its own store, a wiped server rejoins through a snapshot, and a SIGSTOPped
// follower takes no writes while the other two carry on.
//
// The server ports are picked before the start because every server is given the others' as
// -retry-join and keeps its own across restarts; HTTP and DNS ports are 0 (read from the log).
// One cluster serves every test function; init() (re)starts any server a previous test stopped
// and waits for a leader, so a single function can also be run alone.
#include "support/agent_process.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QScopeGuard>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <memory>
#include <vector>

using conclave::support::AgentProcess;
using conclave::support::HttpResult;
using conclave::support::httpRequest;

namespace {

constexpr int kServers = 3;
// Bounds, generous for a loaded 2-core machine; a healthy run needs a fraction of each.
constexpr int kFormMs = 45000;      // three fresh servers elect a leader (discovery + election)
constexpr int kElectMs = 20000;     // a new leader after a kill or a restart
constexpr int kPollRequestMs = 3000;
// Small, so that the leader compacts its log during the test and a wiped server needs a snapshot.
constexpr int kSnapshotThreshold = 64;

QByteArray valueFor(const QString &key)
{
    return "value-of-" + key.toUtf8();
}

/// The JSON value of a body that holds a bare JSON value (`"127.0.0.1:8300"`, `[…]`).
QJsonValue jsonValue(const QByteArray &body)
{
    const QJsonDocument doc = QJsonDocument::fromJson("[" + body + "]");
    return doc.isArray() ? doc.array().at(0) : QJsonValue();
}

/// key → decoded value of a KV GET answer (one entry or a ?recurse listing).
QHash<QString, QByteArray> kvEntries(const HttpResult &r)
{
    QHash<QString, QByteArray> out;
    for (const QJsonValue &v : QJsonDocument::fromJson(r.body).array()) {
        const QJsonObject e = v.toObject();
        out.insert(e.value(QLatin1String("Key")).toString(),
                   QByteArray::fromBase64(e.value(QLatin1String("Value")).toString().toLatin1()));
    }
    return out;
}

/// One client that PUTs distinct keys one after another to one server (the next once the previous
/// is answered) and records which were acknowledged (200 and `true`).
class Writer : public QObject {
public:
    Writer(int id, QString baseUrl, const QElapsedTimer &clock) : m_id(id), m_baseUrl(std::move(baseUrl)), m_clock(clock)
    {
        m_manager.setProxy(QNetworkProxy::NoProxy);
    }

    void start()
    {
        m_running = true;
        sendNext();
    }
    void stop() { m_running = false; }
    bool idle() const { return !m_inFlight; }

    QHash<QString, QByteArray> acked;  // key → value
    QHash<QString, QByteArray> sent;   // every key sent → value
    int failed = 0;                    // 500s, timeouts, anything but an acknowledgement
    QList<qint64> ackedSentAt;         // for each acknowledgement, when its PUT was sent (clock ms)
    QString lastFailure;

private:
    void sendNext()
    {
        if (!m_running || m_inFlight)
            return;
        const QString key = QStringLiteral("failover/w%1/%2").arg(m_id).arg(m_seq++, 5, 10, QLatin1Char('0'));
        const QByteArray value = valueFor(key);
        sent.insert(key, value);
        QNetworkRequest request{QUrl(m_baseUrl + QStringLiteral("/v1/kv/") + key)};
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/octet-stream"));
        // Above rpc_hold_timeout (7 s): a write without a leader answers 500 before this.
        request.setTransferTimeout(20000);
        const qint64 sentAt = m_clock.elapsed();
        QNetworkReply *reply = m_manager.put(request, value);
        m_inFlight = true;
        connect(reply, &QNetworkReply::finished, this, [this, reply, key, value, sentAt] {
            reply->deleteLater();
            m_inFlight = false;
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            const QByteArray body = reply->readAll();
            if (status == 200 && body.trimmed() == "true") {
                acked.insert(key, value);
                ackedSentAt.append(sentAt);
            } else {
                ++failed;
                lastFailure = QStringLiteral("%1: %2 %3 %4")
                                  .arg(key)
                                  .arg(status)
                                  .arg(reply->errorString(), QString::fromUtf8(body.trimmed()));
            }
            sendNext();
        });
    }

    int m_id;
    QString m_baseUrl;
    const QElapsedTimer &m_clock;
    QNetworkAccessManager m_manager;
    bool m_running = false;
    bool m_inFlight = false;
    int m_seq = 0;
};

}  // namespace

class TestRaftCluster : public QObject {
    Q_OBJECT

private:
    struct Server {
        QString name;
        quint16 serverPort = 0;
        QStringList args;
        std::unique_ptr<AgentProcess> process;

        QString address() const { return QStringLiteral("127.0.0.1:%1").arg(serverPort); }
        QString url(const QString &path) const { return process->baseUrl() + path; }
        bool isRunning() const { return process->isRunning(); }
    };
    std::vector<Server> m_servers;
    QTemporaryDir m_configDir;

    bool startServer(Server &s)
    {
        if (s.isRunning())
            return true;
        if (s.process->start(s.args))
            return true;
        qWarning().noquote() << s.name << "did not start:" << s.process->errorString();
        return false;
    }

    /// What `s` answers on /v1/status/leader ("" on any error or no leader).
    QString leaderSeenBy(const Server &s) const
    {
        if (!s.isRunning())
            return {};
        const HttpResult r = httpRequest("GET", s.url(QStringLiteral("/v1/status/leader")), {}, kPollRequestMs);
        return r.status == 200 ? jsonValue(r.body).toString() : QString();
    }

    QJsonObject agentSelf(const Server &s) const
    {
        const HttpResult r = httpRequest("GET", s.url(QStringLiteral("/v1/agent/self")), {}, kPollRequestMs);
        return r.status == 200 ? QJsonDocument::fromJson(r.body).object() : QJsonObject();
    }

    static QString raftStat(const QJsonObject &self, const char *name)
    {
        return self.value(QLatin1String("Stats")).toObject().value(QLatin1String("raft")).toObject()
            .value(QLatin1String(name)).toString();
    }

    /// Index of the server whose server-port address is `address`, -1 if none.
    int indexOf(const QString &address) const
    {
        for (int i = 0; i < int(m_servers.size()); ++i) {
            if (m_servers[std::size_t(i)].address() == address)
                return i;
        }
        return -1;
    }

    /// The leader every server in `members` reports, once they all report the same one and it is
    /// one of `members`; -1 when they did not agree before the deadline.
    int waitForAgreedLeader(const QList<int> &members, int timeoutMs)
    {
        int leader = -1;
        (void)QTest::qWaitFor(
            [&] {
                QString seen;
                for (int i : members) {
                    const QString l = leaderSeenBy(m_servers[std::size_t(i)]);
                    if (l.isEmpty() || (!seen.isEmpty() && l != seen))
                        return false;
                    seen = l;
                }
                const int at = indexOf(seen);
                if (!members.contains(at))
                    return false;
                leader = at;
                return true;
            },
            timeoutMs);
        return leader;
    }

    QList<int> allServers() const
    {
        QList<int> all;
        for (int i = 0; i < kServers; ++i)
            all.append(i);
        return all;
    }

    HttpResult put(const Server &s, const QString &key, const QByteArray &value, int timeoutMs = 15000)
    {
        return httpRequest("PUT", s.url(QStringLiteral("/v1/kv/") + key), value, timeoutMs);
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(!conclave::support::agentBinaryPath().isEmpty(), "the conclave binary was not built");
        const QList<quint16> ports = conclave::support::freeLoopbackPorts(kServers);
        QCOMPARE(ports.size(), kServers);
        QVERIFY(m_configDir.isValid());
        const QString config = m_configDir.filePath(QStringLiteral("raft.json"));
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral(R"({"raft_snapshot_threshold": %1, "raft_trailing_logs": 16, "raft_snapshot_interval": "1s"})")
                    .arg(kSnapshotThreshold)
                    .toUtf8());
        f.close();
        for (int i = 0; i < kServers; ++i) {
            Server s;
            s.name = QStringLiteral("s%1").arg(i + 1);
            s.serverPort = ports.at(i);
            s.args = QStringList{QStringLiteral("-server"),      QStringLiteral("-bootstrap-expect"), QStringLiteral("3"),
                                 QStringLiteral("-node"),        s.name,
                                 QStringLiteral("-bind"),        QStringLiteral("127.0.0.1"),
                                 QStringLiteral("-server-port"), QString::number(s.serverPort),
                                 QStringLiteral("-config-file"), config};
            for (int j = 0; j < kServers; ++j) {
                if (j != i)
                    s.args << QStringLiteral("-retry-join") << QStringLiteral("127.0.0.1:%1").arg(ports.at(j));
            }
            s.process = std::make_unique<AgentProcess>();
            s.process->setDevMode(false);
            m_servers.push_back(std::move(s));
        }
        for (Server &s : m_servers)
            QVERIFY(startServer(s));
    }

    void init()
    {
        bool restarted = false;
        for (Server &s : m_servers) {
            if (!s.isRunning()) {
                QVERIFY(startServer(s));
                restarted = true;
            }
        }
        if (restarted || QByteArray(QTest::currentTestFunction()) != "clusterForms")
            QVERIFY2(waitForAgreedLeader(allServers(), kFormMs) >= 0, "the three servers do not agree on a leader");
    }

    void cleanup()
    {
        for (const Server &s : m_servers) {
            if (QTest::currentTestFailed())
                qWarning().noquote() << "=====" << s.name << s.address();
            s.process->dumpLogOnFailure();
        }
    }

    // Scenario 1: one leader that everyone names, three voters everywhere, three catalog nodes.
    void clusterForms()
    {
        QElapsedTimer t;
        t.start();
        const int leader = waitForAgreedLeader(allServers(), kFormMs);
        QVERIFY2(leader >= 0, "no leader that all three servers report");
        qInfo("cluster of three formed: leader %s after %lld ms", qPrintable(m_servers[std::size_t(leader)].name),
              t.elapsed());

        QSet<QString> addresses;
        for (const Server &s : m_servers)
            addresses.insert(s.address());
        for (const Server &s : m_servers) {
            QStringList peers;
            QTRY_VERIFY_WITH_TIMEOUT(
                [&] {
                    const HttpResult r = httpRequest("GET", s.url(QStringLiteral("/v1/status/peers")), {}, kPollRequestMs);
                    peers.clear();
                    for (const QJsonValue &v : jsonValue(r.body).toArray())
                        peers.append(v.toString());
                    return r.status == 200 && peers.size() == kServers && QSet<QString>(peers.cbegin(), peers.cend()) == addresses;
                }(),
                kElectMs);
            QCOMPARE(leaderSeenBy(s), m_servers[std::size_t(leader)].address());
        }

        // Stats.raft.state: Leader on exactly the server everyone names. A server may show
        // Candidate for a moment after startup, so poll until the picture is stable.
        QStringList states;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                states.clear();
                for (const Server &s : m_servers)
                    states.append(raftStat(agentSelf(s), "state"));
                return states.count(QStringLiteral("Leader")) == 1 && states.count(QStringLiteral("Follower")) == kServers - 1;
            }(),
            kElectMs);
        QCOMPARE(states.at(leader), QStringLiteral("Leader"));
        QCOMPARE(leaderSeenBy(m_servers[std::size_t(leader)]), m_servers[std::size_t(leader)].address());

        // Every server registers itself through the log: each one lists all three nodes.
        const QSet<QString> names{QStringLiteral("s1"), QStringLiteral("s2"), QStringLiteral("s3")};
        for (const Server &s : m_servers) {
            QSet<QString> seen;
            QTRY_VERIFY_WITH_TIMEOUT(
                [&] {
                    const HttpResult r = httpRequest("GET", s.url(QStringLiteral("/v1/catalog/nodes")), {}, kPollRequestMs);
                    seen.clear();
                    for (const QJsonValue &v : QJsonDocument::fromJson(r.body).array())
                        seen.insert(v.toObject().value(QLatin1String("Node")).toString());
                    return r.status == 200 && seen == names;
                }(),
                kFormMs);
        }
    }

    // Scenario 2: a PUT on any server is committed through the leader; a consistent read on another
    // server sees it at once, and a stale read on every server sees it eventually.
    void followerWritesAreForwarded()
    {
        for (int i = 0; i < kServers; ++i) {
            const Server &writer = m_servers[std::size_t(i)];
            const Server &reader = m_servers[std::size_t((i + 1) % kServers)];
            const QString key = QStringLiteral("forward/from-%1").arg(writer.name);
            const HttpResult w = put(writer, key, valueFor(key));
            QVERIFY2(w.ok, qPrintable(w.error));
            QCOMPARE(w.status, 200);
            QCOMPARE(w.body.trimmed(), QByteArray("true"));

            const HttpResult r = httpRequest("GET", reader.url(QStringLiteral("/v1/kv/") + key + QStringLiteral("?consistent")));
            QVERIFY2(r.ok, qPrintable(r.error));
            QCOMPARE(r.status, 200);
            QCOMPARE(kvEntries(r).value(key), valueFor(key));
            QCOMPARE(r.header("X-Consul-KnownLeader"), QByteArray("true"));

            for (const Server &s : m_servers) {
                HttpResult stale;
                QTRY_VERIFY_WITH_TIMEOUT(
                    [&] {
                        stale = httpRequest("GET", s.url(QStringLiteral("/v1/kv/") + key + QStringLiteral("?stale")), {},
                                            kPollRequestMs);
                        return stale.status == 200 && kvEntries(stale).value(key) == valueFor(key);
                    }(),
                    10000);
                QCOMPARE(stale.header("X-Consul-KnownLeader"), QByteArray("true"));
                QVERIFY2(!stale.header("X-Consul-LastContact").isEmpty(), qPrintable(s.name));
            }
        }
    }

    // Scenario 3: kill -9 of the leader, five times in a row, while eight clients write to the
    // servers that survive it; the killed server is restarted with its data dir after each kill.
    // Afterwards every server holds exactly the same keys, values and indexes, and every
    // acknowledged write is among them.
    void acknowledgedWritesSurviveLeaderKills()
    {
        constexpr int kKills = 5;
        constexpr int kWriters = 8;
        QElapsedTimer clock;
        clock.start();
        QHash<QString, QByteArray> acked, sent;
        int failed = 0;
        QList<qint64> failovers;
        for (int round = 0; round < kKills; ++round) {
            const int leader = waitForAgreedLeader(allServers(), kElectMs);
            QVERIFY2(leader >= 0, "no leader before the kill");
            Server &old = m_servers[std::size_t(leader)];
            QList<int> survivors;
            for (int i = 0; i < kServers; ++i) {
                if (i != leader)
                    survivors.append(i);
            }

            std::vector<std::unique_ptr<Writer>> writers;
            for (int w = 0; w < kWriters; ++w) {
                const Server &target = m_servers[std::size_t(survivors.at(w % survivors.size()))];
                writers.push_back(std::make_unique<Writer>(round * kWriters + w, target.process->baseUrl(), clock));
            }
            for (auto &w : writers)
                w->start();
            auto ackedSince = [&](const Writer &w, qint64 since) {
                return std::count_if(w.ackedSentAt.cbegin(), w.ackedSentAt.cend(), [since](qint64 at) { return at >= since; });
            };
            auto everyWriterAcked = [&](qint64 since, int n) {
                return std::all_of(writers.cbegin(), writers.cend(), [&](const auto &w) { return ackedSince(*w, since) >= n; });
            };
            QTRY_VERIFY_WITH_TIMEOUT(everyWriterAcked(0, 3), 30000);

            // Kill the leader with writes in flight; time until both survivors name the same new one.
            const qint64 killedAt = clock.elapsed();
            QVERIFY(old.process->kill9());
            const int newLeader = waitForAgreedLeader(survivors, kElectMs);
            const qint64 electedAt = clock.elapsed();
            QVERIFY2(newLeader >= 0, "the two survivors did not agree on a new leader");
            failovers.append(electedAt - killedAt);
            qInfo("round %d: %s killed, %s named leader by both survivors after %lld ms", round + 1,
                  qPrintable(old.name), qPrintable(m_servers[std::size_t(newLeader)].name), electedAt - killedAt);

            // The writes go on: every client gets acknowledgements for writes it sent after that.
            QTRY_VERIFY_WITH_TIMEOUT(everyWriterAcked(electedAt, 3), 30000);
            for (auto &w : writers)
                w->stop();
            QTRY_VERIFY_WITH_TIMEOUT(std::all_of(writers.cbegin(), writers.cend(), [](const auto &w) { return w->idle(); }),
                                     30000);
            for (const auto &w : writers) {
                acked.insert(w->acked);
                sent.insert(w->sent);
                failed += w->failed;
                if (w->failed)
                    qInfo().noquote() << "a failed write (not checked):" << w->lastFailure;
            }
            // The killed server comes back with its data dir and flags before the next round.
            QVERIFY(startServer(old));
            QVERIFY2(waitForAgreedLeader(allServers(), kElectMs) >= 0, "no leader after the restart");
        }
        qInfo("%d kills: %lld writes sent, %lld acknowledged, %d failed", kKills, qlonglong(sent.size()),
              qlonglong(acked.size()), failed);

        // A consistent read on each server (ReadIndex: it answers once that server applied
        // everything committed before the read) must hold every acknowledged write, and all three
        // must hold the same entries, indexes included.
        QList<QByteArray> listings;
        for (const Server &s : m_servers) {
            HttpResult r;
            QTRY_VERIFY_WITH_TIMEOUT(
                [&] {
                    r = httpRequest("GET", s.url(QStringLiteral("/v1/kv/failover/?recurse&consistent")), {}, 15000);
                    return r.status == 200;
                }(),
                30000);
            const QHash<QString, QByteArray> stored = kvEntries(r);
            int missing = 0;
            for (auto it = acked.cbegin(); it != acked.cend(); ++it) {
                if (stored.value(it.key()) != it.value()) {
                    ++missing;
                    qWarning("%s: acknowledged write lost: %s (stored: '%s')", qPrintable(s.name), qPrintable(it.key()),
                             stored.value(it.key()).constData());
                }
            }
            QCOMPARE(missing, 0);
            for (auto it = stored.cbegin(); it != stored.cend(); ++it) {
                QVERIFY2(sent.contains(it.key()), qPrintable(s.name + QStringLiteral(": a key nobody wrote: ") + it.key()));
                QCOMPARE(it.value(), sent.value(it.key()));
            }
            qInfo("%s holds %lld of the keys (%lld acknowledged)", qPrintable(s.name), qlonglong(stored.size()),
                  qlonglong(acked.size()));
            listings.append(r.body);
        }
        // Ordered by key, with CreateIndex/ModifyIndex: byte-identical listings mean identical stores.
        QCOMPARE(listings.at(1), listings.at(0));
        QCOMPARE(listings.at(2), listings.at(0));
    }

    // Scenario 5: a follower loses its data dir. Started again with the same flags, it rejoins under
    // a new ID (the old one is replaced, not kept as a dead voter) and, the leader's log having been
    // compacted (raft_snapshot_threshold is small here), catches up through an InstallSnapshot.
    void wipedServerRejoinsThroughASnapshot()
    {
        const int leader = waitForAgreedLeader(allServers(), kElectMs);
        QVERIFY(leader >= 0);
        Server &wiped = m_servers[std::size_t((leader + 1) % kServers)];
        const Server &lead = m_servers[std::size_t(leader)];

        QCOMPARE(put(lead, QStringLiteral("wipe-before"), "before").status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(
            kvEntries(httpRequest("GET", wiped.url(QStringLiteral("/v1/kv/wipe-before?stale")), {}, kPollRequestMs))
                .value(QStringLiteral("wipe-before")),
            QByteArray("before"), 10000);
        QVERIFY(wiped.process->kill9());
        QVERIFY(QDir(wiped.process->dataDir()).removeRecursively());
        QVERIFY(QDir().mkpath(wiped.process->dataDir()));

        // Enough writes that the leader snapshots and drops the log the new server would need.
        for (int i = 0; i < 3 * kSnapshotThreshold; ++i) {
            const QString key = QStringLiteral("wipe/%1").arg(i, 4, 10, QLatin1Char('0'));
            const HttpResult w = put(lead, key, valueFor(key));
            QCOMPARE(w.status, 200);
        }
        QTRY_VERIFY_WITH_TIMEOUT(raftStat(agentSelf(lead), "last_snapshot_index").toULongLong() > 0, 20000);

        QVERIFY(startServer(wiped));
        HttpResult r;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                r = httpRequest("GET", wiped.url(QStringLiteral("/v1/kv/wipe/?recurse&stale")), {}, kPollRequestMs);
                return r.status == 200 && kvEntries(r).size() == 3 * kSnapshotThreshold;
            }(),
            30000);
        const QHash<QString, QByteArray> stored = kvEntries(r);
        for (auto it = stored.cbegin(); it != stored.cend(); ++it)
            QCOMPARE(it.value(), valueFor(it.key()));
        // A key written before the wipe came back with the snapshot.
        const HttpResult earlier = httpRequest("GET", wiped.url(QStringLiteral("/v1/kv/wipe-before?stale")));
        QCOMPARE(earlier.status, 200);
        QCOMPARE(kvEntries(earlier).value(QStringLiteral("wipe-before")), QByteArray("before"));
        const QJsonObject self = agentSelf(wiped);
        QVERIFY2(raftStat(self, "last_snapshot_index").toULongLong() > 0,
                 "the wiped server caught up without installing a snapshot");

        // Three voters again, the new ID among them, none of them the old one.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const HttpResult c = httpRequest("GET", lead.url(QStringLiteral("/v1/operator/raft/configuration")), {},
                                                 kPollRequestMs);
                const QJsonArray servers = QJsonDocument::fromJson(c.body).object().value(QLatin1String("Servers")).toArray();
                int voters = 0;
                bool wipedVoter = false;
                for (const QJsonValue &v : servers) {
                    const QJsonObject o = v.toObject();
                    voters += o.value(QLatin1String("Voter")).toBool() ? 1 : 0;
                    if (o.value(QLatin1String("Address")).toString() == wiped.address())
                        wipedVoter = o.value(QLatin1String("Voter")).toBool();
                }
                return c.status == 200 && servers.size() == kServers && voters == kServers && wipedVoter;
            }(),
            30000);
    }

    // Scenario 6: a follower frozen with SIGSTOP (a minority partition of one). It answers nothing,
    // so it takes no write; the other two carry on. Woken up, it catches up without disturbing the
    // leader: pre-vote keeps the term where it was.
    void stoppedFollowerTakesNoWritesAndMajorityCarriesOn()
    {
        const int leader = waitForAgreedLeader(allServers(), kElectMs);
        QVERIFY(leader >= 0);
        const Server &lead = m_servers[std::size_t(leader)];
        Server &frozen = m_servers[std::size_t((leader + 2) % kServers)];
        const QString termBefore = raftStat(agentSelf(lead), "term");
        QVERIFY(!termBefore.isEmpty());

        QCOMPARE(::kill(pid_t(frozen.process->pid()), SIGSTOP), 0);
        auto resume = qScopeGuard([&] { ::kill(pid_t(frozen.process->pid()), SIGCONT); });

        // The frozen server answers nothing: a write sent to it is not acknowledged.
        const HttpResult refused = put(frozen, QStringLiteral("stop/to-frozen"), "x", 2000);
        QVERIFY2(!refused.ok, "a SIGSTOPped server answered");

        // The majority goes on taking writes and consistent reads, with the same leader.
        for (int i = 0; i < 20; ++i) {
            const QString key = QStringLiteral("stop/%1").arg(i, 2, 10, QLatin1Char('0'));
            const Server &via = m_servers[std::size_t(i % 2 == 0 ? leader : (leader + 1) % kServers)];
            const HttpResult w = put(via, key, valueFor(key));
            QCOMPARE(w.status, 200);
            QCOMPARE(w.body.trimmed(), QByteArray("true"));
        }
        const HttpResult c = httpRequest("GET", lead.url(QStringLiteral("/v1/kv/stop/19?consistent")));
        QCOMPARE(c.status, 200);
        QCOMPARE(leaderSeenBy(lead), lead.address());

        resume.dismiss();
        QCOMPARE(::kill(pid_t(frozen.process->pid()), SIGCONT), 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            kvEntries(httpRequest("GET", frozen.url(QStringLiteral("/v1/kv/stop/?recurse&stale")), {}, kPollRequestMs))
                    .value(QStringLiteral("stop/19")) == valueFor(QStringLiteral("stop/19")),
            20000);
        QCOMPARE(leaderSeenBy(frozen), lead.address());
        QCOMPARE(raftStat(agentSelf(lead), "term"), termBefore);
    }

    // Scenario 4: one server of three left. Writes and consistent reads fail with Consul's
    // "No cluster leader" (after rpc_hold_timeout, 7 s); stale reads answer from the local store.
    void noQuorumRefusesWritesAndConsistentReads_data()
    {
        QTest::addColumn<bool>("leaderSurvives");
        QTest::addColumn<QString>("key");
        QTest::newRow("the leader is left") << true << QStringLiteral("quorum/leader-left");
        QTest::newRow("a follower is left") << false << QStringLiteral("quorum/follower-left");
    }
    void noQuorumRefusesWritesAndConsistentReads()
    {
        QFETCH(bool, leaderSurvives);
        QFETCH(QString, key);
        const int leader = waitForAgreedLeader(allServers(), kElectMs);
        QVERIFY(leader >= 0);
        const int survivor = leaderSurvives ? leader : (leader + 1) % kServers;
        const Server &left = m_servers[std::size_t(survivor)];

        const HttpResult w = put(m_servers[std::size_t(leader)], key, valueFor(key));
        QCOMPARE(w.status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(
            kvEntries(httpRequest("GET", left.url(QStringLiteral("/v1/kv/") + key + QStringLiteral("?stale")), {},
                                  kPollRequestMs))
                    .value(key) == valueFor(key),
            10000);

        for (int i = 0; i < kServers; ++i) {
            if (i != survivor)
                QVERIFY(m_servers[std::size_t(i)].process->kill9());
        }

        QElapsedTimer t;
        t.start();
        const HttpResult refused = put(left, key + QStringLiteral("-after"), "x", 20000);
        const qint64 writeMs = t.elapsed();
        QVERIFY2(refused.ok, qPrintable(refused.error));
        QCOMPARE(refused.status, 500);
        QVERIFY2(refused.body.contains("No cluster leader"), refused.body.constData());
        QVERIFY2(writeMs <= 12000, qPrintable(QStringLiteral("the write was refused only after %1 ms").arg(writeMs)));

        t.restart();
        const HttpResult consistent =
            httpRequest("GET", left.url(QStringLiteral("/v1/kv/") + key + QStringLiteral("?consistent")), {}, 20000);
        const qint64 readMs = t.elapsed();
        QVERIFY2(consistent.ok, qPrintable(consistent.error));
        QCOMPARE(consistent.status, 500);
        QVERIFY2(consistent.body.contains("No cluster leader"), consistent.body.constData());

        const HttpResult stale = httpRequest("GET", left.url(QStringLiteral("/v1/kv/") + key + QStringLiteral("?stale")));
        QCOMPARE(stale.status, 200);
        QCOMPARE(kvEntries(stale).value(key), valueFor(key));
        qInfo("%s left alone: write refused after %lld ms, consistent read after %lld ms; stale read 200, "
              "X-Consul-KnownLeader %s, X-Consul-LastContact %s",
              qPrintable(left.name), writeMs, readMs, stale.header("X-Consul-KnownLeader").constData(),
              stale.header("X-Consul-LastContact").constData());
    }
};

QTEST_MAIN(TestRaftCluster)
#include "tst_raft_cluster.moc"
