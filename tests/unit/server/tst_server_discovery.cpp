// ServerDiscovery: servers with empty data dirs find each other through one join address each
// (transitively), bootstrap Raft with the same voters once bootstrap_expect servers are known,
// a late fourth server joins the running cluster as a non-voter and is promoted, a restarted
// server finds its peers from server-peers.json alone, and malformed ServerLists are refused.
// Real PeerTransports on 127.0.0.1 and SQLite storage in temporary dirs; deadlines are polled.
#include "server/server_discovery.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace conclave;
using server::RaftNode;
using server::ServerDiscovery;

namespace {

constexpr int kDeadlineMs = 20000;

class CountingStateMachine : public server::StateMachine {
public:
    state::ApplyResult apply(quint64 index, const QByteArray &command) override
    {
        lastIndex = index;
        commands.append(command);
        return state::ApplyResult{true, {}};
    }
    QByteArray snapshot() const override { return QByteArray::number(commands.size()); }
    bool restore(const QByteArray &, QString *) override { return true; }
    QList<QByteArray> commands;
    quint64 lastIndex = 0;
};

struct Server {
    QString id;
    quint16 port = 0;
    std::shared_ptr<QTemporaryDir> dir;
    std::unique_ptr<CountingStateMachine> sm;
    std::unique_ptr<net::PeerTransport> transport;
    std::unique_ptr<RaftNode> node;
    std::unique_ptr<ServerDiscovery> discovery;
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(port); }
};

}  // namespace

class TestServerDiscovery : public QObject {
    Q_OBJECT
private slots:
    void cleanup() { m_servers.clear(); }
    void bootstrapsThroughOneJoinAddressEach();
    void lateServerJoinsAsNonVoterAndIsPromoted();
    void restartFindsPeersWithoutJoinAddresses();
    void wipedServerReplacesItsOldSelf();
    void listCodecRefusesBadInput();

private:
    Server &add(const QString &id, int expect, const QStringList &join, std::shared_ptr<QTemporaryDir> dir = {},
                quint16 port = 0);
    int leaders() const;
    RaftNode *leader() const;
    std::vector<std::unique_ptr<Server>> m_servers;
};

Server &TestServerDiscovery::add(const QString &id, int expect, const QStringList &join, std::shared_ptr<QTemporaryDir> dir,
                                 quint16 port)
{
    auto s = std::make_unique<Server>();
    s->id = id;
    s->dir = dir ? dir : std::make_shared<QTemporaryDir>();
    s->sm = std::make_unique<CountingStateMachine>();
    net::PeerTransport::Config tc;
    tc.nodeId = id;
    tc.advertiseAddress = QStringLiteral("127.0.0.1:%1").arg(port);
    tc.port = port;
    tc.initialBackoffMs = 10;
    tc.maxBackoffMs = 200;
    s->transport = std::make_unique<net::PeerTransport>(tc);
    QString error;
    if (!s->transport->listen(&error))
        qFatal("%s", qPrintable(error));
    s->port = s->transport->serverPort();

    ServerDiscovery::PeerFile file;
    if (!ServerDiscovery::loadPeerFile(s->dir->path(), &file, &error))
        qFatal("%s", qPrintable(error));
    RaftNode::Config rc;
    rc.nodeId = id;
    rc.advertiseAddress = s->address();
    rc.peers = file.initialVoters;
    rc.selfIsInitialVoter = file.selfIsInitialVoter;
    rc.tickMs = 20;
    s->node = std::make_unique<RaftNode>(*s->sm, *s->transport, rc);
    if (!s->node->open(s->dir->path(), &error))
        qFatal("%s", qPrintable(error));

    ServerDiscovery::Config dc;
    dc.nodeId = id;
    dc.advertiseAddress = s->address();
    dc.bootstrapExpect = expect;
    dc.joinAddresses = join;
    dc.dataDir = s->dir->path();
    dc.announceIntervalMs = 100;
    s->discovery = std::make_unique<ServerDiscovery>(*s->transport, *s->node, dc);
    if (!s->discovery->start(&error))
        qFatal("%s", qPrintable(error));
    m_servers.push_back(std::move(s));
    return *m_servers.back();
}

