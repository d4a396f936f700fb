// Real GossipPools in one process on 127.0.0.1 (free ports, fast timings): they join and all see
// all alive; a pool destroyed without leaving is marked failed by the others; a graceful leave is
// seen as left; tags propagate; with encryption a pool under another key cannot join (its streams
// and packets fail authentication and are counted), and a rotation done in Consul's order
// (install, use, remove everywhere) keeps the cluster whole. Everything polls with QTRY_*.
#include "gossip/gossip_pool.h"

#include <QSignalSpy>
#include <QtTest>

#include <functional>
#include <memory>

using namespace conclave;
using gossip::GossipPool;
using gossip::Member;
using gossip::MemberStatus;

namespace {

// Timings scaled down from Config::local so that a failure is found in a couple of seconds:
// suspicion min = 3 × 200 ms (n ≤ 10), max = 6 × min. The LAN retransmit budget (local's 2 lets
// a join that several members make at once reach the last member only by push-pull).
gossip::Config fastConfig(const QString &name)
{
    gossip::Config c = gossip::Config::local(name, QString());
    c.probeIntervalMs = 200;
    c.probeTimeoutMs = 100;
    c.gossipIntervalMs = 50;
    c.suspicionMult = 3;
    c.retransmitMult = 4;
    c.pushPullIntervalMs = 2000;
    c.tcpTimeoutMs = 1000;
    c.leavePropagateDelayMs = 2000;
    return c;
}

struct Pool {
    std::unique_ptr<GossipPool> pool;
    QString name;
    QStringList joined, updated, left, failed;  // member names, per signal
};

std::unique_ptr<Pool> makePool(const QString &name, const QByteArray &key = {}, quint64 seed = 0,
                               const std::function<void(GossipPool::Options &)> &tweak = {})
{
    auto p = std::make_unique<Pool>();
    p->name = name;
    GossipPool::Options o;
    o.swim = fastConfig(name);
    o.swim.tags = gossip::Tags{{QStringLiteral("role"), QStringLiteral("node")}};
    o.transport.bindAddress = QHostAddress::LocalHost;
    o.transport.port = 0;
    if (!key.isEmpty())
        o.transport.security.keyring.install(key);
    o.randomSeed = seed;
    if (tweak)
        tweak(o);
    p->pool = std::make_unique<GossipPool>(std::move(o));
    Pool *raw = p.get();
    QObject::connect(p->pool.get(), &GossipPool::memberJoined, p->pool.get(),
                     [raw](const Member &m) { raw->joined << m.name; });
    QObject::connect(p->pool.get(), &GossipPool::memberUpdated, p->pool.get(),
                     [raw](const Member &m) { raw->updated << m.name; });
    QObject::connect(p->pool.get(), &GossipPool::memberLeft, p->pool.get(),
                     [raw](const Member &m) { raw->left << m.name; });
    QObject::connect(p->pool.get(), &GossipPool::memberFailed, p->pool.get(),
                     [raw](const Member &m) { raw->failed << m.name; });
    QString error;
    if (!p->pool->start(&error))
        qWarning() << error;
    return p;
}

using Cluster = std::vector<std::unique_ptr<Pool>>;

Cluster makeCluster(int n, const QByteArray &key = {})
{
    Cluster c;
    for (int i = 0; i < n; ++i)
        c.push_back(makePool(QStringLiteral("node-%1").arg(i), key, quint64(1000 + i)));
    for (int i = 1; i < n; ++i)
        c[std::size_t(i)]->pool->join({c[0]->pool->address()});
    return c;
}

MemberStatus statusSeen(const Pool &observer, const QString &name)
{
    const std::optional<Member> m = observer.pool->member(name);
    return m ? m->status() : MemberStatus::None;
}

// Every live pool sees every pool in `subjects` with `status`.
bool allSee(const Cluster &c, const QStringList &subjects, MemberStatus status)
{
    for (const auto &p : c) {
        if (!p || !p->pool->isRunning())
            continue;
        for (const QString &s : subjects) {
            if (s != p->name && statusSeen(*p, s) != status)
                return false;
        }
    }
    return true;
}

QStringList namesOf(const Cluster &c)
{
    QStringList names;
    for (const auto &p : c)
        names << p->name;
    return names;
}

}  // namespace

class TestGossipPool : public QObject {
    Q_OBJECT
private slots:
    void startReportsPortAndSelf();
    void membersJoinAndAllSeeAllAlive();
    void destroyedMemberIsMarkedFailed();
    void gracefulLeaveIsSeenAsLeft();
    void leaveAloneFinishesAtOnce();
    void tagsPropagate();
    void joinOfNobodyFinishesWithZero();
    void encryptedPoolsForm();
    void poolWithAnotherKeyCannotJoin();
    void keyRotationKeepsTheClusterWhole();
    void healedPartitionRejoinsByReconnect();
    void portTakenFailsToStart();
};

