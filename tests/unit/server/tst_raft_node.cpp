// RaftNode: three servers in one process with real PeerTransports on 127.0.0.1 and real SQLite
// storage in temporary dirs, feeding a small recording state machine. Election, replication of
// writes proposed on the leader and on followers (same order everywhere), failover when the
// leader is destroyed, catch-up of a restarted server through InstallSnapshot, consistent reads,
// and every callback answered exactly once. Deadlines are polled, never slept.
#include "server/raft_node.h"
#include "server/single_node_log.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace conclave;
using server::RaftNode;

namespace {

constexpr int kElectMs = 10000;
constexpr int kCommitMs = 15000;

// Records commands in order; snapshots are that list.
class RecordingStateMachine : public server::StateMachine {
public:
    state::ApplyResult apply(quint64 index, const QByteArray &command) override
    {
        if (index <= lastIndex)
            qFatal("applied index %llu after %llu", index, lastIndex);
        lastIndex = index;
        commands.append(command);
        return state::ApplyResult{true, {}};
    }
    QByteArray snapshot() const override
    {
        QCborArray list;
        for (const QByteArray &c : commands)
            list.append(c);
        return QCborValue(QCborMap{{1, qint64(lastIndex)}, {2, list}}).toCbor();
    }
    bool restore(const QByteArray &bytes, QString *error) override
    {
        const QCborMap map = QCborValue::fromCbor(bytes).toMap();
        if (!map.value(2).isArray()) {
            *error = QStringLiteral("not a recording snapshot");
            return false;
        }
        commands.clear();
        for (const QCborValue &v : map.value(2).toArray())
            commands.append(v.toByteArray());
        lastIndex = quint64(map.value(1).toInteger());
        ++restores;
        return true;
    }
    QList<QByteArray> commands;
    quint64 lastIndex = 0;
    int restores = 0;
};

struct Server {
    QString id;
    quint16 port = 0;
    std::unique_ptr<QTemporaryDir> dir;
    std::unique_ptr<RecordingStateMachine> sm;
    std::unique_ptr<net::PeerTransport> transport;
    std::unique_ptr<RaftNode> node;
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(port); }
};

}  // namespace

class TestRaftNode : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void electsOneLeader();
    void writesOnLeaderAndFollowersApplyInTheSameOrder();
    void newLeaderAfterTheLeaderDies();
    void restartedServerCatchesUpThroughSnapshot();
    void consistentReadOnFollower();
    void noLeaderAfterTheHoldTimeout();
    void requestsAtALeaderDeathDoNotWaitForTheHoldTimeout();
    void leadershipTransferOnGracefulLeave();
    void wholeClusterRestartKeepsEverything();
    void acknowledgedWritesSurviveLeaderKills();
    void devModeDataDirOpensAsSingleVoter();
    void waitsToBootstrapThenCommitsHeldWrites();
    void heldWriteFailsWhenNobodyBootstraps();
    void removedServerLeavesTheConfiguration();

private:
    void startTransport(Server &s);
    void startNode(Server &s);
    void startCluster(int n);
    void stop(Server &s);
    Server *leader();
    Server *follower();
    int leaderCount();
    /// Proposes `command` on `s`; the answer is counted in m_answers[command].
    void propose(Server &s, const QByteArray &command);

    std::vector<Server> m_servers;
    quint64 m_snapshotThreshold = 16384;
    quint64 m_trailingLogs = 10240;
    int m_maxQueuedFrames = 4096;
    int m_rpcHoldMs = 7000;
    bool m_bootstrapLater = false;  // start nodes without peers (bootstrap_expect)
    QHash<QByteArray, int> m_answers;
    QHash<QByteArray, server::ProposeResult> m_results;
    QStringList m_violations;
};

void TestRaftNode::init()
{
    m_servers.clear();
    m_answers.clear();
    m_results.clear();
    m_violations.clear();
    m_snapshotThreshold = 16384;
    m_trailingLogs = 10240;
    m_maxQueuedFrames = 4096;
    m_rpcHoldMs = 7000;
    m_bootstrapLater = false;
}

