// CLI: flag parsing, output formats against Consul's, and runCli end to end against a fake
// agent (a QTcpServer on its own thread, since the CLI waits on a local event loop).
#include "cli/catalog_command.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/http_client.h"
#include "cli/kv_command.h"
#include "cli/members_command.h"
#include "cli/operator_command.h"
#include "cli/output.h"
#include "cli/snapshot_command.h"
#include "cli/version_command.h"
#include "core/state/command.h"
#include "core/state/fsm.h"
#include "core/state/snapshot_archive.h"

#include <QBuffer>
#include <QFile>
#include <QTemporaryDir>
#include <QMutex>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>

using namespace conclave;
using namespace conclave::cli;

namespace {

// Plays an agent: answers "METHOD /path" with a canned status and body, records requests.
// Lives on its own thread; routes are set before start().
class FakeAgent : public QObject
{
    Q_OBJECT
public:
    struct Reply {
        int status;
        QByteArray body;
    };
    QMap<QByteArray, Reply> routes;  // "GET /v1/kv/foo" → reply

    quint16 start()
    {
        m_server = new QTcpServer(this);
        m_server->listen(QHostAddress::LocalHost, 0);
        connect(m_server, &QTcpServer::newConnection, this, &FakeAgent::onNewConnection);
        return m_server->serverPort();
    }

    // Runs on the agent's thread; hands the object back so it is destroyed where it was made.
    void stop(QThread *home)
    {
        delete m_server;
        m_server = nullptr;
        moveToThread(home);
    }

    QList<QByteArray> requests() const
    {
        QMutexLocker lock(&m_mutex);
        return m_requests;
    }

private:
    void onNewConnection()
    {
        while (QTcpSocket *socket = m_server->nextPendingConnection()) {
            auto *buffer = new QByteArray;
            connect(socket, &QTcpSocket::disconnected, socket, [socket, buffer] {
                delete buffer;
                socket->deleteLater();
            });
            connect(socket, &QTcpSocket::readyRead, socket, [this, socket, buffer] {
                *buffer += socket->readAll();
                const qsizetype end = buffer->indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                qsizetype length = 0;
                for (const QByteArray &line : buffer->left(end).split('\n')) {
                    if (line.toLower().startsWith("content-length:"))
                        length = line.mid(15).trimmed().toLongLong();
                }
                if (buffer->size() < end + 4 + length)
                    return;
                const QByteArray requestLine = buffer->left(buffer->indexOf("\r\n"));
                const QByteArray body = buffer->mid(end + 4, length);
                const QList<QByteArray> parts = requestLine.split(' ');
                const QByteArray target = parts.value(1);
                const QByteArray path = target.left(target.indexOf('?') >= 0 ? target.indexOf('?')
                                                                             : target.size());
                {
                    QMutexLocker lock(&m_mutex);
                    m_requests.append(parts.value(0) + ' ' + target + (body.isEmpty() ? "" : " " + body));
                }
                const Reply reply = routes.value(parts.value(0) + ' ' + path, {404, QByteArray()});
                socket->write("HTTP/1.1 " + QByteArray::number(reply.status) + " X\r\n"
                              "Content-Type: application/json\r\nContent-Length: "
                              + QByteArray::number(reply.body.size())
                              + "\r\nConnection: close\r\n\r\n" + reply.body);
                socket->disconnectFromHost();
            });
        }
    }