int TestServerDiscovery::leaders() const
{
    int n = 0;
    for (const auto &s : m_servers)
        n += s->node && s->node->isLeader() ? 1 : 0;
    return n;
}

RaftNode *TestServerDiscovery::leader() const
{
    for (const auto &s : m_servers)
        if (s->node && s->node->isLeader())
            return s->node.get();
    return nullptr;
}

static QStringList sorted(QStringList l)
{
    l.sort();
    return l;
}

void TestServerDiscovery::bootstrapsThroughOneJoinAddressEach()
{
    // s1 joins nobody, s2 and s3 join only s1: s2 and s3 learn of each other through s1.
    Server &s1 = add(QStringLiteral("s1"), 3, {});
    Server &s2 = add(QStringLiteral("s2"), 3, {s1.address()});
    QVERIFY(s1.node->awaitingBootstrap());
    // Two of three: nobody bootstraps yet.
    QTRY_COMPARE_WITH_TIMEOUT(s1.discovery->servers().size(), 2, kDeadlineMs);
    QTRY_COMPARE_WITH_TIMEOUT(s2.discovery->servers().size(), 2, kDeadlineMs);
    QVERIFY(s1.node->awaitingBootstrap());
    QVERIFY(s2.node->awaitingBootstrap());
    Server &s3 = add(QStringLiteral("s3"), 3, {s1.address()});
    QTRY_COMPARE_WITH_TIMEOUT(leaders(), 1, kDeadlineMs);
    const QStringList all{QStringLiteral("s1"), QStringLiteral("s2"), QStringLiteral("s3")};
    for (const auto &s : m_servers) {
        QTRY_VERIFY_WITH_TIMEOUT(!s->node->awaitingBootstrap(), kDeadlineMs);
        QCOMPARE(sorted(s->node->voterIds()), all);
        QCOMPARE(sorted(s->discovery->servers().keys()), all);
    }
    // A write commits on all three.
    bool done = false;
    leader()->propose(QByteArrayLiteral("\xa1\x01\x01"), [&](const server::ProposeResult &r) { done = r.error == server::LogError::None; });
    QTRY_VERIFY_WITH_TIMEOUT(done, kDeadlineMs);
    for (const auto &s : m_servers)
        QTRY_COMPARE_WITH_TIMEOUT(s->sm->commands.size(), 1, kDeadlineMs);
    // The file names the initial voters and where they are.
    ServerDiscovery::PeerFile file;
    QString error;
    QVERIFY2(ServerDiscovery::loadPeerFile(s3.dir->path(), &file, &error), qPrintable(error));
    QVERIFY(file.exists);
    QVERIFY(file.selfIsInitialVoter);
    QCOMPARE(file.initialVoters.size(), 3);
    QCOMPARE(file.initialVoters[0].id, QStringLiteral("s1"));
    QCOMPARE(file.initialVoters[0].address, s1.address());
    QCOMPARE(file.servers.value(QStringLiteral("s2")), s2.address());
}