void TestRaftNode::cleanup()
{
    for (Server &s : m_servers)
        stop(s);
    // Every proposal was answered exactly once, including those failed by the shutdown.
    for (auto it = m_answers.cbegin(); it != m_answers.cend(); ++it)
        QVERIFY2(it.value() == 1, qPrintable(QStringLiteral("%1 answered %2 times").arg(QString::fromUtf8(it.key())).arg(it.value())));
    QVERIFY2(m_violations.isEmpty(), qPrintable(m_violations.join(QLatin1String("; "))));
    m_servers.clear();
}

void TestRaftNode::startTransport(Server &s)
{
    net::PeerTransport::Config c;
    c.nodeId = s.id;
    c.port = s.port;
    c.advertiseAddress = s.address();
    c.initialBackoffMs = 10;
    c.maxBackoffMs = 200;
    c.maxQueuedFrames = m_maxQueuedFrames;
    s.transport = std::make_unique<net::PeerTransport>(c);
    QString error;
    QVERIFY2(s.transport->listen(&error), qPrintable(error));
    s.port = s.transport->serverPort();
}

void TestRaftNode::startNode(Server &s)
{
    RaftNode::Config c;
    c.nodeId = s.id;
    c.advertiseAddress = s.address();
    if (!m_bootstrapLater) {
        for (const Server &p : m_servers)
            c.peers.append(RaftNode::Peer{p.id, p.address()});
    }
    c.tickMs = 20;  // elections within 200–400 ms: fast tests
    c.electionTicks = 10;
    c.snapshotThreshold = m_snapshotThreshold;
    c.trailingLogs = m_trailingLogs;
    c.rpcHoldTimeoutMs = m_rpcHoldMs;
    c.snapshotChunkBytes = 64;  // several chunks even for tiny snapshots
    if (!s.sm)
        s.sm = std::make_unique<RecordingStateMachine>();
    s.node = std::make_unique<RaftNode>(*s.sm, *s.transport, c);
    QString error;
    QVERIFY2(s.node->open(s.dir->path(), &error), qPrintable(error));
}

void TestRaftNode::startCluster(int n)
{
    m_servers.resize(n);
    for (int i = 0; i < n; ++i) {
        m_servers[i].id = QStringLiteral("server-%1").arg(i + 1);
        m_servers[i].dir = std::make_unique<QTemporaryDir>();
        startTransport(m_servers[i]);
    }
    for (Server &s : m_servers)
        startNode(s);
}

void TestRaftNode::stop(Server &s)
{
    s.node.reset();
    s.transport.reset();
}

int TestRaftNode::leaderCount()
{
    int n = 0;
    for (const Server &s : m_servers)
        n += s.node && s.node->isLeader() ? 1 : 0;
    return n;
}

Server *TestRaftNode::leader()
{
    for (Server &s : m_servers)
        if (s.node && s.node->isLeader())
            return &s;
    return nullptr;
}

Server *TestRaftNode::follower()
{
    for (Server &s : m_servers)
        if (s.node && !s.node->isLeader())
            return &s;
    return nullptr;
}

void TestRaftNode::propose(Server &s, const QByteArray &command)
{
    m_answers.insert(command, 0);
    RaftNode *node = s.node.get();
    node->propose(command, [this, command, node](const server::ProposeResult &r) {
        ++m_answers[command];
        m_results.insert(command, r);
        if (r.error == server::LogError::None && node->appliedIndex() < r.index)
            m_violations.append(QStringLiteral("%1 answered before the proposer applied it").arg(QString::fromUtf8(command)));
    });
}