    QTcpServer *m_server = nullptr;
    mutable QMutex m_mutex;
    QList<QByteArray> m_requests;
};

struct Run {
    int code;
    QByteArray out;
    QByteArray err;
};

Run run(const QStringList &args, const QString &addr, const QByteArray &stdinData = {})
{
    QBuffer out, err, in;
    out.open(QIODevice::WriteOnly);
    err.open(QIODevice::WriteOnly);
    in.setData(stdinData);
    in.open(QIODevice::ReadOnly);
    CliIo io;
    io.out = &out;
    io.err = &err;
    io.in = &in;
    io.envHttpAddr = addr;
    io.timeoutMs = 10000;
    const int code = runCli(args, io);
    return {code, out.data(), err.data()};
}

// Runs `args` against a FakeAgent answering `routes`; `requests` gets what it was sent.
Run runWithAgent(const QMap<QByteArray, FakeAgent::Reply> &routes, const QStringList &args,
                 QList<QByteArray> *requests, const QByteArray &stdinData = {})
{
    FakeAgent agent;
    agent.routes = routes;
    QThread thread;
    agent.moveToThread(&thread);
    thread.start();
    quint16 port = 0;
    QMetaObject::invokeMethod(
        &agent, [&agent, &port] { port = agent.start(); }, Qt::BlockingQueuedConnection);
    const Run r = run(args, QStringLiteral("127.0.0.1:%1").arg(port), stdinData);
    QThread *const self = QThread::currentThread();
    QMetaObject::invokeMethod(
        &agent, [&agent, self] { agent.stop(self); }, Qt::BlockingQueuedConnection);
    thread.quit();
    thread.wait();
    *requests = agent.requests();
    return r;
}

// An archive of a small state: keys a, b (indexes 1, 2), node n1 with service web and one check (3).
QByteArray sampleArchive()
{
    state::StateStore store;
    state::Fsm fsm(store);
    for (const auto &[index, key] : {std::pair{1, "a"}, std::pair{2, "b"}}) {
        model::KvEntry e;
        e.key = QString::fromLatin1(key);
        e.value = "v";
        fsm.apply(index, state::encodeCommand(state::Command{state::CommandType::Kv,
                                                             state::KvCommand{state::KvVerb::Set, e}}));
    }
    model::RegisterRequest r;
    r.node = QStringLiteral("n1");
    r.address = QStringLiteral("10.0.0.1");
    r.datacenter = QStringLiteral("dc1");
    r.hasService = true;
    r.service.id = r.service.service = QStringLiteral("web");
    r.service.port = 80;
    model::Check chk;
    chk.name = QStringLiteral("web-up");
    chk.status = model::status::Passing;
    chk.serviceId = QStringLiteral("web");
    r.checks << chk;
    fsm.apply(3, state::encodeCommand(state::Command{state::CommandType::CatalogRegister, r}));
    state::ArchiveMeta meta;
    meta.index = 3;
    meta.term = 2;
    meta.createdMs = 1767225600123;  // 2026-01-01T00:00:00.123Z
    meta.id = state::archiveId(meta.term, meta.index, meta.createdMs);
    meta.datacenter = QStringLiteral("dc1");
    meta.conclaveVersion = QStringLiteral("0.1.0");
    return state::encodeArchive(meta, fsm.snapshot());
}

const char kDetailedGolden[] = "CreateIndex      89\n"
                               "Flags            0\n"
                               "Key              redis/config/connections\n"
                               "LockIndex        0\n"
                               "ModifyIndex      89\n"
                               "Session          -\n"
                               "Value            5";

}  // namespace

class TestCli : public QObject
{
    Q_OBJECT

private slots:
    void parsesFlags_data();
    void parsesFlags();
    void rejectsBadFlags_data();
    void rejectsBadFlags();
    void resolvesAgentAddress_data();
    void resolvesAgentAddress();
    void kvDetailedMatchesConsul();
    void kvListFormats();
    void kvExportUsesTabs();
    void membersTable();
    void raftPeersTable();
    void catalogNodesTable();
    void catalogServicesTable();
    void columnsAlign();
    void versionNeedsNoAgent();
    void usageOnBadVerb_data();
    void usageOnBadVerb();
    void kvUsageErrors_data();
    void kvUsageErrors();

    void endToEnd_data();
    void endToEnd();
    void connectionRefused();
    void snapshotInspect();
    void snapshotSaveWritesAVerifiedFile();
    void snapshotSaveRefusesADamagedArchive();
    void snapshotRestoreSendsTheFile();
    void snapshotRestoreRefusesADamagedFileWithoutSending();
};