void TestGossipPool::startReportsPortAndSelf()
{
    auto a = makePool(QStringLiteral("a"));
    QVERIFY(a->pool->isRunning());
    QVERIFY(a->pool->port() != 0);
    QCOMPARE(a->pool->address(), QStringLiteral("127.0.0.1:%1").arg(a->pool->port()));
    QCOMPARE(a->joined, QStringList{QStringLiteral("a")});  // ourselves, as serf reports
    QCOMPARE(a->pool->members().size(), 1u);
    QCOMPARE(a->pool->localMember().status(), MemberStatus::Alive);
    QCOMPARE(a->pool->localMember().tags.value(QStringLiteral("role")), QStringLiteral("node"));
}

void TestGossipPool::membersJoinAndAllSeeAllAlive()
{
    Cluster c;
    c.push_back(makePool(QStringLiteral("node-0")));
    for (int i = 1; i < 5; ++i)
        c.push_back(makePool(QStringLiteral("node-%1").arg(i)));
    QSignalSpy finished(c[1]->pool.get(), &GossipPool::joinFinished);
    for (int i = 1; i < 5; ++i)
        QCOMPARE(c[std::size_t(i)]->pool->join({c[0]->pool->address()}), 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
    QCOMPARE(finished[0][0].toInt(), 1);  // contacted
    QCOMPARE(finished[0][1].toInt(), 1);  // attempted
    QCOMPARE(c[1]->pool->joinedCount(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(allSee(c, namesOf(c), MemberStatus::Alive), 15000);
    for (const auto &p : c) {
        QCOMPARE(p->pool->members().size(), 5u);
        QCOMPARE(p->joined.size(), 5);  // the others and ourselves, once each
        QVERIFY(p->failed.isEmpty());
        const std::optional<Member> peer = p->pool->member(c[0]->name);
        QVERIFY(peer);
        QCOMPARE(peer->addr, c[0]->pool->address());
    }
    QVERIFY(c[0]->pool->transportStats().packetsIn > 0);
    QCOMPARE(c[0]->pool->transportStats().packetAuthFailures, 0u);
}

void TestGossipPool::destroyedMemberIsMarkedFailed()
{
    Cluster c = makeCluster(4);
    QTRY_VERIFY_WITH_TIMEOUT(allSee(c, namesOf(c), MemberStatus::Alive), 15000);
    const QString victim = c[3]->name;
    QElapsedTimer t;
    t.start();
    c[3].reset();  // no leave: its sockets simply close
    c.pop_back();
    QTRY_VERIFY_WITH_TIMEOUT(allSee(c, {victim}, MemberStatus::Failed), 20000);
    qInfo("failure seen by all %d survivors after %lld ms", int(c.size()), t.elapsed());
    for (const auto &p : c) {
        QCOMPARE(p->failed, QStringList{victim});
        QVERIFY(p->left.isEmpty());
    }
    // The survivors stay alive to each other.
    QVERIFY(allSee(c, namesOf(c), MemberStatus::Alive));
}

void TestGossipPool::gracefulLeaveIsSeenAsLeft()
{
    Cluster c = makeCluster(4);
    QTRY_VERIFY_WITH_TIMEOUT(allSee(c, namesOf(c), MemberStatus::Alive), 15000);
    const QString leaver = c[2]->name;
    QSignalSpy done(c[2]->pool.get(), &GossipPool::leaveFinished);
    c[2]->pool->leave();
    QCOMPARE(c[2]->pool->localMember().status(), MemberStatus::Leaving);
    QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 5000);
    QVERIFY(!c[2]->pool->isRunning());
    QCOMPARE(c[2]->pool->localMember().status(), MemberStatus::Left);
    QTRY_VERIFY_WITH_TIMEOUT(allSee(c, {leaver}, MemberStatus::Left), 10000);
    for (const auto &p : c) {
        if (p->name == leaver)
            continue;
        QCOMPARE(p->left, QStringList{leaver});
        QVERIFY(p->failed.isEmpty());  // a leave is never a failure
    }
}

void TestGossipPool::leaveAloneFinishesAtOnce()
{
    auto a = makePool(QStringLiteral("alone"));
    QSignalSpy done(a->pool.get(), &GossipPool::leaveFinished);
    a->pool->leave(10000);
    QCOMPARE(done.size(), 1);  // nobody to tell
    QVERIFY(!a->pool->isRunning());
    QCOMPARE(a->pool->join({QStringLiteral("127.0.0.1:1")}), 0);
    QVERIFY(!a->pool->setTags({}));
}

void TestGossipPool::tagsPropagate()
{
    Cluster c = makeCluster(3);
    QTRY_VERIFY_WITH_TIMEOUT(allSee(c, namesOf(c), MemberStatus::Alive), 15000);
    const gossip::Tags tags{{QStringLiteral("role"), QStringLiteral("consul")},
                            {QStringLiteral("dc"), QStringLiteral("dc1")}};
    QVERIFY(c[1]->pool->setTags(tags));
    QTRY_VERIFY_WITH_TIMEOUT(c[0]->pool->member(c[1]->name)->tags == tags
                                 && c[2]->pool->member(c[1]->name)->tags == tags,
                             10000);
    QCOMPARE(c[0]->updated, QStringList{c[1]->name});
    QCOMPARE(c[1]->updated, QStringList{c[1]->name});
}

void TestGossipPool::joinOfNobodyFinishesWithZero()
{
    auto a = makePool(QStringLiteral("a"));
    QSignalSpy finished(a->pool.get(), &GossipPool::joinFinished);
    // A stopped pool's port, a name that does not resolve, and ourselves (skipped).
    auto gone = makePool(QStringLiteral("gone"));
    const QString closed = gone->pool->address();
    gone->pool->stop();
    QCOMPARE(a->pool->join({closed, QStringLiteral("no-such-host.invalid:8301"), a->pool->address()}), 2);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QCOMPARE(finished[0][0].toInt(), 0);
    QCOMPARE(finished[0][1].toInt(), 2);
    QCOMPARE(a->pool->joinedCount(), 0);
    QCOMPARE(a->pool->members().size(), 1u);
}

void TestGossipPool::encryptedPoolsForm()
{
    const QByteArray key = net::generateGossipKey();
    Cluster c = makeCluster(3, key);
    QTRY_VERIFY_WITH_TIMEOUT(allSee(c, namesOf(c), MemberStatus::Alive), 15000);
    for (const auto &p : c) {
        QCOMPARE(p->pool->transportStats().packetAuthFailures, 0u);
        QCOMPARE(p->pool->transportStats().streamAuthFailures, 0u);
    }
}

void TestGossipPool::poolWithAnotherKeyCannotJoin()
{
    Cluster c = makeCluster(3, net::generateGossipKey());
    QTRY_VERIFY_WITH_TIMEOUT(allSee(c, namesOf(c), MemberStatus::Alive), 15000);
    auto intruder = makePool(QStringLiteral("intruder"), net::generateGossipKey());
    QSignalSpy intruderJoin(intruder->pool.get(), &GossipPool::joinFinished);
    QCOMPARE(intruder->pool->join({c[0]->pool->address()}), 1);
    QTRY_COMPARE_WITH_TIMEOUT(intruderJoin.size(), 1, 5000);
    QCOMPARE(intruderJoin[0][0].toInt(), 0);
    QCOMPARE(c[0]->pool->transportStats().streamAuthFailures, 1u);

    // The other way round: the cluster dials the intruder.
    QSignalSpy clusterJoin(c[1]->pool.get(), &GossipPool::joinFinished);
    QCOMPARE(c[1]->pool->join({intruder->pool->address()}), 1);
    QTRY_COMPARE_WITH_TIMEOUT(clusterJoin.size(), 1, 5000);
    QCOMPARE(clusterJoin[0][0].toInt(), 0);
    QCOMPARE(intruder->pool->transportStats().streamAuthFailures, 1u);
    // A plaintext pool is no better.
    auto plain = makePool(QStringLiteral("plain"));
    QSignalSpy plainJoin(plain->pool.get(), &GossipPool::joinFinished);
    plain->pool->join({c[2]->pool->address()});
    QTRY_COMPARE_WITH_TIMEOUT(plainJoin.size(), 1, 5000);
    QCOMPARE(plainJoin[0][0].toInt(), 0);
    QCOMPARE(c[2]->pool->transportStats().streamAuthFailures, 1u);

    QCOMPARE(intruder->pool->members().size(), 1u);
    for (const auto &p : c) {
        QCOMPARE(p->pool->members().size(), 3u);
        QVERIFY(!p->pool->member(QStringLiteral("intruder")));
    }

    // A member whose key changes under it: its datagrams fail at the others (and theirs at it),
    // each counted, and it ends up failed.
    const QString stray = c[2]->name;
    net::GossipKeyring &ring = c[2]->pool->security().keyring;
    const QByteArray oldKey = ring.primaryKey();
    QVERIFY(ring.install(net::generateGossipKey()));
    QVERIFY(ring.use(ring.keys().last()));
    QVERIFY(ring.remove(oldKey));
    QTRY_VERIFY_WITH_TIMEOUT(c[0]->pool->transportStats().packetAuthFailures > 0
                                 && c[2]->pool->transportStats().packetAuthFailures > 0,
                             10000);
    QTRY_COMPARE_WITH_TIMEOUT(statusSeen(*c[0], stray), MemberStatus::Failed, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(statusSeen(*c[1], stray), MemberStatus::Failed, 20000);
}

void TestGossipPool::keyRotationKeepsTheClusterWhole()
{
    const QByteArray oldKey = net::generateGossipKey();
    const QByteArray newKey = net::generateGossipKey();
    Cluster c = makeCluster(3, oldKey);
    QTRY_VERIFY_WITH_TIMEOUT(allSee(c, namesOf(c), MemberStatus::Alive), 15000);
    // Consul's order: `keyring -install` everywhere, then `-use`, then `-remove`.
    // Between steps a few probe rounds go by, so that nothing sealed under a key about to be
    // removed is still in flight (an operator waits for each step to reach every member too).
    const auto someRounds = [&c] {
        const quint64 before = c[0]->pool->swimStats().probes;
        return QTest::qWaitFor([&] { return c[0]->pool->swimStats().probes >= before + 3; }, 10000);
    };
    for (const auto &p : c)
        QVERIFY(p->pool->security().keyring.install(newKey));
    QVERIFY(someRounds());
    for (const auto &p : c)
        QVERIFY(p->pool->security().keyring.use(newKey));
    QVERIFY(someRounds());
    for (const auto &p : c)
        QVERIFY(p->pool->security().keyring.remove(oldKey));
    // Several probe rounds under the new key alone: every probe answered, nothing failed.
    const quint64 probesBefore = c[0]->pool->swimStats().probes;
    QTRY_VERIFY_WITH_TIMEOUT(c[0]->pool->swimStats().probes >= probesBefore + 10, 10000);
    QVERIFY(allSee(c, namesOf(c), MemberStatus::Alive));
    for (const auto &p : c) {
        QCOMPARE(p->pool->transportStats().packetAuthFailures, 0u);
        QVERIFY(p->failed.isEmpty());
        QCOMPARE(p->pool->security().keyring.keys(), QList<QByteArray>{newKey});
    }
}

void TestGossipPool::healedPartitionRejoinsByReconnect()
{
    // Two pools cut apart (one changes its key) long enough to stop gossiping to each other as
    // dead; once the keys agree again only serf's reconnect brings them back together.
    const QByteArray key = net::generateGossipKey();
    const auto tweak = [](GossipPool::Options &o) {
        o.swim.gossipToTheDeadMs = 300;
        o.reconnectIntervalMs = 200;
    };
    Cluster c;
    c.push_back(makePool(QStringLiteral("node-0"), key, 1, tweak));
    c.push_back(makePool(QStringLiteral("node-1"), key, 2, tweak));
    c[1]->pool->join({c[0]->pool->address()});
    QTRY_VERIFY_WITH_TIMEOUT(allSee(c, namesOf(c), MemberStatus::Alive), 15000);

    net::GossipKeyring &ring = c[1]->pool->security().keyring;
    const QByteArray other = net::generateGossipKey();
    QVERIFY(ring.install(other));
    QVERIFY(ring.use(other));
    QVERIFY(ring.remove(key));
    QTRY_VERIFY_WITH_TIMEOUT(allSee(c, namesOf(c), MemberStatus::Failed), 20000);
    // Past GossipToTheDead on both sides: SWIM itself no longer sends them anything.
    QTRY_VERIFY_WITH_TIMEOUT(c[0]->pool->nowMs() - c[0]->pool->member(c[1]->name)->stateChangeMs > 600
                                 && c[1]->pool->nowMs() - c[1]->pool->member(c[0]->name)->stateChangeMs > 600,
                             5000);

    QVERIFY(ring.install(key));
    QVERIFY(ring.use(key));
    QVERIFY(ring.remove(other));
    QTRY_VERIFY_WITH_TIMEOUT(allSee(c, namesOf(c), MemberStatus::Alive), 15000);
    QCOMPARE(c[0]->joined.count(c[1]->name), 2);  // joined, failed, joined again
    QCOMPARE(c[0]->failed, QStringList{c[1]->name});
}

void TestGossipPool::portTakenFailsToStart()
{
    auto a = makePool(QStringLiteral("a"));
    GossipPool::Options o;
    o.swim = fastConfig(QStringLiteral("b"));
    o.transport.port = a->pool->port();
    GossipPool b(o);
    QString error;
    QVERIFY(!b.start(&error));
    QVERIFY2(error.startsWith(QLatin1String("cannot listen on 127.0.0.1:")), qPrintable(error));
    QVERIFY(!b.isRunning());
    QVERIFY(b.members().empty());
}

QTEST_MAIN(TestGossipPool)
#include "tst_gossip_pool.moc"