void TestRaftNode::electsOneLeader()
{
    startCluster(3);
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    Server *l = leader();
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_servers.begin(), m_servers.end(),
                                         [&](const Server &s) { return s.node->leaderAddress() == l->address(); }),
                             kElectMs);
    for (const Server &s : m_servers) {
        QCOMPARE(s.node->leaderId(), l->id);
        QVERIFY(s.node->hasLeader());
        QCOMPARE(s.node->currentTerm(), l->node->currentTerm());
        QStringList peers = s.node->peers();
        peers.sort();
        QStringList expected{m_servers[0].address(), m_servers[1].address(), m_servers[2].address()};
        expected.sort();
        QCOMPARE(peers, expected);
    }
    QCOMPARE(l->node->lastContactMs(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(follower()->node->lastContactMs() < 1000, kElectMs);
}

void TestRaftNode::writesOnLeaderAndFollowersApplyInTheSameOrder()
{
    startCluster(3);
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_servers.begin(), m_servers.end(),
                                         [](const Server &s) { return s.node->hasLeader(); }),
                             kElectMs);
    for (int i = 0; i < 30; ++i)
        propose(m_servers[i % 3], QByteArray("w") + QByteArray::number(i));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_answers.cbegin(), m_answers.cend(), [](int n) { return n > 0; }), kCommitMs);
    for (auto it = m_results.cbegin(); it != m_results.cend(); ++it) {
        QVERIFY2(it.value().error == server::LogError::None, qPrintable(it.value().errorText));
        QVERIFY(it.value().index > 0);
        QVERIFY(it.value().result.ok);
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_servers.begin(), m_servers.end(),
                                         [](const Server &s) { return s.sm->commands.size() == 30; }),
                             kCommitMs);
    QCOMPARE(m_servers[1].sm->commands, m_servers[0].sm->commands);
    QCOMPARE(m_servers[2].sm->commands, m_servers[0].sm->commands);
    // Each command sits at the index its proposer was told.
    QSet<quint64> indexes;
    for (const server::ProposeResult &r : std::as_const(m_results))
        indexes.insert(r.index);
    QCOMPARE(indexes.size(), 30);
}

void TestRaftNode::newLeaderAfterTheLeaderDies()
{
    startCluster(3);
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    Server *old = leader();
    propose(*old, "before");
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("before"), 1, kCommitMs);
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_servers.begin(), m_servers.end(),
                                         [](const Server &s) { return s.sm->commands.size() == 1; }),
                             kCommitMs);
    const quint64 oldTerm = old->node->currentTerm();
    QElapsedTimer failover;
    failover.start();
    stop(*old);
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    Server *fresh = leader();
    QVERIFY(fresh != old);
    QVERIFY(fresh->node->currentTerm() > oldTerm);
    qInfo() << "new leader after" << failover.elapsed() << "ms";
    Server *other = nullptr;
    for (Server &s : m_servers)
        if (s.node && &s != fresh)
            other = &s;
    QVERIFY(other);
    QTRY_COMPARE_WITH_TIMEOUT(other->node->leaderId(), fresh->id, kElectMs);
    propose(*fresh, "after-on-leader");
    propose(*other, "after-on-follower");
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("after-on-leader"), 1, kCommitMs);
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("after-on-follower"), 1, kCommitMs);
    QCOMPARE(int(m_results.value("after-on-follower").error), int(server::LogError::None));
    QCOMPARE(int(m_results.value("after-on-leader").error), int(server::LogError::None));
    QTRY_COMPARE_WITH_TIMEOUT(other->sm->commands.size(), 3, kCommitMs);
    QCOMPARE(other->sm->commands, fresh->sm->commands);
    QCOMPARE(fresh->sm->commands.first(), QByteArray("before"));
}

void TestRaftNode::restartedServerCatchesUpThroughSnapshot()
{
    m_snapshotThreshold = 5;
    m_trailingLogs = 2;
    // Appends for the stopped server must not wait in the leader's send queue: it has to come
    // back to a compacted log.
    m_maxQueuedFrames = 1;
    startCluster(3);
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    Server *l = leader();
    Server *f = follower();
    const quint16 port = f->port;
    stop(*f);
    for (int i = 0; i < 40; ++i)
        propose(*l, QByteArray("s") + QByteArray::number(i));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_answers.cbegin(), m_answers.cend(), [](int n) { return n > 0; }), kCommitMs);
    QTRY_VERIFY_WITH_TIMEOUT(l->node->lastSnapshotIndex() >= 30, kCommitMs);
    QCOMPARE(l->sm->commands.size(), 40);

    // Back from its data dir with a fresh (empty) state machine and the same port.
    f->sm = std::make_unique<RecordingStateMachine>();
    f->port = port;
    startTransport(*f);
    startNode(*f);
    QTRY_COMPARE_WITH_TIMEOUT(f->sm->commands.size(), 40, kCommitMs);
    QCOMPARE(f->sm->commands, l->sm->commands);
    QVERIFY(f->sm->restores >= 1);  // it got the leader's snapshot in chunks
    QVERIFY(f->node->lastSnapshotIndex() >= 30);

    // And it restarts from its own snapshot + log without the cluster's help.
    const QList<QByteArray> expected = f->sm->commands;
    stop(*f);
    f->sm = std::make_unique<RecordingStateMachine>();
    startTransport(*f);
    startNode(*f);
    QVERIFY(f->sm->restores == 1);
    QTRY_COMPARE_WITH_TIMEOUT(f->sm->commands, expected, kCommitMs);
}