void TestCli::parsesFlags_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<bool>("recurse");
    QTest::addColumn<QString>("separator");
    QTest::addColumn<QString>("addr");
    QTest::addColumn<QStringList>("positional");
    const QString slash = QStringLiteral("/");
    QTest::newRow("defaults") << QStringList{QStringLiteral("k")} << false << slash << QString()
                              << QStringList{QStringLiteral("k")};
    QTest::newRow("bool before") << QStringList{QStringLiteral("-recurse"), QStringLiteral("k")}
                                 << true << slash << QString() << QStringList{QStringLiteral("k")};
    QTest::newRow("bool after") << QStringList{QStringLiteral("k"), QStringLiteral("-recurse")}
                                << true << slash << QString() << QStringList{QStringLiteral("k")};
    QTest::newRow("bool explicit false")
        << QStringList{QStringLiteral("-recurse=false"), QStringLiteral("k")} << false << slash
        << QString() << QStringList{QStringLiteral("k")};
    QTest::newRow("double dash") << QStringList{QStringLiteral("--recurse")} << true << slash
                                 << QString() << QStringList();
    QTest::newRow("value with =")
        << QStringList{QStringLiteral("-separator=:"), QStringLiteral("-http-addr=h:1")} << false
        << QStringLiteral(":") << QStringLiteral("h:1") << QStringList();
    QTest::newRow("value as next arg")
        << QStringList{QStringLiteral("-http-addr"), QStringLiteral("127.0.0.1:9"),
                       QStringLiteral("k")}
        << false << slash << QStringLiteral("127.0.0.1:9") << QStringList{QStringLiteral("k")};
    QTest::newRow("empty value") << QStringList{QStringLiteral("-separator=")} << false << QString()
                                 << QString() << QStringList();
    QTest::newRow("dash is positional")
        << QStringList{QStringLiteral("k"), QStringLiteral("-")} << false << slash << QString()
        << QStringList{QStringLiteral("k"), QStringLiteral("-")};
    QTest::newRow("unknown after positional is data")
        << QStringList{QStringLiteral("k"), QStringLiteral("-5")} << false << slash << QString()
        << QStringList{QStringLiteral("k"), QStringLiteral("-5")};
    QTest::newRow("after terminator")
        << QStringList{QStringLiteral("--"), QStringLiteral("-recurse")} << false << slash
        << QString() << QStringList{QStringLiteral("-recurse")};
}

void TestCli::parsesFlags()
{
    QFETCH(QStringList, args);
    QFETCH(bool, recurse);
    QFETCH(QString, separator);
    QFETCH(QString, addr);
    QFETCH(QStringList, positional);
    QList<FlagSpec> specs{{QStringLiteral("recurse"), true, QString()},
                          {QStringLiteral("separator"), false, QStringLiteral("/")}};
    specs.append(httpFlags());
    QString error;
    const auto flags = parseFlags(args, specs, &error);
    QVERIFY2(flags, qPrintable(error));
    QCOMPARE(flags->boolean(QStringLiteral("recurse")), recurse);
    QCOMPARE(flags->value(QStringLiteral("separator")), separator);
    QCOMPARE(flags->value(QStringLiteral("http-addr")), addr);
    QCOMPARE(flags->positional, positional);
}

void TestCli::rejectsBadFlags_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("error");
    QTest::newRow("unknown") << QStringList{QStringLiteral("-bogus")}
                             << QStringLiteral("flag provided but not defined: -bogus");
    QTest::newRow("missing value") << QStringList{QStringLiteral("-flags")}
                                   << QStringLiteral("flag needs an argument: -flags");
    QTest::newRow("bad bool") << QStringList{QStringLiteral("-cas=maybe")}
                              << QStringLiteral("invalid boolean value \"maybe\" for -cas: parse error");
}

void TestCli::rejectsBadFlags()
{
    QFETCH(QStringList, args);
    QFETCH(QString, error);
    QString actual;
    QVERIFY(!parseFlags(args, {{QStringLiteral("cas"), true, QString()},
                               {QStringLiteral("flags"), false, QStringLiteral("0")}},
                        &actual));
    QCOMPARE(actual, error);
}

void TestCli::resolvesAgentAddress_data()
{
    QTest::addColumn<QString>("flag");
    QTest::addColumn<QString>("env");
    QTest::addColumn<QString>("url");
    QTest::newRow("default") << QString() << QString() << QStringLiteral("http://127.0.0.1:8500");
    QTest::newRow("env without scheme") << QString() << QStringLiteral("127.0.0.1:18500")
                                        << QStringLiteral("http://127.0.0.1:18500");
    QTest::newRow("flag beats env") << QStringLiteral("http://localhost:1")
                                    << QStringLiteral("127.0.0.1:2")
                                    << QStringLiteral("http://localhost:1");
    QTest::newRow("https kept") << QStringLiteral("https://127.0.0.1:8501") << QString()
                                << QStringLiteral("https://127.0.0.1:8501");
}

