// Command codec: exact round trip of every command type with every model field set, and
// rejection (never a crash) of malformed bytes, including every truncation and byte flip.

#include "core/state/command.h"

#include <QCborArray>
#include <QCborMap>
#include <QTest>

using namespace conclave;
using namespace conclave::state;

class TestCommand : public QObject {
    Q_OBJECT

private slots:
    void kvRoundTrip_data();
    void kvRoundTrip();
    void registerRoundTripKeepsEveryField();
    void deregisterRoundTrip();
    void snapshotRestoreRoundTrip();
    void malformedIsRejected_data();
    void malformedIsRejected();
    void mutatedBytesNeverCrash_data();
    void mutatedBytesNeverCrash();
};

namespace {

model::Check fullCheck(const QString &id)
{
    model::Check c;
    c.node = QStringLiteral("n1");
    c.checkId = id;
    c.name = QStringLiteral("HTTP on :80");
    c.status = model::status::Warning;
    c.notes = QStringLiteral("notes");
    c.output = QStringLiteral("HTTP GET: 200 OK");
    c.serviceId = QStringLiteral("web-1");
    c.serviceName = QStringLiteral("web");
    c.serviceTags = {"a", "b"};
    c.type = QStringLiteral("http");
    model::CheckDefinition &d = c.definition;
    d.http = QStringLiteral("http://127.0.0.1/health");
    d.method = QStringLiteral("POST");
    d.body = QStringLiteral("{}");
    d.header.insert(QStringLiteral("X-A"), {"1", "2"});
    d.header.insert(QStringLiteral("X-B"), {});
    d.tlsSkipVerify = true;
    d.tlsServerName = QStringLiteral("example.org");
    d.disableRedirects = true;
    d.tcp = QStringLiteral("127.0.0.1:22");
    d.scriptArgs = {"/bin/true", "--x"};
    d.ttl = 15'000'000'000;
    d.interval = 10'000'000'000;
    d.timeout = 1'000'000'000;
    d.deregisterCriticalServiceAfter = 90'000'000'000;
    d.outputMaxSize = 4096;
    d.successBeforePassing = 2;
    d.failuresBeforeWarning = 3;
    d.failuresBeforeCritical = 4;
    c.index = {7, 9};
    return c;
}

model::RegisterRequest fullRegister()
{
    model::RegisterRequest r;
    r.id = QStringLiteral("0f2b6e1c-1111-2222-3333-444444444444");
    r.node = QStringLiteral("n1");
    r.address = QStringLiteral("10.0.0.1");
    r.datacenter = QStringLiteral("dc1");
    r.taggedAddresses = {{"lan", "10.0.0.1"}, {"wan", "198.51.100.1"}};
    r.nodeMeta = {{"rack", "r1"}, {"zone", "z"}};
    r.hasService = true;
    model::Service &s = r.service;
    s.kind = QStringLiteral("connect-proxy");
    s.id = QStringLiteral("web-1");
    s.service = QStringLiteral("web");
    s.tags = {"v1", "primary"};
    s.address = QStringLiteral("10.0.0.2");
    s.taggedAddresses.insert(QStringLiteral("lan"), model::ServiceAddress{"10.0.0.2", 8080});
    s.taggedAddresses.insert(QStringLiteral("wan"), model::ServiceAddress{"198.51.100.2", 443});
    s.meta = {{"version", "1.2"}};
    s.port = 8080;
    s.socketPath = QStringLiteral("/run/web.sock");
    s.weights = {10, 3};
    s.enableTagOverride = true;
    s.index = {3, 4};
    r.checks << fullCheck(QStringLiteral("c1")) << fullCheck(QStringLiteral("c2"));
    r.checks[1].status = QString();  // an empty status is not turned into the default
    r.skipNodeUpdate = true;
    return r;
}

Command kvCommand(KvVerb verb, const model::KvEntry &e)
{
    return Command{CommandType::Kv, KvCommand{verb, e}};
}

QByteArray encoded(const QCborMap &m)
{
    return m.toCborValue().toCbor();
}

QCborMap kvBody(const QCborValue &verb, const QCborValue &entry)
{
    QCborMap body;
    body.insert(cbor::kvcommand::Verb, verb);
    body.insert(cbor::kvcommand::Entry, entry);
    return body;
}

QCborMap top(const QCborValue &type, const QCborValue &body)
{
    QCborMap m;
    m.insert(cbor::command::Type, type);
    m.insert(cbor::command::Body, body);
    return m;
}

}  // namespace