void TestServerDiscovery::lateServerJoinsAsNonVoterAndIsPromoted()
{
    Server &s1 = add(QStringLiteral("s1"), 3, {});
    add(QStringLiteral("s2"), 3, {s1.address()});
    add(QStringLiteral("s3"), 3, {s1.address()});
    QTRY_COMPARE_WITH_TIMEOUT(leaders(), 1, kDeadlineMs);
    bool done = false;
    leader()->propose(QByteArrayLiteral("\xa1\x01\x02"), [&](const server::ProposeResult &r) { done = r.error == server::LogError::None; });
    QTRY_VERIFY_WITH_TIMEOUT(done, kDeadlineMs);

    // A fourth server started later with the same flags finds the cluster and joins it.
    Server &s4 = add(QStringLiteral("s4"), 3, {s1.address()});
    QTRY_VERIFY_WITH_TIMEOUT(!s4.node->awaitingBootstrap(), kDeadlineMs);
    const QStringList four{QStringLiteral("s1"), QStringLiteral("s2"), QStringLiteral("s3"), QStringLiteral("s4")};
    QTRY_COMPARE_WITH_TIMEOUT(sorted(leader() ? leader()->voterIds() : QStringList()), four, kDeadlineMs);
    QTRY_COMPARE_WITH_TIMEOUT(sorted(s4.node->voterIds()), four, kDeadlineMs);
    QTRY_COMPARE_WITH_TIMEOUT(s4.sm->commands.size(), 1, kDeadlineMs);
    ServerDiscovery::PeerFile file;
    QString error;
    QVERIFY(ServerDiscovery::loadPeerFile(s4.dir->path(), &file, &error));
    QVERIFY(!file.selfIsInitialVoter);
    QCOMPARE(file.initialVoters.size(), 3);
}

void TestServerDiscovery::restartFindsPeersWithoutJoinAddresses()
{
    Server &s1 = add(QStringLiteral("s1"), 3, {});
    add(QStringLiteral("s2"), 3, {s1.address()});
    add(QStringLiteral("s3"), 3, {s1.address()});
    QTRY_COMPARE_WITH_TIMEOUT(leaders(), 1, kDeadlineMs);
    for (const auto &s : m_servers)
        QTRY_VERIFY_WITH_TIMEOUT(!s->node->awaitingBootstrap(), kDeadlineMs);

    // Restart s2 on the same port and dir with no join address at all.
    const quint16 port = m_servers[1]->port;
    std::shared_ptr<QTemporaryDir> dir = m_servers[1]->dir;
    m_servers.erase(m_servers.begin() + 1);
    auto keep = std::move(m_servers);
    m_servers.clear();
    // Re-add with the same id and dir; the transport gets a new port: peers learn it on Hello.
    Server &again = add(QStringLiteral("s2"), 3, {}, dir);
    Q_UNUSED(port);
    for (auto &s : keep)
        m_servers.push_back(std::move(s));
    QVERIFY(!again.node->awaitingBootstrap());
    QCOMPARE(sorted(again.node->voterIds()), (QStringList{QStringLiteral("s1"), QStringLiteral("s2"), QStringLiteral("s3")}));
    bool done = false;
    QTRY_COMPARE_WITH_TIMEOUT(leaders(), 1, kDeadlineMs);
    leader()->propose(QByteArrayLiteral("\xa1\x01\x03"), [&](const server::ProposeResult &r) { done = r.error == server::LogError::None; });
    QTRY_VERIFY_WITH_TIMEOUT(done, kDeadlineMs);
    QTRY_VERIFY_WITH_TIMEOUT(again.sm->commands.contains(QByteArrayLiteral("\xa1\x01\x03")), kDeadlineMs);
}