void TestCli::resolvesAgentAddress()
{
    QFETCH(QString, flag);
    QFETCH(QString, env);
    QFETCH(QString, url);
    QCOMPARE(agentUrl(flag, env), QUrl(url));
    QCOMPARE(AgentClient(agentUrl(flag, env), QString()).baseText(), url);
}

void TestCli::kvDetailedMatchesConsul()
{
    model::KvEntry e;
    e.key = QStringLiteral("redis/config/connections");
    e.value = "5";
    e.index = {89, 89};
    QCOMPARE(formatKvDetailed(e, false), QByteArray(kDetailedGolden));
    e.session = QStringLiteral("adf4238a-882b-9ddc-4a9d-5b6758e4159e");
    e.value = "hi";
    const QByteArray withSession = formatKvDetailed(e, true);
    QVERIFY(withSession.contains("Session          adf4238a-882b-9ddc-4a9d-5b6758e4159e\n"));
    QVERIFY(withSession.endsWith("Value            aGk="));
}

void TestCli::kvListFormats()
{
    const QList<model::KvEntry> entries = kvEntriesFromBody(R"([
        {"LockIndex":0,"Key":"redis/a","Flags":0,"Value":"MQ==","CreateIndex":1,"ModifyIndex":2},
        {"LockIndex":0,"Key":"redis/b","Flags":0,"Value":null,"CreateIndex":3,"ModifyIndex":4}])");
    QCOMPARE(entries.size(), 2);
    QCOMPARE(formatKvList(entries, false, false), QByteArray("redis/a:1\nredis/b:\n"));
    QCOMPARE(formatKvList(entries, false, true), QByteArray("redis/a:MQ==\nredis/b:\n"));
    const QByteArray detailed = formatKvList(entries, true, false);
    QVERIFY(detailed.startsWith("CreateIndex      1\n"));
    QVERIFY(detailed.contains("Value            1\n\nCreateIndex      3\n"));
    QVERIFY(detailed.endsWith("Value            \n"));
}

void TestCli::kvExportUsesTabs()
{
    model::KvEntry e;
    e.key = QStringLiteral("a");
    e.value = "hello";
    QCOMPARE(formatKvExport({e}), QByteArray("[\n\t{\n\t\t\"flags\": 0,\n\t\t\"key\": \"a\",\n"
                                             "\t\t\"value\": \"aGVsbG8=\"\n\t}\n]\n"));
    QCOMPARE(formatKvExport({}), QByteArray("[]\n"));
}

void TestCli::membersTable()
{
    const QList<model::Member> members = membersFromBody(R"([
      {"Name":"web-1","Addr":"10.0.0.12","Port":8301,"Status":4,
       "Tags":{"role":"node","dc":"dc1","build":"0.1.0:abc","vsn":"2","segment":""},
       "ProtocolMin":1,"ProtocolMax":5,"ProtocolCur":2,"DelegateMin":2,"DelegateMax":5,"DelegateCur":4},
      {"Name":"server-1","Addr":"10.0.0.1","Port":8301,"Status":1,
       "Tags":{"role":"consul","dc":"dc1","build":"0.1.0","vsn":"2"},
       "ProtocolMin":1,"ProtocolMax":5,"ProtocolCur":2,"DelegateMin":2,"DelegateMax":5,"DelegateCur":4},
      {"Name":"v6","Addr":"::1","Port":8301,"Status":3,"Tags":{"role":"node","dc":"dc2"},
       "ProtocolMin":1,"ProtocolMax":5,"ProtocolCur":3,"DelegateMin":2,"DelegateMax":5,"DelegateCur":4}])");
    QCOMPARE(formatMembers(members),
             QStringLiteral(
                 "Node      Address         Status  Type    Build  Protocol  DC   Partition  Segment\n"
                 "server-1  10.0.0.1:8301   alive   server  0.1.0  2         dc1  default    <all>\n"
                 "v6        [::1]:8301      left    client         3         dc2  default\n"
                 "web-1     10.0.0.12:8301  failed  client  0.1.0  2         dc1  default\n"));
}