void TestCommand::kvRoundTrip_data()
{
    QTest::addColumn<int>("verb");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<quint64>("flags");
    QTest::addColumn<quint64>("casIndex");
    QTest::newRow("set") << int(KvVerb::Set) << QByteArray("hello") << quint64(0) << quint64(0);
    QTest::newRow("set binary with max flags")
        << int(KvVerb::Set) << QByteArray("\x00\xff\x01", 3) << ~quint64(0) << quint64(0);
    QTest::newRow("set empty value") << int(KvVerb::Set) << QByteArray() << quint64(1) << quint64(0);
    QTest::newRow("cas") << int(KvVerb::Cas) << QByteArray("v") << quint64(0) << quint64(123456789012);
    QTest::newRow("delete") << int(KvVerb::Delete) << QByteArray() << quint64(0) << quint64(0);
    QTest::newRow("delete-tree") << int(KvVerb::DeleteTree) << QByteArray() << quint64(0) << quint64(0);
    QTest::newRow("delete-cas") << int(KvVerb::DeleteCas) << QByteArray() << quint64(0) << quint64(5);
    QTest::newRow("lock") << int(KvVerb::Lock) << QByteArray("x") << quint64(0) << quint64(0);
    QTest::newRow("unlock") << int(KvVerb::Unlock) << QByteArray("x") << quint64(0) << quint64(0);
}

void TestCommand::kvRoundTrip()
{
    QFETCH(int, verb);
    QFETCH(QByteArray, value);
    QFETCH(quint64, flags);
    QFETCH(quint64, casIndex);
    model::KvEntry e;
    e.key = QStringLiteral("app/config/ключ");
    e.value = value;
    e.flags = flags;
    e.session = QStringLiteral("adf4238a-882b-9ddc-4a9d-5b6758e4159e");
    e.lockIndex = 3;
    e.index = {2, casIndex};
    const QByteArray bytes = encodeCommand(kvCommand(KvVerb(verb), e));
    QString error;
    const auto decoded = decodeCommand(bytes, &error);
    QVERIFY2(decoded, qPrintable(error));
    QCOMPARE(decoded->type, CommandType::Kv);
    const auto &kv = std::get<KvCommand>(decoded->body);
    QCOMPARE(int(kv.verb), verb);
    QCOMPARE(kv.entry, e);
}

void TestCommand::registerRoundTripKeepsEveryField()
{
    const model::RegisterRequest req = fullRegister();
    const auto decoded = decodeCommand(encodeCommand(Command{CommandType::CatalogRegister, req}));
    QVERIFY(decoded);
    QCOMPARE(decoded->type, CommandType::CatalogRegister);
    const auto &got = std::get<model::RegisterRequest>(decoded->body);
    QCOMPARE(got.id, req.id);
    QCOMPARE(got.node, req.node);
    QCOMPARE(got.address, req.address);
    QCOMPARE(got.datacenter, req.datacenter);
    QCOMPARE(got.taggedAddresses, req.taggedAddresses);
    QCOMPARE(got.nodeMeta, req.nodeMeta);
    QCOMPARE(got.hasService, true);
    QVERIFY(got.service == req.service);
    QCOMPARE(got.checks.size(), 2);
    QVERIFY(got.checks[0].definition == req.checks[0].definition);
    QVERIFY(got.checks[0] == req.checks[0]);
    QCOMPARE(got.checks[1].status, QString());
    QVERIFY(got.checks[1] == req.checks[1]);
    QCOMPARE(got.skipNodeUpdate, true);
}

void TestCommand::deregisterRoundTrip()
{
    model::DeregisterRequest req{QStringLiteral("n1"), QStringLiteral("dc2"), QStringLiteral("web-1"),
                                 QStringLiteral("c1")};
    // The type field is derived from the body, so a mismatched `type` cannot corrupt the log.
    const auto decoded = decodeCommand(encodeCommand(Command{CommandType::Kv, req}));
    QVERIFY(decoded);
    QCOMPARE(decoded->type, CommandType::CatalogDeregister);
    const auto &got = std::get<model::DeregisterRequest>(decoded->body);
    QCOMPARE(got.node, req.node);
    QCOMPARE(got.datacenter, req.datacenter);
    QCOMPARE(got.serviceId, req.serviceId);
    QCOMPARE(got.checkId, req.checkId);
}