void TestRaftNode::requestsAtALeaderDeathDoNotWaitForTheHoldTimeout()
{
    // With a hold timeout far longer than the waits below, an answer within them cannot be the
    // deadline's: writes and reads sent to followers right as the leader dies go to the next
    // leader (or, for a write already sent to the dead one, fail at once with LeaderLost).
    m_rpcHoldMs = 120000;
    startCluster(3);
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    Server *old = leader();
    for (Server &s : m_servers)
        QTRY_VERIFY_WITH_TIMEOUT(s.node->hasLeader(), kElectMs);
    stop(*old);
    int reads = 0;
    int readsOk = 0;
    QList<QByteArray> sent;
    for (int round = 0; round < 3; ++round) {
        for (Server &s : m_servers) {
            if (!s.node)
                continue;
            const QByteArray cmd = s.id.toUtf8() + "-" + QByteArray::number(round);
            propose(s, cmd);
            sent.append(cmd);
            s.node->readBarrier([&](bool ok) {
                ++reads;
                readsOk += ok ? 1 : 0;
            });
        }
    }
    QTRY_COMPARE_WITH_TIMEOUT(reads, 6, 2 * kElectMs);
    QCOMPARE(readsOk, 6);
    for (const QByteArray &cmd : std::as_const(sent)) {
        QTRY_COMPARE_WITH_TIMEOUT(m_answers.value(cmd), 1, 2 * kElectMs);
        const server::LogError e = m_results.value(cmd).error;
        QVERIFY2(e == server::LogError::None || e == server::LogError::LeaderLost,
                 qPrintable(QString::fromUtf8(cmd) + QStringLiteral(": ") + m_results.value(cmd).errorText));
    }
}

void TestRaftNode::consistentReadOnFollower()
{
    startCluster(3);
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    Server *l = leader();
    Server *f = follower();
    QTRY_VERIFY_WITH_TIMEOUT(f->node->hasLeader(), kElectMs);
    propose(*l, "x");
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("x"), 1, kCommitMs);
    const quint64 committed = l->node->commitIndex();
    int calls = 0;
    bool ok = false;
    quint64 appliedAtRead = 0;
    f->node->readBarrier([&](bool result) {
        ++calls;
        ok = result;
        appliedAtRead = f->node->appliedIndex();
    });
    QTRY_COMPARE_WITH_TIMEOUT(calls, 1, kCommitMs);
    QVERIFY(ok);
    QVERIFY(appliedAtRead >= committed);
    QVERIFY(f->sm->commands.contains("x"));
}

void TestRaftNode::noLeaderAfterTheHoldTimeout()
{
    // One server of three: it can never win an election, so writes and reads give up.
    m_rpcHoldMs = 400;
    m_servers.resize(3);
    for (int i = 0; i < 3; ++i) {
        m_servers[i].id = QStringLiteral("server-%1").arg(i + 1);
        m_servers[i].dir = std::make_unique<QTemporaryDir>();
        startTransport(m_servers[i]);
    }
    startNode(m_servers[0]);
    QElapsedTimer timer;
    timer.start();
    propose(m_servers[0], "lonely");
    bool readDone = false;
    bool readOk = true;
    m_servers[0].node->readBarrier([&](bool ok) {
        readDone = true;
        readOk = ok;
    });
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("lonely"), 1, kCommitMs);
    QVERIFY(timer.elapsed() >= 400);
    QCOMPARE(int(m_results.value("lonely").error), int(server::LogError::NoLeader));
    QCOMPARE(m_results.value("lonely").errorText, QStringLiteral("No cluster leader"));
    QTRY_VERIFY_WITH_TIMEOUT(readDone, kCommitMs);
    QVERIFY(!readOk);
    QVERIFY(!m_servers[0].node->hasLeader());
    QVERIFY(m_servers[0].node->leaderAddress().isEmpty());
    QVERIFY(m_servers[0].sm->commands.isEmpty());
}