void TestCli::raftPeersTable()
{
    // The body Consul's /v1/operator/raft/configuration gives (a leader, a follower, a non-voter).
    bool ok = false;
    const QString table = formatRaftPeers(R"json({"Index":7,"Servers":[
      {"ID":"aaaa-1","Node":"s1","Address":"10.0.0.1:8300","Leader":true,"ProtocolVersion":"3","Voter":true,"LastIndex":9},
      {"ID":"bbbb-2","Node":"(unknown)","Address":"10.0.0.2:8300","Leader":false,"ProtocolVersion":"3","Voter":true},
      {"ID":"cccc-3","Node":"s3","Address":"10.0.0.3:8300","Leader":false,"ProtocolVersion":"3","Voter":false}]})json", &ok);
    QVERIFY(ok);
    QCOMPARE(table, QStringLiteral("Node       ID      Address        State      Voter  RaftProtocol\n"
                                   "s1         aaaa-1  10.0.0.1:8300  leader     true   3\n"
                                   "(unknown)  bbbb-2  10.0.0.2:8300  follower   true   3\n"
                                   "s3         cccc-3  10.0.0.3:8300  non-voter  false  3\n"));
    formatRaftPeers("[]", &ok);
    QVERIFY(!ok);
    formatRaftPeers("not json", &ok);
    QVERIFY(!ok);
}

void TestCli::catalogNodesTable()
{
    const QList<model::Node> nodes = catalogNodesFromBody(R"([
      {"ID":"40e4a748-2192-161a-0510-9bf59fe950b5","Node":"baz","Address":"10.1.10.11",
       "Datacenter":"dc1","TaggedAddresses":{},"Meta":{},"CreateIndex":1,"ModifyIndex":1},
      {"ID":"","Node":"external-host","Address":"192.168.0.100","Datacenter":"dc1",
       "TaggedAddresses":{},"Meta":{},"CreateIndex":2,"ModifyIndex":2}])");
    QCOMPARE(formatCatalogNodes(nodes),
             QStringLiteral("Node           ID        Address        DC\n"
                            "baz            40e4a748  10.1.10.11     dc1\n"
                            "external-host            192.168.0.100  dc1\n"));
}

void TestCli::catalogServicesTable()
{
    const auto services = catalogServicesFromBody(
        R"({"redis":["v2","primary"],"consul":[],"web":["http"]})");
    QCOMPARE(formatCatalogServices(services, false), QStringLiteral("consul\nredis\nweb\n"));
    QCOMPARE(formatCatalogServices(services, true),
             QStringLiteral("consul      \n"
                            "redis       primary,v2\n"
                            "web         http\n"));
}

void TestCli::columnsAlign()
{
    QCOMPARE(columnize({{QStringLiteral("a"), QStringLiteral("bb"), QStringLiteral("c")},
                        {QStringLiteral("ddd"), QString(), QStringLiteral("e")}}),
             QStringLiteral("a    bb  c\nddd      e\n"));
    QCOMPARE(tabulate({{QStringLiteral("k"), QStringLiteral("v")},
                       {QStringLiteral("long"), QStringLiteral("w")}}),
             QStringLiteral("k         v\nlong      w"));
}

void TestCli::versionNeedsNoAgent()
{
    const Run r = run({QStringLiteral("version")}, QStringLiteral("127.0.0.1:1"));
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.startsWith("Conclave v" CONCLAVE_VERSION "\nProtocol 2 spoken by default"));
    QVERIFY(r.err.isEmpty());
    QCOMPARE(versionText(QStringLiteral("9.9.9")).section(u'\n', 0, 0),
             QStringLiteral("Conclave v9.9.9"));
}

void TestCli::usageOnBadVerb_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("no args") << QStringList();
    QTest::newRow("help") << QStringList{QStringLiteral("help")};
    QTest::newRow("unknown verb") << QStringList{QStringLiteral("frobnicate")};
}

void TestCli::usageOnBadVerb()
{
    QFETCH(QStringList, args);
    const Run r = run(args, QStringLiteral("127.0.0.1:1"));
    QCOMPARE(r.code, 2);
    QVERIFY(r.out.isEmpty());
    QVERIFY(r.err.contains("Usage: conclave"));
    QVERIFY(r.err.contains("    agent "));
    QVERIFY(r.err.contains("    kv "));
}