void TestCommand::snapshotRestoreRoundTrip()
{
    const QByteArray snapshot = QByteArray("\x00\xff snapshot bytes", 17).repeated(1000);
    const QByteArray bytes = encodeCommand(Command{CommandType::Kv, SnapshotRestoreCommand{snapshot}});
    // The same layout the generic path gives: {0: 4, 1: {1: bytes}}.
    QCOMPARE(bytes, encoded(top(4, QCborMap{{cbor::snapshotrestore::Snapshot, snapshot}})));
    const auto decoded = decodeCommand(bytes);
    QVERIFY(decoded);
    QCOMPARE(decoded->type, CommandType::SnapshotRestore);
    QCOMPARE(std::get<SnapshotRestoreCommand>(decoded->body).snapshot, snapshot);
    const auto empty = decodeCommand(encodeCommand(Command{CommandType::SnapshotRestore, SnapshotRestoreCommand{}}));
    QVERIFY(empty);
    QVERIFY(std::get<SnapshotRestoreCommand>(empty->body).snapshot.isEmpty());
}

void TestCommand::malformedIsRejected_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("errorContains");

    model::KvEntry e;
    e.key = QStringLiteral("k");
    const QByteArray valid = encodeCommand(kvCommand(KvVerb::Set, e));
    QCborMap entry;
    entry.insert(cbor::kventry::Key, QStringLiteral("k"));

    QTest::newRow("empty") << QByteArray() << "empty";
    QTest::newRow("truncated") << valid.left(valid.size() - 1) << "malformed CBOR";
    QTest::newRow("truncated to one byte") << valid.left(1) << "malformed CBOR";
    QTest::newRow("trailing bytes") << valid + QByteArray(1, '\0') << "trailing";
    QTest::newRow("not a map") << QCborValue(QCborArray{1, 2}).toCbor() << "expected a CBOR map";
    QTest::newRow("bare integer") << QCborValue(1).toCbor() << "expected a CBOR map";
    QTest::newRow("missing type") << encoded(QCborMap{{cbor::command::Body, QCborMap{}}}) << "type";
    QTest::newRow("type as text") << encoded(top(QStringLiteral("1"), kvBody(1, entry))) << "type";
    QTest::newRow("unknown type 99") << encoded(top(99, kvBody(1, entry))) << "unknown command type 99";
    QTest::newRow("negative type") << encoded(top(-1, kvBody(1, entry))) << "unknown command type";
    QTest::newRow("body missing") << encoded(QCborMap{{cbor::command::Type, 1}}) << "expected a CBOR map";
    QTest::newRow("body not a map") << encoded(top(1, QCborArray{})) << "expected a CBOR map";
    QTest::newRow("unknown verb") << encoded(top(1, kvBody(99, entry))) << "unknown verb 99";
    QTest::newRow("verb zero") << encoded(top(1, kvBody(0, entry))) << "unknown verb 0";
    QTest::newRow("verb out of byte range") << encoded(top(1, kvBody(257, entry))) << "out of range";
    QTest::newRow("verb missing") << encoded(top(1, QCborMap{{cbor::kvcommand::Entry, entry}})) << "verb";
    QTest::newRow("entry missing") << encoded(top(1, kvBody(1, QCborValue()))) << "expected a CBOR map";
    QCborMap intKey;
    intKey.insert(cbor::kventry::Key, 5);
    QTest::newRow("key as integer") << encoded(top(1, kvBody(1, intKey))) << "expected text";
    QCborMap textValue = entry;
    textValue.insert(cbor::kventry::Value, QStringLiteral("not bytes"));
    QTest::newRow("value as text") << encoded(top(1, kvBody(1, textValue))) << "byte string";
    QCborMap floatFlags = entry;
    floatFlags.insert(cbor::kventry::Flags, 1.5);
    QTest::newRow("flags as float") << encoded(top(1, kvBody(1, floatFlags))) << "integer";
    QCborMap badReg;
    badReg.insert(cbor::registerrequest::Checks, QCborArray{QCborMap{{cbor::check::Status, 3}}});
    QTest::newRow("register: check status as integer") << encoded(top(2, badReg)) << "check";
    QCborMap badSvc;
    badSvc.insert(cbor::registerrequest::Service, QCborMap{{cbor::service::Port, qint64(1) << 40}});
    QTest::newRow("register: port out of int range") << encoded(top(2, badSvc)) << "out of range";
    QCborMap badMeta;
    badMeta.insert(cbor::registerrequest::NodeMeta, QCborMap{{QStringLiteral("k"), 1}});
    QTest::newRow("register: meta value not text") << encoded(top(2, badMeta)) << "text to text";
    QCborMap badDereg;
    badDereg.insert(cbor::deregisterrequest::Node, QCborArray{});
    QTest::newRow("deregister: node as array") << encoded(top(3, badDereg)) << "expected text";
    QTest::newRow("restore: snapshot missing") << encoded(top(4, QCborMap{})) << "missing the snapshot";
    QTest::newRow("restore: snapshot as text")
        << encoded(top(4, QCborMap{{cbor::snapshotrestore::Snapshot, QStringLiteral("x")}})) << "byte string";
    QTest::newRow("restore: body not a map") << encoded(top(4, QCborArray{})) << "expected a CBOR map";
    QTest::newRow("restore: body missing") << encoded(QCborMap{{cbor::command::Type, 4}}) << "expected a CBOR map";
    QTest::newRow("garbage") << QByteArray("\xff\xff\xff\xff", 4) << "malformed";
    // A map {0: 1, 1: …} whose body is hostile.
    const QByteArray head("\xa2\x00\x01\x01", 4);
    QTest::newRow("huge declared length")
        << head + QByteArray("\x5b\x7f\xff\xff\xff\xff\xff\xff\xff", 9) << "malformed";
    QTest::newRow("deep nesting") << head + QByteArray(100000, '\x81') << "malformed";
    QTest::newRow("top level is a huge byte string")
        << QByteArray("\x5b\x7f\xff\xff\xff\xff\xff\xff\xff", 9) << "expected a CBOR map";
    QTest::newRow("odd number of map items") << QByteArray("\xa1\x00", 2) << "malformed";
    QTest::newRow("invalid UTF-8 key")
        << head + QByteArray("\xa2\x01\x01\x02\xa1\x01\x62\xc3\x28", 9) << "malformed";
}