void TestRaftNode::leadershipTransferOnGracefulLeave()
{
    startCluster(3);
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    Server *old = leader();
    propose(*old, "t");
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("t"), 1, kCommitMs);
    bool transferred = false;
    old->node->transferLeadership([&] { transferred = true; });
    QTRY_VERIFY_WITH_TIMEOUT(transferred, kElectMs);
    QVERIFY(!old->node->isLeader());
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    QVERIFY(leader() != old);
    stop(*old);
    propose(*leader(), "after-transfer");
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("after-transfer"), 1, kCommitMs);
    QCOMPARE(int(m_results.value("after-transfer").error), int(server::LogError::None));
}

void TestRaftNode::wholeClusterRestartKeepsEverything()
{
    m_snapshotThreshold = 8;
    m_trailingLogs = 3;
    startCluster(3);
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    for (int i = 0; i < 20; ++i)
        propose(*leader(), QByteArray("r") + QByteArray::number(i));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_answers.cbegin(), m_answers.cend(), [](int n) { return n > 0; }), kCommitMs);
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_servers.begin(), m_servers.end(),
                                         [](const Server &s) { return s.sm->commands.size() == 20; }),
                             kCommitMs);
    const QList<QByteArray> expected = m_servers[0].sm->commands;
    for (Server &s : m_servers) {
        stop(s);
        s.sm = std::make_unique<RecordingStateMachine>();
    }
    for (Server &s : m_servers)
        startTransport(s);
    for (Server &s : m_servers)
        startNode(s);
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    propose(*leader(), "after-restart");
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("after-restart"), 1, kCommitMs);
    QCOMPARE(int(m_results.value("after-restart").error), int(server::LogError::None));
    QCOMPARE(m_results.value("after-restart").index > 20, true);
    for (Server &s : m_servers) {
        QTRY_COMPARE_WITH_TIMEOUT(s.sm->commands.size(), 21, kCommitMs);
        QCOMPARE(s.sm->commands.mid(0, 20), expected);
    }
}

// Four clients write in a loop, each to a random live server, while the leader is killed and
// restarted twice. Every acknowledged write ends up in every state machine, in the same order.
void TestRaftNode::acknowledgedWritesSurviveLeaderKills()
{
    // A write forwarded to a leader that died is answered (NoLeader) at the hold timeout.
    m_rpcHoldMs = 1500;
    startCluster(3);
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    int next = 0;
    bool running = true;
    QList<QByteArray> acknowledged;
    std::function<void(int)> write = [&](int client) {
        if (!running)
            return;
        std::vector<Server *> live;
        for (Server &s : m_servers)
            if (s.node)
                live.push_back(&s);
        Server *target = live[QRandomGenerator::global()->bounded(int(live.size()))];
        const QByteArray command = QByteArray("c") + QByteArray::number(client) + '-' + QByteArray::number(next++);
        m_answers.insert(command, 0);
        target->node->propose(command, [&, command, client](const server::ProposeResult &r) {
            ++m_answers[command];
            if (r.error == server::LogError::None)
                acknowledged.append(command);
            // Continue from the event loop: the answering node may be about to be destroyed.
            QTimer::singleShot(0, this, [&write, client] { write(client); });
        });
    };
    for (int c = 0; c < 4; ++c)
        write(c);
    for (int round = 0; round < 2; ++round) {
        const qsizetype before = acknowledged.size();
        QTRY_VERIFY_WITH_TIMEOUT(acknowledged.size() >= before + 20, kCommitMs);
        Server *l = leader();
        QVERIFY(l);
        stop(*l);
        QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
        l->sm = std::make_unique<RecordingStateMachine>();
        startTransport(*l);
        startNode(*l);
    }
    const qsizetype before = acknowledged.size();
    QTRY_VERIFY_WITH_TIMEOUT(acknowledged.size() >= before + 20, kCommitMs);
    running = false;
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_answers.cbegin(), m_answers.cend(), [](int n) { return n > 0; }), kCommitMs);
    Server *l = leader();
    QVERIFY(l);
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_servers.begin(), m_servers.end(),
                                         [&](const Server &s) { return s.sm->commands == l->sm->commands; }),
                             kCommitMs);
    const QSet<QByteArray> applied(l->sm->commands.cbegin(), l->sm->commands.cend());
    QCOMPARE(applied.size(), l->sm->commands.size());  // nothing applied twice
    for (const QByteArray &c : std::as_const(acknowledged))
        QVERIFY2(applied.contains(c), c.constData());
    qInfo() << acknowledged.size() << "acknowledged writes," << l->sm->commands.size() << "applied";
}