void TestCli::kvUsageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("err");
    QTest::newRow("kv without subcommand") << QStringList{QStringLiteral("kv")} << 2
                                           << QByteArray("Usage: conclave kv <subcommand>");
    QTest::newRow("get without key") << QStringList{QStringLiteral("kv"), QStringLiteral("get")}
                                     << 1 << QByteArray("Error! Missing KEY argument\n");
    QTest::newRow("get too many")
        << QStringList{QStringLiteral("kv"), QStringLiteral("get"), QStringLiteral("a"),
                       QStringLiteral("b")}
        << 1 << QByteArray("Too many arguments (expected 1, got 2)\n");
    QTest::newRow("delete cas and recurse")
        << QStringList{QStringLiteral("kv"), QStringLiteral("delete"), QStringLiteral("-cas"),
                       QStringLiteral("-recurse"), QStringLiteral("-modify-index=3"),
                       QStringLiteral("a")}
        << 1 << QByteArray("Cannot specify both -cas and -recurse!\n");
    QTest::newRow("unknown flag")
        << QStringList{QStringLiteral("kv"), QStringLiteral("get"), QStringLiteral("-nope"),
                       QStringLiteral("a")}
        << 1 << QByteArray("flag provided but not defined: -nope\n");
}

void TestCli::kvUsageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(int, code);
    QFETCH(QByteArray, err);
    const Run r = run(args, QStringLiteral("127.0.0.1:1"));
    QCOMPARE(r.code, code);
    QVERIFY2(r.err.startsWith(err), r.err.constData());
}

void TestCli::endToEnd_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("stdinData");
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("out");
    QTest::addColumn<QByteArray>("err");
    QTest::addColumn<QByteArray>("request");
    QTest::newRow("kv get found")
        << QStringList{QStringLiteral("kv"), QStringLiteral("get"), QStringLiteral("redis/config/connections")}
        << QByteArray() << 0 << QByteArray("5\n") << QByteArray()
        << QByteArray("GET /v1/kv/redis/config/connections");
    QTest::newRow("kv get detailed")
        << QStringList{QStringLiteral("kv"), QStringLiteral("get"), QStringLiteral("-detailed"),
                       QStringLiteral("/redis/config/connections")}
        << QByteArray() << 0 << QByteArray(kDetailedGolden) + '\n' << QByteArray()
        << QByteArray("GET /v1/kv/redis/config/connections");
    QTest::newRow("kv get missing")
        << QStringList{QStringLiteral("kv"), QStringLiteral("get"), QStringLiteral("nope")}
        << QByteArray() << 1 << QByteArray() << QByteArray("Error! No key exists at: nope\n")
        << QByteArray("GET /v1/kv/nope");
    QTest::newRow("kv get keys")
        << QStringList{QStringLiteral("kv"), QStringLiteral("get"), QStringLiteral("-keys"),
                       QStringLiteral("redis/")}
        << QByteArray() << 0 << QByteArray("redis/a\nredis/config/\n") << QByteArray()
        << QByteArray("GET /v1/kv/redis/?keys&separator=/");
    QTest::newRow("kv put")
        << QStringList{QStringLiteral("kv"), QStringLiteral("put"), QStringLiteral("-flags=42"),
                       QStringLiteral("app/key"), QStringLiteral("hello")}
        << QByteArray() << 0 << QByteArray("Success! Data written to: app/key\n") << QByteArray()
        << QByteArray("PUT /v1/kv/app/key?flags=42 hello");
    QTest::newRow("kv put from stdin")
        << QStringList{QStringLiteral("kv"), QStringLiteral("put"), QStringLiteral("app/key"),
                       QStringLiteral("-")}
        << QByteArray("piped") << 0 << QByteArray("Success! Data written to: app/key\n")
        << QByteArray() << QByteArray("PUT /v1/kv/app/key piped");
    QTest::newRow("kv put cas failed")
        << QStringList{QStringLiteral("kv"), QStringLiteral("put"), QStringLiteral("-cas"),
                       QStringLiteral("-modify-index"), QStringLiteral("7"),
                       QStringLiteral("app/locked"), QStringLiteral("x")}
        << QByteArray() << 1 << QByteArray()
        << QByteArray("Error! Did not write to app/locked: CAS failed\n")
        << QByteArray("PUT /v1/kv/app/locked?cas=7 x");
    QTest::newRow("kv delete recurse")
        << QStringList{QStringLiteral("kv"), QStringLiteral("delete"), QStringLiteral("-recurse"),
                       QStringLiteral("app")}
        << QByteArray() << 0 << QByteArray("Success! Deleted keys with prefix: app\n")
        << QByteArray() << QByteArray("DELETE /v1/kv/app?recurse");
    QTest::newRow("http error")
        << QStringList{QStringLiteral("catalog"), QStringLiteral("nodes")} << QByteArray() << 1
        << QByteArray() << QByteArray("Error! 500: No cluster leader\n")
        << QByteArray("GET /v1/catalog/nodes");
    QTest::newRow("kv import")
        << QStringList{QStringLiteral("kv"), QStringLiteral("import"),
                       QStringLiteral(R"([{"key":"app/key","flags":3,"value":"aGk="}])")}
        << QByteArray() << 0 << QByteArray("Imported: app/key\n") << QByteArray()
        << QByteArray("PUT /v1/kv/app/key?flags=3 hi");
}