void TestCommand::malformedIsRejected()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, errorContains);
    QString error;
    QVERIFY(!decodeCommand(bytes, &error));
    QVERIFY2(error.contains(errorContains), qPrintable(error));
    QVERIFY(!decodeCommand(bytes));  // error pointer is optional
}

void TestCommand::mutatedBytesNeverCrash_data()
{
    QTest::addColumn<QByteArray>("valid");
    model::KvEntry e;
    e.key = QStringLiteral("a/b");
    e.value = QByteArrayLiteral("value");
    e.flags = 7;
    e.index.modifyIndex = 300;
    QTest::newRow("kv") << encodeCommand(Command{CommandType::Kv, KvCommand{KvVerb::Cas, e}});
    QTest::newRow("register") << encodeCommand(Command{CommandType::CatalogRegister, fullRegister()});
    QTest::newRow("deregister")
        << encodeCommand(Command{CommandType::CatalogDeregister, model::DeregisterRequest{"n", "dc", "s", "c"}});
    QTest::newRow("snapshot restore")
        << encodeCommand(Command{CommandType::SnapshotRestore, SnapshotRestoreCommand{QByteArray("\xa1\x00\x01", 3)}});
}

void TestCommand::mutatedBytesNeverCrash()
{
    QFETCH(QByteArray, valid);
    QVERIFY(decodeCommand(valid));
    int rejected = 0;
    for (qsizetype len = 0; len < valid.size(); ++len) {
        QString error;
        if (!decodeCommand(valid.left(len), &error)) {
            QVERIFY(!error.isEmpty());
            ++rejected;
        }
    }
    QCOMPARE(rejected, int(valid.size()));  // no strict prefix of a command is a command
    for (qsizetype i = 0; i < valid.size(); ++i) {
        for (char x : {char(0x01), char(0x80), char(0xff)}) {
            QByteArray mutated = valid;
            mutated[i] = char(mutated[i] ^ x);
            QString error;
            const auto cmd = decodeCommand(mutated, &error);
            QVERIFY(cmd || !error.isEmpty());
        }
    }
}

QTEST_GUILESS_MAIN(TestCommand)
#include "tst_command.moc"