// A data dir written by SingleNodeLog (dev mode: raw commands, a snapshot without a Raft
// membership) opens as a one-voter Raft cluster with everything in it.
void TestRaftNode::devModeDataDirOpensAsSingleVoter()
{
    m_servers.resize(1);
    Server &s = m_servers[0];
    s.id = QStringLiteral("solo");
    s.dir = std::make_unique<QTemporaryDir>();
    s.sm = std::make_unique<RecordingStateMachine>();
    {
        server::SingleNodeLog::Config c;
        c.snapshotThreshold = 3;
        c.trailingLogs = 1;
        c.advertiseAddress = QStringLiteral("127.0.0.1:8300");
        server::SingleNodeLog log(*s.sm, c);
        QString error;
        QVERIFY2(log.open(s.dir->path(), &error), qPrintable(error));
        int answered = 0;
        for (int i = 0; i < 5; ++i)
            log.propose(QByteArray("\xa1\x61k\x61") + char('a' + i), [&](const server::ProposeResult &) { ++answered; });
        QTRY_COMPARE_WITH_TIMEOUT(answered, 5, kCommitMs);
        QTRY_VERIFY_WITH_TIMEOUT(log.lastSnapshotIndex() >= 3, kCommitMs);
    }
    const QList<QByteArray> expected = s.sm->commands;
    QCOMPARE(expected.size(), 5);
    s.sm = std::make_unique<RecordingStateMachine>();
    startTransport(s);
    startNode(s);
    QTRY_VERIFY_WITH_TIMEOUT(s.node->isLeader(), kElectMs);
    QTRY_COMPARE_WITH_TIMEOUT(s.sm->commands, expected, kCommitMs);
    propose(s, "\xa1\x61k\x61z");
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("\xa1\x61k\x61z"), 1, kCommitMs);
    QCOMPARE(int(m_results.value("\xa1\x61k\x61z").error), int(server::LogError::None));
    QCOMPARE(s.sm->commands.size(), 6);
    QCOMPARE(s.node->peers(), QStringList{s.address()});
}