void TestCli::endToEnd()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, stdinData);
    QFETCH(int, code);
    QFETCH(QByteArray, out);
    QFETCH(QByteArray, err);
    QFETCH(QByteArray, request);

    const QMap<QByteArray, FakeAgent::Reply> routes{
        {"GET /v1/kv/redis/config/connections",
         {200, R"([{"LockIndex":0,"Key":"redis/config/connections","Flags":0,
                    "Value":"NQ==","CreateIndex":89,"ModifyIndex":89}])"}},
        {"GET /v1/kv/redis/", {200, R"(["redis/a","redis/config/"])"}},
        {"PUT /v1/kv/app/key", {200, "true"}},
        {"PUT /v1/kv/app/locked", {200, "false"}},
        {"DELETE /v1/kv/app", {200, "true"}},
        {"GET /v1/catalog/nodes", {500, "No cluster leader"}},
    };
    QList<QByteArray> requests;
    const Run r = runWithAgent(routes, args, &requests, stdinData);

    QCOMPARE(r.err, err);
    QCOMPARE(r.out, out);
    QCOMPARE(r.code, code);
    QCOMPARE(requests, QList<QByteArray>{request});
}

void TestCli::connectionRefused()
{
    // Find a free port, then close it so nothing listens there.
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    const QString addr = QStringLiteral("http://127.0.0.1:%1").arg(port);
    const Run r = run({QStringLiteral("kv"), QStringLiteral("get"), QStringLiteral("x"),
                       QStringLiteral("-http-addr=") + addr},
                      QString());
    QCOMPARE(r.code, 1);
    QVERIFY(r.out.isEmpty());
    QCOMPARE(QString::fromUtf8(r.err),
             QStringLiteral("Error querying agent: connection refused to ") + addr + u'\n');
}


void TestCli::snapshotInspect()
{
    const QByteArray archive = sampleArchive();
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("backup.snap"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(archive);
    f.close();
    // Offline: no agent listens at 127.0.0.1:1.
    const Run r = run({QStringLiteral("snapshot"), QStringLiteral("inspect"), path}, QStringLiteral("127.0.0.1:1"));
    QCOMPARE(r.err, QByteArray());
    QCOMPARE(r.code, 0);
    const QByteArray expected = " ID               2-3-1767225600123\n"
                                " Size             " + QByteArray::number(archive.size()) + "\n"
                                " Index            3\n"
                                " Term             2\n"
                                " Version          1\n"
                                " Datacenter       dc1\n"
                                " Created          2026-01-01T00:00:00.123Z\n"
                                " ConclaveVersion  0.1.0\n"
                                "\n"
                                " Type     Count\n"
                                " KV       2\n"
                                " Node     1\n"
                                " Service  1\n"
                                " Check    1\n";
    QCOMPARE(r.out, expected);
}

void TestCli::snapshotSaveWritesAVerifiedFile()
{
    const QByteArray archive = sampleArchive();
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("backup.snap"));
    QList<QByteArray> requests;
    const Run r = runWithAgent({{"GET /v1/snapshot", {200, archive}}},
                               {QStringLiteral("snapshot"), QStringLiteral("save"), QStringLiteral("-stale"), path}, &requests);
    QCOMPARE(r.err, QByteArray());
    QCOMPARE(r.out, QByteArray("Saved and verified snapshot to index 3\n"));
    QCOMPARE(r.code, 0);
    QCOMPARE(requests, QList<QByteArray>{"GET /v1/snapshot?stale"});
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), archive);
}