void TestServerDiscovery::wipedServerReplacesItsOldSelf()
{
    Server &s1 = add(QStringLiteral("s1"), 3, {});
    add(QStringLiteral("s2"), 3, {s1.address()});
    add(QStringLiteral("s3"), 3, {s1.address()});
    QTRY_COMPARE_WITH_TIMEOUT(leaders(), 1, kDeadlineMs);
    for (const auto &s : m_servers)
        QTRY_VERIFY_WITH_TIMEOUT(!s->node->awaitingBootstrap(), kDeadlineMs);
    // Keep s3 a follower so the replacement does not also need an election.
    if (m_servers[2]->node->isLeader())
        std::swap(m_servers[0], m_servers[2]);
    const quint16 port = m_servers[2]->port;
    const QString goneId = m_servers[2]->id;  // s3, or s1 after the swap
    m_servers.pop_back();  // s3 is gone with its data dir; a new process comes up at its address
    Server &fresh = add(QStringLiteral("s3-new"), 3, {m_servers[0]->address()}, {}, port);
    QCOMPARE(fresh.port, port);
    const QStringList expected = sorted({m_servers[0]->id, m_servers[1]->id, QStringLiteral("s3-new")});
    QTRY_COMPARE_WITH_TIMEOUT(sorted(leader() ? leader()->voterIds() : QStringList()), expected, kDeadlineMs);
    QTRY_VERIFY_WITH_TIMEOUT(!fresh.node->awaitingBootstrap(), kDeadlineMs);
    bool done = false;
    leader()->propose(QByteArrayLiteral("\xa1\x01\x04"), [&](const server::ProposeResult &r) { done = r.error == server::LogError::None; });
    QTRY_VERIFY_WITH_TIMEOUT(done, kDeadlineMs);
    QTRY_VERIFY_WITH_TIMEOUT(fresh.sm->commands.contains(QByteArrayLiteral("\xa1\x01\x04")), kDeadlineMs);

    // The old ID stays gone: lists that still carry it (sent before their sender heard of the new
    // server) must not bring it back, or the leader would swap the two back and forth. Ten
    // announce rounds without a change of voters and nobody knowing the old ID any more.
    for (const auto &s : m_servers)
        QTRY_VERIFY_WITH_TIMEOUT(!s->discovery->servers().contains(goneId), kDeadlineMs);
    const bool changed = QTest::qWaitFor(
        [&] {
            const RaftNode *l = leader();
            return l && sorted(l->voterIds()) != expected;
        },
        1000);
    QVERIFY2(!changed, qPrintable(leader()->voterIds().join(u',')));
    for (const auto &s : m_servers)
        QVERIFY2(!s->discovery->servers().contains(goneId), qPrintable(s->id));
}

void TestServerDiscovery::listCodecRefusesBadInput()
{
    server::ServerList list;
    list.expect = 3;
    list.servers = {server::ServerListEntry{QStringLiteral("a"), QStringLiteral("127.0.0.1:1"), true},
                    server::ServerListEntry{QStringLiteral("b"), QStringLiteral("127.0.0.1:2"), false}};
    list.initialVoters = {server::ServerListPeer{QStringLiteral("a"), QStringLiteral("127.0.0.1:1")}};
    server::ServerList back;
    QVERIFY(server::ServerList::decode(list.encode(), &back));
    QCOMPARE(back.expect, 3);
    QCOMPARE(back.servers.size(), 2);
    QCOMPARE(back.servers[1].id, QStringLiteral("b"));
    QCOMPARE(back.servers[0].inCluster, true);
    QCOMPARE(back.servers[1].inCluster, false);
    QCOMPARE(back.initialVoters.size(), 1);
    QCOMPARE(back.initialVoters[0].address, QStringLiteral("127.0.0.1:1"));

    const QByteArray good = list.encode();
    QVERIFY(!server::ServerList::decode(QByteArray(), &back));
    QVERIFY(!server::ServerList::decode(good.left(good.size() - 3), &back));
    QVERIFY(!server::ServerList::decode(QByteArray("\xa0", 1), &back));  // empty map
    server::ServerList placeholder = list;
    placeholder.servers[0].id = QStringLiteral("join:127.0.0.1:1");
    QVERIFY(!server::ServerList::decode(placeholder.encode(), &back));
    server::ServerList huge = list;
    for (int i = 0; i < 100; ++i)
        huge.servers.append(server::ServerListEntry{QString::number(i), QStringLiteral("127.0.0.1:9"), false});
    QVERIFY(!server::ServerList::decode(huge.encode(), &back));
    server::ServerList negative = list;
    negative.expect = -1;
    QVERIFY(!server::ServerList::decode(negative.encode(), &back));
    QCOMPARE(back.servers.size(), 2);  // untouched by the failed decodes
}

QTEST_GUILESS_MAIN(TestServerDiscovery)
#include "tst_server_discovery.moc"