void TestRaftNode::waitsToBootstrapThenCommitsHeldWrites()
{
    // bootstrap_expect: servers open empty dirs without voters and wait; a write made meanwhile
    // is held, then committed once every server was given the same voter list.
    m_bootstrapLater = true;
    startCluster(3);
    for (const Server &s : m_servers) {
        QVERIFY(s.node->awaitingBootstrap());
        QVERIFY(!s.node->hasLeader());
        QVERIFY(s.node->voterIds().isEmpty());
    }
    propose(m_servers[1], "early");
    QList<RaftNode::Peer> peers;
    for (const Server &s : m_servers)
        peers.append(RaftNode::Peer{s.id, s.address()});
    for (Server &s : m_servers) {
        QString error;
        QVERIFY2(s.node->bootstrap(peers, &error), qPrintable(error));
        QVERIFY(!s.node->awaitingBootstrap());
        QVERIFY(!s.node->bootstrap(peers, &error));  // only once
    }
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("early"), 1, kCommitMs);
    QCOMPARE(int(m_results.value("early").error), int(server::LogError::None));
    for (const Server &s : m_servers) {
        QTRY_COMPARE_WITH_TIMEOUT(s.sm->commands, QList<QByteArray>{"early"}, kCommitMs);
        QStringList voters = s.node->voterIds();
        voters.sort();
        QCOMPARE(voters, (QStringList{QStringLiteral("server-1"), QStringLiteral("server-2"), QStringLiteral("server-3")}));
    }

    // A restart needs the voter list again (index 0 is not stored) and finds its data.
    Server &s = m_servers[2];
    stop(s);
    s.sm.reset();  // a restarted process starts with an empty state machine
    m_bootstrapLater = false;
    startTransport(s);
    startNode(s);
    QVERIFY(!s.node->awaitingBootstrap());
    // The stopped server may have been the leader: wait for the next one.
    QTRY_VERIFY_WITH_TIMEOUT(leader() != nullptr, kElectMs);
    propose(*leader(), "later");
    QTRY_COMPARE_WITH_TIMEOUT(s.sm->commands, (QList<QByteArray>{"early", "later"}), kCommitMs);
}

void TestRaftNode::heldWriteFailsWhenNobodyBootstraps()
{
    m_rpcHoldMs = 300;
    m_bootstrapLater = true;
    startCluster(1);
    QElapsedTimer timer;
    timer.start();
    propose(m_servers[0], "never");
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("never"), 1, kCommitMs);
    QVERIFY(timer.elapsed() >= 300);
    QCOMPARE(int(m_results.value("never").error), int(server::LogError::NoLeader));
    QCOMPARE(m_results.value("never").errorText, QStringLiteral("No cluster leader"));
    QVERIFY(m_servers[0].node->awaitingBootstrap());
    QVERIFY(m_servers[0].sm->commands.isEmpty());
}

void TestRaftNode::removedServerLeavesTheConfiguration()
{
    startCluster(3);
    QTRY_COMPARE_WITH_TIMEOUT(leaderCount(), 1, kElectMs);
    Server *l = leader();
    Server *gone = follower();
    const QString goneId = gone->id;
    // A new leader changes membership only after committing an entry of its own term.
    propose(*l, "first");
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("first"), 1, kCommitMs);

    // A follower cannot change the membership.
    int followerAnswers = 0;
    server::ProposeResult followerResult;
    gone->node->changeMembership(raft::ConfChange{raft::ConfChangeType::Remove, raft::NodeId{goneId}, {}},
                                 [&](const server::ProposeResult &r) {
                                     ++followerAnswers;
                                     followerResult = r;
                                 });
    QTRY_COMPARE_WITH_TIMEOUT(followerAnswers, 1, kCommitMs);
    QCOMPARE(int(followerResult.error), int(server::LogError::NoLeader));

    int answers = 0;
    server::ProposeResult result;
    int changes = 0;
    connect(l->node.get(), &RaftNode::membershipChanged, this, [&] { ++changes; });
    l->node->changeMembership(raft::ConfChange{raft::ConfChangeType::Remove, raft::NodeId{goneId}, {}},
                              [&](const server::ProposeResult &r) {
                                  ++answers;
                                  result = r;
                              });
    QTRY_COMPARE_WITH_TIMEOUT(answers, 1, kCommitMs);
    QVERIFY2(result.error == server::LogError::None, qPrintable(result.errorText));
    QVERIFY(result.index > 0);
    QCOMPARE(changes, 1);
    QCOMPARE(l->node->voterIds().size(), 2);
    QVERIFY(!l->node->voterIds().contains(goneId));
    QVERIFY(!l->node->peers().contains(gone->address()));

    // With the removed server gone, the two left are the whole quorum.
    stop(*gone);
    propose(*l, "two-of-two");
    QTRY_COMPARE_WITH_TIMEOUT(m_answers.value("two-of-two"), 1, kCommitMs);
    QCOMPARE(int(m_results.value("two-of-two").error), int(server::LogError::None));
}

QTEST_GUILESS_MAIN(TestRaftNode)
#include "tst_raft_node.moc"