void TestCli::snapshotSaveRefusesADamagedArchive()
{
    QByteArray damaged = sampleArchive();
    damaged[damaged.size() / 2] = char(damaged[damaged.size() / 2] ^ 0x01);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("backup.snap"));
    QFile old(path);
    QVERIFY(old.open(QIODevice::WriteOnly));
    old.write("the previous backup");
    old.close();
    QList<QByteArray> requests;
    const Run r = runWithAgent({{"GET /v1/snapshot", {200, damaged}}},
                               {QStringLiteral("snapshot"), QStringLiteral("save"), path}, &requests);
    QCOMPARE(r.code, 1);
    QCOMPARE(r.out, QByteArray());
    QVERIFY2(r.err.startsWith("Error verifying the snapshot the agent sent (nothing was written): "), r.err.constData());
    QVERIFY2(r.err.contains("checksum"), r.err.constData());
    QVERIFY(old.open(QIODevice::ReadOnly));
    QCOMPARE(old.readAll(), QByteArray("the previous backup"));
}

void TestCli::snapshotRestoreSendsTheFile()
{
    const QByteArray archive = sampleArchive();
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("backup.snap"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(archive);
    f.close();
    QList<QByteArray> requests;
    const Run r = runWithAgent({{"PUT /v1/snapshot", {200, QByteArray()}}},
                               {QStringLiteral("snapshot"), QStringLiteral("restore"), path}, &requests);
    QCOMPARE(r.err, QByteArray());
    QCOMPARE(r.out, QByteArray("Restored snapshot\n"));
    QCOMPARE(r.code, 0);
    QCOMPARE(requests, QList<QByteArray>{"PUT /v1/snapshot " + archive});

    // The server's refusal is the CLI's error.
    const Run refused = runWithAgent({{"PUT /v1/snapshot", {500, "No cluster leader"}}},
                                     {QStringLiteral("snapshot"), QStringLiteral("restore"), path}, &requests);
    QCOMPARE(refused.code, 1);
    QCOMPARE(refused.err, QByteArray("Error! 500: No cluster leader\n"));
}

void TestCli::snapshotRestoreRefusesADamagedFileWithoutSending()
{
    const QByteArray archive = sampleArchive();
    QTemporaryDir dir;
    const QList<std::pair<QByteArray, QByteArray>> cases{
        {"truncated", archive.left(archive.size() - 1)},
        {"not an archive", "hello"},
        {"empty", QByteArray()},
    };
    for (const auto &[name, bytes] : cases) {
        const QString path = dir.filePath(QString::fromLatin1(name));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
        f.close();
        QList<QByteArray> requests;
        const Run r = runWithAgent({{"PUT /v1/snapshot", {200, QByteArray()}}},
                                   {QStringLiteral("snapshot"), QStringLiteral("restore"), path}, &requests);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.startsWith("Error verifying " + path.toUtf8() + " (nothing was restored): "), r.err.constData());
        QVERIFY2(requests.isEmpty(), name.constData());
    }
    const Run missing = run({QStringLiteral("snapshot"), QStringLiteral("restore"), dir.filePath(QStringLiteral("nope"))},
                            QStringLiteral("127.0.0.1:1"));
    QCOMPARE(missing.code, 1);
    QVERIFY2(missing.err.startsWith("Error opening snapshot file "), missing.err.constData());
    const Run noFile = run({QStringLiteral("snapshot"), QStringLiteral("save")}, QStringLiteral("127.0.0.1:1"));
    QCOMPARE(noFile.code, 1);
    QCOMPARE(noFile.err, QByteArray("This command takes one argument: <file> (got 0)\n"));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
