// Consul JSON shapes: golden objects spelled literally here (so a typo in keys.h fails), the
// omitempty rules, Go's byte format, and the input parsers with their defaults and error texts.
#include "shared/json/codec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace conclave;

namespace {

QJsonValue parse(const char *json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(json), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad golden JSON: %s in %s", qPrintable(error.errorString()), json);
    return doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
}

QJsonObject obj(const char *json) { return parse(json).toObject(); }

QByteArray show(const QJsonValue &v) { return json::encode(v, true); }

#define COMPARE_JSON(actual, expected)                                                            \
    do {                                                                                          \
        const QJsonValue a_ = QJsonValue(actual);                                                 \
        const QJsonValue e_ = QJsonValue(expected);                                               \
        if (a_ != e_) {                                                                           \
            qWarning("actual:\n%s\nexpected:\n%s", show(a_).constData(), show(e_).constData());   \
            QFAIL("JSON differs");                                                                \
        }                                                                                         \
    } while (false)

model::Node sampleNode()
{
    model::Node n;
    n.id = QStringLiteral("40e4a748-2192-161a-0510-9bf59fe950b5");
    n.node = QStringLiteral("foo");
    n.address = QStringLiteral("10.1.10.12");
    n.datacenter = QStringLiteral("dc1");
    n.taggedAddresses.insert(QStringLiteral("lan"), QStringLiteral("10.1.10.12"));
    n.meta.insert(QStringLiteral("env"), QStringLiteral("prod"));
    n.index = {5, 7};
    return n;
}

model::Service sampleService()
{
    model::Service s;
    s.id = QStringLiteral("redis1");
    s.service = QStringLiteral("redis");
    s.tags = QStringList{QStringLiteral("primary"), QStringLiteral("v1")};
    s.address = QStringLiteral("10.1.10.13");
    s.meta.insert(QStringLiteral("redis_version"), QStringLiteral("4.0"));
    s.port = 8000;
    s.weights = {10, 2};
    s.index = {8, 9};
    return s;
}

const char *kNodeJson = R"({
    "ID": "40e4a748-2192-161a-0510-9bf59fe950b5", "Node": "foo", "Address": "10.1.10.12",
    "Datacenter": "dc1", "TaggedAddresses": {"lan": "10.1.10.12"}, "Meta": {"env": "prod"},
    "CreateIndex": 5, "ModifyIndex": 7})";

const char *kNodeServiceJson = R"({
    "ID": "redis1", "Service": "redis", "Tags": ["primary", "v1"], "Address": "10.1.10.13",
    "Meta": {"redis_version": "4.0"}, "Port": 8000, "Weights": {"Passing": 10, "Warning": 2},
    "EnableTagOverride": false, "Proxy": {"Mode": "", "MeshGateway": {}, "Expose": {}},
    "Connect": {}, "CreateIndex": 8, "ModifyIndex": 9})";

}  // namespace

class TestJsonCodec : public QObject
{
    Q_OBJECT

private slots:
    void kvEntryShape_data();
    void kvEntryShape();
    void kvFlagsKeepAllSixtyFourBits_data();
    void kvFlagsKeepAllSixtyFourBits();
    void nodeShape();
    void nodeEmptyMapsAreObjects();
    void nodeServiceShape();
    void nodeServiceOmitsEmptyFields();
    void nodeServiceTaggedAddresses();
    void agentServiceShape();
    void serviceNodeShape();
    void checkShape();
    void checkDefinitionOmitsEmpty();
    void checkServiceNodeShape();
    void catalogNodeShape();
    void catalogNodeNullWhenAbsent();
    void nodeServicesShape();
    void memberShape();
    void kvExportShape();
    void encodeMatchesGo_data();
    void encodeMatchesGo();
    void encodeKeepsLargeIntegersExact();

    void registerRequestParses();
    void registerRequestMergesChecks();
    void registerRequestErrors_data();
    void registerRequestErrors();
    void deregisterRequestParses();
    void agentServiceDefaults();
    void agentServiceSnakeCaseAndAliases();
    void agentServiceEmbeddedCheckIds_data();
    void agentServiceEmbeddedCheckIds();
    void agentServiceErrors_data();
    void agentServiceErrors();
    void agentCheckParses_data();
    void agentCheckParses();
    void agentCheckErrors_data();
    void agentCheckErrors();
    void checkTypeOfDefinition_data();
    void checkTypeOfDefinition();
    void kvImportRoundTrip();
    void kvImportErrors_data();
    void kvImportErrors();
    void readersInvertWriters();
};

// ---- output shapes ------------------------------------------------------------------------------

void TestJsonCodec::kvEntryShape_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QString>("session");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("value, unlocked")
        << QByteArray("test") << QString()
        << QByteArray(R"({"LockIndex": 0, "Key": "zip", "Flags": 42, "Value": "dGVzdA==",
                          "CreateIndex": 100, "ModifyIndex": 200})");
    QTest::newRow("empty value is null")
        << QByteArray() << QString()
        << QByteArray(R"({"LockIndex": 0, "Key": "zip", "Flags": 42, "Value": null,
                          "CreateIndex": 100, "ModifyIndex": 200})");
    QTest::newRow("locked")
        << QByteArray("ab") << QStringLiteral("adf4238a-882b-9ddc-4a9d-5b6758e4159e")
        << QByteArray(R"({"LockIndex": 0, "Key": "zip", "Flags": 42, "Value": "YWI=",
                          "Session": "adf4238a-882b-9ddc-4a9d-5b6758e4159e",
                          "CreateIndex": 100, "ModifyIndex": 200})");
}

void TestJsonCodec::kvEntryShape()
{
    QFETCH(QByteArray, value);
    QFETCH(QString, session);
    QFETCH(QByteArray, expected);
    model::KvEntry e;
    e.key = QStringLiteral("zip");
    e.value = value;
    e.flags = 42;
    e.session = session;
    e.index = {100, 200};
    COMPARE_JSON(json::kvEntryToJson(e), obj(expected.constData()));
}

void TestJsonCodec::kvFlagsKeepAllSixtyFourBits_data()
{
    QTest::addColumn<quint64>("flags");
    QTest::addColumn<QByteArray>("printed");
    QTest::newRow("zero") << quint64(0) << QByteArray("\"Flags\":0,");
    QTest::newRow("int64 max") << quint64(9223372036854775807ULL) << QByteArray("\"Flags\":9223372036854775807,");
    QTest::newRow("2^63") << quint64(9223372036854775808ULL) << QByteArray("\"Flags\":9223372036854775808,");
    QTest::newRow("uint64 max") << quint64(18446744073709551615ULL) << QByteArray("\"Flags\":18446744073709551615,");
}

void TestJsonCodec::kvFlagsKeepAllSixtyFourBits()
{
    // Consul's Flags is a uint64: the Go client cannot decode a negative number into it.
    QFETCH(quint64, flags);
    QFETCH(QByteArray, printed);
    model::KvEntry e;
    e.key = QStringLiteral("k");
    e.flags = flags;
    const QByteArray out = json::encode(json::kvEntryToJson(e), false);
    QVERIFY2(out.contains(printed), out.constData());
    // A user string that merely looks like the internal marker is still printed as a string.
    e.key = QStringLiteral("\uFDD0\uFDD1u64:12");
    QVERIFY(json::encode(json::kvEntryToJson(e), false).contains("\"Key\":\""));
}

void TestJsonCodec::nodeShape()
{
    COMPARE_JSON(json::nodeToJson(sampleNode()), obj(kNodeJson));
}

void TestJsonCodec::nodeEmptyMapsAreObjects()
{
    model::Node n;
    n.node = QStringLiteral("ext");
    n.address = QStringLiteral("1.2.3.4");
    n.datacenter = QStringLiteral("dc1");
    COMPARE_JSON(json::nodeToJson(n), obj(R"({"ID": "", "Node": "ext", "Address": "1.2.3.4",
        "Datacenter": "dc1", "TaggedAddresses": {}, "Meta": {}, "CreateIndex": 0,
        "ModifyIndex": 0})"));
}

void TestJsonCodec::nodeServiceShape()
{
    COMPARE_JSON(json::nodeServiceToJson(sampleService()), obj(kNodeServiceJson));
}

void TestJsonCodec::nodeServiceOmitsEmptyFields()
{
    model::Service s;
    s.id = QStringLiteral("web");
    s.service = QStringLiteral("web");
    // Port 0, no kind, no tagged addresses, no socket path: all omitempty in Consul.
    COMPARE_JSON(json::nodeServiceToJson(s), obj(R"({"ID": "web", "Service": "web", "Tags": [],
        "Address": "", "Meta": {}, "Weights": {"Passing": 1, "Warning": 1},
        "EnableTagOverride": false, "Proxy": {"Mode": "", "MeshGateway": {}, "Expose": {}},
        "Connect": {}, "CreateIndex": 0, "ModifyIndex": 0})"));
}

void TestJsonCodec::nodeServiceTaggedAddresses()
{
    model::Service s = sampleService();
    s.kind = QStringLiteral("connect-proxy");
    s.socketPath = QStringLiteral("/tmp/redis.sock");
    s.taggedAddresses.insert(QStringLiteral("wan"), {QStringLiteral("198.18.0.1"), 80});
    QJsonObject expected = obj(kNodeServiceJson);
    expected.insert(QStringLiteral("Kind"), QStringLiteral("connect-proxy"));
    expected.insert(QStringLiteral("SocketPath"), QStringLiteral("/tmp/redis.sock"));
    expected.insert(QStringLiteral("TaggedAddresses"),
                    obj(R"({"wan": {"Address": "198.18.0.1", "Port": 80}})"));
    COMPARE_JSON(json::nodeServiceToJson(s), expected);
}

void TestJsonCodec::agentServiceShape()
{
    COMPARE_JSON(json::agentServiceToJson(sampleService(), QStringLiteral("dc1")),
                 obj(R"({"ID": "redis1", "Service": "redis", "Tags": ["primary", "v1"],
                     "Meta": {"redis_version": "4.0"}, "Port": 8000, "Address": "10.1.10.13",
                     "Weights": {"Passing": 10, "Warning": 2}, "EnableTagOverride": false,
                     "Datacenter": "dc1"})"));
    model::Service bare;
    bare.id = QStringLiteral("a");
    bare.service = QStringLiteral("b");
    bare.kind = QStringLiteral("mesh-gateway");
    bare.taggedAddresses.insert(QStringLiteral("lan"), {QStringLiteral("10.0.0.1"), 0});
    COMPARE_JSON(json::agentServiceToJson(bare, QStringLiteral("east")),
                 obj(R"({"Kind": "mesh-gateway", "ID": "a", "Service": "b", "Tags": [],
                     "Meta": {}, "Port": 0, "Address": "",
                     "TaggedAddresses": {"lan": {"Address": "10.0.0.1", "Port": 0}},
                     "Weights": {"Passing": 1, "Warning": 1}, "EnableTagOverride": false,
                     "Datacenter": "east"})"));
}

void TestJsonCodec::serviceNodeShape()
{
    model::ServiceNode row{sampleNode(), sampleService()};
    COMPARE_JSON(json::serviceNodeToJson(row), obj(R"({
        "ID": "40e4a748-2192-161a-0510-9bf59fe950b5", "Node": "foo", "Address": "10.1.10.12",
        "Datacenter": "dc1", "TaggedAddresses": {"lan": "10.1.10.12"},
        "NodeMeta": {"env": "prod"}, "ServiceKind": "", "ServiceID": "redis1",
        "ServiceName": "redis", "ServiceTags": ["primary", "v1"],
        "ServiceAddress": "10.1.10.13", "ServiceWeights": {"Passing": 10, "Warning": 2},
        "ServiceMeta": {"redis_version": "4.0"}, "ServicePort": 8000, "ServiceSocketPath": "",
        "ServiceEnableTagOverride": false,
        "ServiceProxy": {"Mode": "", "MeshGateway": {}, "Expose": {}}, "ServiceConnect": {},
        "ServiceLocality": null, "CreateIndex": 8, "ModifyIndex": 9})"));

    row.service.taggedAddresses.insert(QStringLiteral("lan"), {QStringLiteral("10.1.10.13"), 8000});
    QCOMPARE(json::serviceNodeToJson(row).value(QStringLiteral("ServiceTaggedAddresses")),
             QJsonValue(obj(R"({"lan": {"Address": "10.1.10.13", "Port": 8000}})")));
}

void TestJsonCodec::checkShape()
{
    model::Check c;
    c.node = QStringLiteral("foobar");
    c.checkId = QStringLiteral("service:redis1");
    c.name = QStringLiteral("Service 'redis' check");
    c.status = model::status::Passing;
    c.output = QStringLiteral("HTTP GET http://localhost:8000/health: 200 OK");
    c.serviceId = QStringLiteral("redis1");
    c.serviceName = QStringLiteral("redis");
    c.serviceTags = QStringList{QStringLiteral("primary")};
    c.type = QStringLiteral("http");
    c.definition.http = QStringLiteral("http://localhost:8000/health");
    c.definition.interval = 10'000'000'000;
    c.definition.timeout = 1'500'000'000;
    c.index = {11, 12};
    COMPARE_JSON(json::checkToJson(c), obj(R"({
        "Node": "foobar", "CheckID": "service:redis1", "Name": "Service 'redis' check",
        "Status": "passing", "Notes": "",
        "Output": "HTTP GET http://localhost:8000/health: 200 OK", "ServiceID": "redis1",
        "ServiceName": "redis", "ServiceTags": ["primary"], "Type": "http",
        "Interval": "10s", "Timeout": "1.5s", "ExposedPort": 0,
        "Definition": {"HTTP": "http://localhost:8000/health", "Interval": "10s",
                       "Timeout": "1.5s"},
        "CreateIndex": 11, "ModifyIndex": 12})"));
}

void TestJsonCodec::checkDefinitionOmitsEmpty()
{
    model::Check ttl;
    ttl.node = QStringLiteral("n1");
    ttl.checkId = QStringLiteral("mem");
    ttl.name = QStringLiteral("Memory");
    ttl.type = QStringLiteral("ttl");
    ttl.definition.ttl = 30'000'000'000;
    COMPARE_JSON(json::checkToJson(ttl), obj(R"({
        "Node": "n1", "CheckID": "mem", "Name": "Memory", "Status": "critical", "Notes": "",
        "Output": "", "ServiceID": "", "ServiceName": "", "ServiceTags": [], "Type": "ttl",
        "Interval": "", "Timeout": "", "ExposedPort": 0, "Definition": {"TTL": "30s"},
        "CreateIndex": 0, "ModifyIndex": 0})"));

    model::CheckDefinition full;
    full.http = QStringLiteral("https://x/");
    full.tlsServerName = QStringLiteral("x");
    full.tlsSkipVerify = true;
    full.header.insert(QStringLiteral("X-A"), QStringList{QStringLiteral("1"), QStringLiteral("2")});
    full.method = QStringLiteral("POST");
    full.body = QStringLiteral("{}");
    full.disableRedirects = true;
    full.tcp = QStringLiteral("localhost:22");
    full.interval = 60'000'000'000;
    full.outputMaxSize = 1024;
    full.timeout = 500'000'000;
    full.deregisterCriticalServiceAfter = 90 * 60'000'000'000LL;
    full.scriptArgs = QStringList{QStringLiteral("/bin/true"), QStringLiteral("-v")};
    model::Check c;
    c.definition = full;
    COMPARE_JSON(json::checkToJson(c).value(QStringLiteral("Definition")), obj(R"({
        "HTTP": "https://x/", "TLSServerName": "x", "TLSSkipVerify": true,
        "Header": {"X-A": ["1", "2"]}, "Method": "POST", "Body": "{}",
        "DisableRedirects": true, "TCP": "localhost:22", "Interval": "1m0s",
        "OutputMaxSize": 1024, "Timeout": "500ms", "DeregisterCriticalServiceAfter": "1h30m0s",
        "ScriptArgs": ["/bin/true", "-v"]})"));
}

void TestJsonCodec::checkServiceNodeShape()
{
    model::Check serf;
    serf.node = QStringLiteral("foo");
    serf.checkId = QStringLiteral("serfHealth");
    serf.name = QStringLiteral("Serf Health Status");
    serf.status = model::status::Passing;
    serf.output = QStringLiteral("Agent alive and reachable");
    serf.type = QStringLiteral("serf");
    serf.index = {5, 5};
    model::CheckServiceNode row{sampleNode(), sampleService(), {serf}};
    QJsonObject expected;
    expected.insert(QStringLiteral("Node"), obj(kNodeJson));
    expected.insert(QStringLiteral("Service"), obj(kNodeServiceJson));
    expected.insert(QStringLiteral("Checks"), parse(R"([{
        "Node": "foo", "CheckID": "serfHealth", "Name": "Serf Health Status",
        "Status": "passing", "Notes": "", "Output": "Agent alive and reachable",
        "ServiceID": "", "ServiceName": "", "ServiceTags": [], "Type": "serf",
        "Interval": "", "Timeout": "", "ExposedPort": 0, "Definition": {},
        "CreateIndex": 5, "ModifyIndex": 5}])"));
    COMPARE_JSON(json::checkServiceNodeToJson(row), expected);
}

void TestJsonCodec::catalogNodeShape()
{
    model::NodeServices ns{sampleNode(), {sampleService()}};
    QJsonObject expected;
    expected.insert(QStringLiteral("Node"), obj(kNodeJson));
    QJsonObject services;
    services.insert(QStringLiteral("redis1"), obj(kNodeServiceJson));
    expected.insert(QStringLiteral("Services"), services);
    COMPARE_JSON(json::catalogNodeToJson(ns), expected);

    model::NodeServices empty{sampleNode(), {}};
    QCOMPARE(json::catalogNodeToJson(empty).toObject().value(QStringLiteral("Services")),
             QJsonValue(QJsonObject()));
}

void TestJsonCodec::catalogNodeNullWhenAbsent()
{
    const QJsonValue v = json::catalogNodeToJson(std::nullopt);
    QVERIFY(v.isNull());
    QCOMPARE(json::encode(v, false), QByteArray("null"));
}

void TestJsonCodec::nodeServicesShape()
{
    model::NodeServices ns{sampleNode(), {sampleService()}};
    QJsonObject expected;
    expected.insert(QStringLiteral("Node"), obj(kNodeJson));
    expected.insert(QStringLiteral("Services"), QJsonArray{obj(kNodeServiceJson)});
    COMPARE_JSON(json::nodeServicesToJson(ns), expected);
}

void TestJsonCodec::memberShape()
{
    model::Member m;
    m.name = QStringLiteral("server-1");
    m.addr = QStringLiteral("10.0.0.1");
    m.port = 8301;
    m.tags.insert(QStringLiteral("role"), QStringLiteral("consul"));
    m.tags.insert(QStringLiteral("dc"), QStringLiteral("dc1"));
    COMPARE_JSON(json::memberToJson(m), obj(R"({"Name": "server-1", "Addr": "10.0.0.1",
        "Port": 8301, "Tags": {"role": "consul", "dc": "dc1"}, "Status": 1,
        "ProtocolMin": 1, "ProtocolMax": 5, "ProtocolCur": 2,
        "DelegateMin": 2, "DelegateMax": 5, "DelegateCur": 4})"));
}

void TestJsonCodec::kvExportShape()
{
    model::KvEntry a;
    a.key = QStringLiteral("app/a");
    a.value = QByteArray("hello");
    a.flags = 3;
    model::KvEntry b;
    b.key = QStringLiteral("app/empty");
    COMPARE_JSON(json::kvExportToJson({a, b}),
                 parse(R"([{"key": "app/a", "flags": 3, "value": "aGVsbG8="},
                           {"key": "app/empty", "flags": 0, "value": ""}])"));
}

void TestJsonCodec::encodeMatchesGo_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<bool>("pretty");
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("true") << QJsonValue(true) << false << QByteArray("true");
    QTest::newRow("empty array") << QJsonValue(QJsonArray()) << false << QByteArray("[]");
    QTest::newRow("empty array pretty") << QJsonValue(QJsonArray()) << true << QByteArray("[]\n");
    QTest::newRow("compact object")
        << parse(R"({"a": [1, "x"], "b": {}, "c": null})") << false
        << QByteArray(R"({"a":[1,"x"],"b":{},"c":null})");
    QTest::newRow("pretty object")
        << parse(R"({"a": [1, "x"], "b": {}, "c": {"d": []}})") << true
        << QByteArray("{\n    \"a\": [\n        1,\n        \"x\"\n    ],\n    \"b\": {},\n"
                      "    \"c\": {\n        \"d\": []\n    }\n}\n");
    QTest::newRow("html escaped") << QJsonValue(QStringLiteral("<a&b>")) << false
                                  << QByteArray(R"("\u003ca\u0026b\u003e")");
    QTest::newRow("control chars") << QJsonValue(QStringLiteral("q\"\\\n\t\x01")) << false
                                   << QByteArray(R"("q\"\\\n\t\u0001")");
    QTest::newRow("utf8 kept") << QJsonValue(QStringLiteral("\u00e7\u00b5")) << false
                               << QByteArray("\"\xc3\xa7\xc2\xb5\"");
    QTest::newRow("fraction") << QJsonValue(0.5) << false << QByteArray("0.5");
}

void TestJsonCodec::encodeMatchesGo()
{
    QFETCH(QJsonValue, value);
    QFETCH(bool, pretty);
    QFETCH(QByteArray, bytes);
    QCOMPARE(json::encode(value, pretty), bytes);
}

void TestJsonCodec::encodeKeepsLargeIntegersExact()
{
    model::KvEntry e;
    e.key = QStringLiteral("k");
    e.flags = 9007199254740993ULL;  // 2^53 + 1: not representable as a double
    e.index = {1, 2};
    QVERIFY(json::encode(json::kvEntryToJson(e), false).contains("\"Flags\":9007199254740993"));
}

// ---- input ----------------------------------------------------------------------------------------

void TestJsonCodec::registerRequestParses()
{
    QString error;
    const auto req = json::registerRequestFromJson(obj(R"({
        "Datacenter": "dc1", "ID": "40e4a748-2192-161a-0510-9bf59fe950b5", "Node": "foobar",
        "Address": "192.168.10.10", "TaggedAddresses": {"lan": "192.168.10.10"},
        "NodeMeta": {"somekey": "somevalue"},
        "Service": {"Service": "redis", "Tags": ["primary"], "Address": "127.0.0.1",
                    "TaggedAddresses": {"lan": {"address": "127.0.0.1", "port": 8000}},
                    "Meta": {"redis_version": "4.0"}, "Port": 8000},
        "Check": {"Node": "foobar", "CheckID": "service:redis1", "Name": "Redis health check",
                  "Notes": "Script based health check", "Status": "passing",
                  "ServiceID": "redis1",
                  "Definition": {"TCP": "localhost:8888", "Interval": "5s", "Timeout": "1s",
                                 "DeregisterCriticalServiceAfter": "30s"}},
        "SkipNodeUpdate": false})"), &error);
    QVERIFY2(req, qPrintable(error));
    QCOMPARE(req->node, QStringLiteral("foobar"));
    QCOMPARE(req->id, QStringLiteral("40e4a748-2192-161a-0510-9bf59fe950b5"));
    QCOMPARE(req->address, QStringLiteral("192.168.10.10"));
    QCOMPARE(req->datacenter, QStringLiteral("dc1"));
    QCOMPARE(req->taggedAddresses.value(QStringLiteral("lan")), QStringLiteral("192.168.10.10"));
    QCOMPARE(req->nodeMeta.value(QStringLiteral("somekey")), QStringLiteral("somevalue"));
    QVERIFY(req->hasService);
    QCOMPARE(req->service.id, QStringLiteral("redis"));  // defaults to the service name
    QCOMPARE(req->service.service, QStringLiteral("redis"));
    QCOMPARE(req->service.tags, QStringList{QStringLiteral("primary")});
    QCOMPARE(req->service.port, 8000);
    QCOMPARE(req->service.weights, (model::Weights{1, 1}));
    const model::ServiceAddress lan{QStringLiteral("127.0.0.1"), 8000};
    QCOMPARE(req->service.taggedAddresses.value(QStringLiteral("lan")), lan);
    QCOMPARE(req->checks.size(), 1);
    const model::Check &c = req->checks.first();
    QCOMPARE(c.checkId, QStringLiteral("service:redis1"));
    QCOMPARE(c.status, QStringLiteral("passing"));
    QCOMPARE(c.notes, QStringLiteral("Script based health check"));
    QCOMPARE(c.definition.tcp, QStringLiteral("localhost:8888"));
    QCOMPARE(c.definition.interval, qint64(5'000'000'000));
    QCOMPARE(c.definition.timeout, qint64(1'000'000'000));
    QCOMPARE(c.definition.deregisterCriticalServiceAfter, qint64(30'000'000'000));
}

void TestJsonCodec::registerRequestMergesChecks()
{
    QString error;
    const auto req = json::registerRequestFromJson(obj(R"({
        "Node": "n1", "Address": "10.0.0.1",
        "Check": {"Name": "one"},
        "Checks": [{"Name": "two", "Status": "warning"},
                   {"CheckID": "c3", "Name": "three", "Node": "other",
                    "Definition": {"Interval": 2000000000}}]})"), &error);
    QVERIFY2(req, qPrintable(error));
    QVERIFY(!req->hasService);
    QCOMPARE(req->checks.size(), 3);
    QCOMPARE(req->checks[0].checkId, QStringLiteral("one"));  // CheckID defaults to Name
    QCOMPARE(req->checks[0].node, QStringLiteral("n1"));      // Node defaults to the request's
    QCOMPARE(req->checks[0].status, QStringLiteral("critical"));
    QCOMPARE(req->checks[1].checkId, QStringLiteral("two"));
    QCOMPARE(req->checks[1].status, QStringLiteral("warning"));
    QCOMPARE(req->checks[2].checkId, QStringLiteral("c3"));
    QCOMPARE(req->checks[2].node, QStringLiteral("other"));
    QCOMPARE(req->checks[2].definition.interval, qint64(2'000'000'000));
}

void TestJsonCodec::registerRequestErrors_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    QTest::newRow("no node") << QByteArray(R"({"Address": "1.2.3.4"})")
                             << QStringLiteral("Must provide node");
    QTest::newRow("no address") << QByteArray(R"({"Node": "n"})")
                                << QStringLiteral("Must provide address if SkipNodeUpdate is not set");
    QTest::newRow("node not string")
        << QByteArray(R"({"Node": 5, "Address": "1.2.3.4"})")
        << QStringLiteral("Request decode failed: json: cannot unmarshal number into Go struct "
                          "field RegisterRequest.Node of type string");
    QTest::newRow("bad check duration")
        << QByteArray(R"({"Node": "n", "Address": "a", "Check": {"Name": "c",
                          "Definition": {"Interval": "10"}}})")
        << QStringLiteral(R"(Request decode failed: time: missing unit in duration "10")");
    QTest::newRow("bad check status")
        << QByteArray(R"({"Node": "n", "Address": "a", "Checks": [{"Name": "c", "Status": "ok"}]})")
        << QStringLiteral("Invalid check status: 'ok'");
}

void TestJsonCodec::registerRequestErrors()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    QString actual;
    QVERIFY(!json::registerRequestFromJson(obj(body.constData()), &actual));
    QCOMPARE(actual, error);
}

void TestJsonCodec::deregisterRequestParses()
{
    QString error;
    const auto req = json::deregisterRequestFromJson(
        obj(R"({"Datacenter": "dc1", "Node": "foobar", "ServiceID": "redis1", "CheckID": "c"})"),
        &error);
    QVERIFY2(req, qPrintable(error));
    QCOMPARE(req->node, QStringLiteral("foobar"));
    QCOMPARE(req->datacenter, QStringLiteral("dc1"));
    QCOMPARE(req->serviceId, QStringLiteral("redis1"));
    QCOMPARE(req->checkId, QStringLiteral("c"));
    QVERIFY(!json::deregisterRequestFromJson(obj(R"({"ServiceID": "x"})"), &error));
    QCOMPARE(error, QStringLiteral("Must provide node"));
}

void TestJsonCodec::agentServiceDefaults()
{
    QString error;
    const auto reg = json::agentServiceRegistrationFromJson(obj(R"({"Name": "web"})"), &error);
    QVERIFY2(reg, qPrintable(error));
    QCOMPARE(reg->service.id, QStringLiteral("web"));
    QCOMPARE(reg->service.service, QStringLiteral("web"));
    QCOMPARE(reg->service.weights, (model::Weights{1, 1}));
    QCOMPARE(reg->service.port, 0);
    QVERIFY(reg->service.tags.isEmpty());
    QVERIFY(reg->checks.isEmpty());
}

void TestJsonCodec::agentServiceSnakeCaseAndAliases()
{
    QString error;
    const auto reg = json::agentServiceRegistrationFromJson(obj(R"({
        "id": "redis1", "name": "redis", "tags": ["primary"], "address": "127.0.0.1",
        "port": 8000, "enable_tag_override": true, "meta": {"v": "4"},
        "tagged_addresses": {"wan": {"address": "198.18.0.53", "port": 80}},
        "weights": {"passing": 10, "warning": 1},
        "check": {"name": "script", "args": ["/bin/check"], "interval": "10s",
                  "deregister_critical_service_after": "90m", "status": "passing"}})"),
        &error);
    QVERIFY2(reg, qPrintable(error));
    const model::Service &s = reg->service;
    QCOMPARE(s.id, QStringLiteral("redis1"));
    QCOMPARE(s.service, QStringLiteral("redis"));
    QCOMPARE(s.tags, QStringList{QStringLiteral("primary")});
    QCOMPARE(s.address, QStringLiteral("127.0.0.1"));
    QCOMPARE(s.port, 8000);
    QVERIFY(s.enableTagOverride);
    QCOMPARE(s.meta.value(QStringLiteral("v")), QStringLiteral("4"));
    const model::ServiceAddress wan{QStringLiteral("198.18.0.53"), 80};
    QCOMPARE(s.taggedAddresses.value(QStringLiteral("wan")), wan);
    QCOMPARE(s.weights, (model::Weights{10, 1}));
    QCOMPARE(reg->checks.size(), 1);
    const json::AgentCheckRegistration &c = reg->checks.first();
    QCOMPARE(c.id, QStringLiteral("service:redis1"));
    QCOMPARE(c.name, QStringLiteral("script"));
    QCOMPARE(c.serviceId, QStringLiteral("redis1"));
    QCOMPARE(c.status, QStringLiteral("passing"));
    QCOMPARE(c.definition.scriptArgs, QStringList{QStringLiteral("/bin/check")});
    QCOMPARE(c.definition.interval, qint64(10'000'000'000));
    QCOMPARE(c.definition.deregisterCriticalServiceAfter, qint64(90) * 60'000'000'000);
    QCOMPARE(json::checkTypeOf(c.definition), QStringLiteral("script"));
}

void TestJsonCodec::agentServiceEmbeddedCheckIds_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QStringList>("ids");
    QTest::addColumn<QStringList>("names");
    QTest::newRow("single check")
        << QByteArray(R"({"Name": "web", "Check": {"TTL": "15s"}})")
        << QStringList{QStringLiteral("service:web")}
        << QStringList{QStringLiteral("Service 'web' check")};
    QTest::newRow("single in Checks")
        << QByteArray(R"({"Name": "web", "ID": "web-1", "Checks": [{"TTL": "15s"}]})")
        << QStringList{QStringLiteral("service:web-1")}
        << QStringList{QStringLiteral("Service 'web' check")};
    QTest::newRow("several numbered from 1")
        << QByteArray(R"({"Name": "web", "ID": "w", "Check": {"TTL": "15s"},
                          "Checks": [{"HTTP": "http://x/", "Interval": "5s", "Name": "h"},
                                     {"CheckID": "own", "TCP": "x:1", "Interval": "5s"}]})")
        << QStringList{QStringLiteral("service:w:1"), QStringLiteral("service:w:2"),
                       QStringLiteral("own")}
        << QStringList{QStringLiteral("Service 'web' check"), QStringLiteral("h"),
                       QStringLiteral("Service 'web' check")};
    QTest::newRow("empty Check ignored")
        << QByteArray(R"({"Name": "web", "Check": {}})") << QStringList() << QStringList();
}

void TestJsonCodec::agentServiceEmbeddedCheckIds()
{
    QFETCH(QByteArray, body);
    QFETCH(QStringList, ids);
    QFETCH(QStringList, names);
    QString error;
    const auto reg = json::agentServiceRegistrationFromJson(obj(body.constData()), &error);
    QVERIFY2(reg, qPrintable(error));
    QStringList actualIds, actualNames;
    for (const auto &c : reg->checks) {
        actualIds << c.id;
        actualNames << c.name;
        QCOMPARE(c.serviceId, reg->service.id);
    }
    QCOMPARE(actualIds, ids);
    QCOMPARE(actualNames, names);
}

void TestJsonCodec::agentServiceErrors_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    QTest::newRow("no name") << QByteArray(R"({"ID": "x", "Port": 80})")
                             << QStringLiteral("Missing service name");
    QTest::newRow("any ipv4") << QByteArray(R"({"Name": "x", "Address": "0.0.0.0"})")
                              << QStringLiteral("Invalid service address");
    QTest::newRow("any ipv6") << QByteArray(R"({"Name": "x", "Address": "::"})")
                              << QStringLiteral("Invalid service address");
    QTest::newRow("zero passing weight")
        << QByteArray(R"({"Name": "x", "Weights": {"Warning": 1}})")
        << QStringLiteral("Invalid Weights: Passing must be greater than 0");
    QTest::newRow("port as string")
        << QByteArray(R"({"Name": "x", "Port": "80"})")
        << QStringLiteral("Request decode failed: json: cannot unmarshal string into Go struct "
                          "field ServiceDefinition.Port of type int");
    QTest::newRow("port beyond int")
        << QByteArray(R"({"Name": "x", "Port": 99999999999})")
        << QStringLiteral("Request decode failed: json: cannot unmarshal number into Go struct "
                          "field ServiceDefinition.Port of type int");
    QTest::newRow("check without kind")
        << QByteArray(R"({"Name": "x", "Check": {"Name": "c"}})")
        << QStringLiteral("Invalid check: TTL must be > 0 for TTL checks");
    QTest::newRow("http check without interval")
        << QByteArray(R"({"Name": "x", "Checks": [{"HTTP": "http://x/"}]})")
        << QStringLiteral("Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, "
                          "UDP or GRPC checks");
    QTest::newRow("bad check status")
        << QByteArray(R"({"Name": "x", "Check": {"TTL": "5s", "Status": "up"}})")
        << QStringLiteral("Invalid check status: 'up'");
}

void TestJsonCodec::agentServiceErrors()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    QString actual;
    QVERIFY(!json::agentServiceRegistrationFromJson(obj(body.constData()), &actual));
    QCOMPARE(actual, error);
}

void TestJsonCodec::agentCheckParses_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("type");
    QTest::addColumn<qint64>("interval");
    QTest::addColumn<qint64>("ttl");
    QTest::newRow("ttl, id from name")
        << QByteArray(R"({"Name": "Memory utilization", "TTL": "15s"})")
        << QStringLiteral("Memory utilization") << QStringLiteral("ttl") << qint64(0)
        << qint64(15'000'000'000);
    QTest::newRow("lower-case keys")
        << QByteArray(R"({"id": "mem", "name": "Memory", "ttl": "1m"})") << QStringLiteral("mem")
        << QStringLiteral("ttl") << qint64(0) << qint64(60'000'000'000);
    QTest::newRow("http, numeric interval")
        << QByteArray(R"({"ID": "api", "Name": "API", "HTTP": "http://localhost:5000/health",
                          "Interval": 10000000000})")
        << QStringLiteral("api") << QStringLiteral("http") << qint64(10'000'000'000) << qint64(0);
    QTest::newRow("interval below 1s raised")
        << QByteArray(R"({"Name": "t", "TCP": "localhost:22", "Interval": "100ms"})")
        << QStringLiteral("t") << QStringLiteral("tcp") << qint64(1'000'000'000) << qint64(0);
    QTest::newRow("script via ScriptArgs")
        << QByteArray(R"({"Name": "s", "ScriptArgs": ["/bin/true"], "Interval": "30s"})")
        << QStringLiteral("s") << QStringLiteral("script") << qint64(30'000'000'000) << qint64(0);
    QTest::newRow("script via script_args")
        << QByteArray(R"({"Name": "s", "script_args": ["/bin/true"], "interval": "30s"})")
        << QStringLiteral("s") << QStringLiteral("script") << qint64(30'000'000'000) << qint64(0);
    QTest::newRow("CheckID spelling")
        << QByteArray(R"({"CheckID": "c1", "Name": "n", "TTL": "10s"})") << QStringLiteral("c1")
        << QStringLiteral("ttl") << qint64(0) << qint64(10'000'000'000);
}

void TestJsonCodec::agentCheckParses()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, id);
    QFETCH(QString, type);
    QFETCH(qint64, interval);
    QFETCH(qint64, ttl);
    QString error;
    const auto c = json::agentCheckRegistrationFromJson(obj(body.constData()), &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->id, id);
    QCOMPARE(json::checkTypeOf(c->definition), type);
    QCOMPARE(c->definition.interval, interval);
    QCOMPARE(c->definition.ttl, ttl);
    QVERIFY(c->status.isEmpty());  // not given: the agent decides (critical)
}

void TestJsonCodec::agentCheckErrors_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    QTest::newRow("no name") << QByteArray(R"({"ID": "x", "TTL": "10s"})")
                             << QStringLiteral("Missing check name");
    QTest::newRow("bad status") << QByteArray(R"({"Name": "x", "TTL": "10s", "Status": "ok"})")
                                << QStringLiteral("Invalid check status: 'ok'");
    QTest::newRow("bad ttl string")
        << QByteArray(R"({"Name": "x", "TTL": "soon"})")
        << QStringLiteral(R"(Request decode failed: time: invalid duration "soon")");
    QTest::newRow("ttl and interval")
        << QByteArray(R"({"Name": "x", "TTL": "10s", "Interval": "10s"})")
        << QStringLiteral("Invalid check: Interval and TTL cannot both be specified");
    QTest::newRow("args not array")
        << QByteArray(R"({"Name": "x", "Args": "/bin/true", "Interval": "1s"})")
        << QStringLiteral("Request decode failed: json: cannot unmarshal string into Go struct "
                          "field CheckDefinition.ScriptArgs of type []string");
}

void TestJsonCodec::agentCheckErrors()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    QString actual;
    QVERIFY(!json::agentCheckRegistrationFromJson(obj(body.constData()), &actual));
    QCOMPARE(actual, error);
}

void TestJsonCodec::checkTypeOfDefinition_data()
{
    QTest::addColumn<QString>("http");
    QTest::addColumn<QString>("tcp");
    QTest::addColumn<qint64>("ttl");
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("type");
    QTest::newRow("http") << "http://x" << "" << qint64(0) << QStringList() << "http";
    QTest::newRow("tcp") << "" << "x:1" << qint64(0) << QStringList() << "tcp";
    QTest::newRow("ttl") << "" << "" << qint64(5) << QStringList() << "ttl";
    QTest::newRow("script") << "" << "" << qint64(0) << QStringList{QStringLiteral("a")}
                            << "script";
    QTest::newRow("none") << "" << "" << qint64(0) << QStringList() << "";
}

void TestJsonCodec::checkTypeOfDefinition()
{
    QFETCH(QString, http);
    QFETCH(QString, tcp);
    QFETCH(qint64, ttl);
    QFETCH(QStringList, args);
    QFETCH(QString, type);
    model::CheckDefinition d;
    d.http = http;
    d.tcp = tcp;
    d.ttl = ttl;
    d.scriptArgs = args;
    QCOMPARE(json::checkTypeOf(d), type);
}

void TestJsonCodec::kvImportRoundTrip()
{
    model::KvEntry a;
    a.key = QStringLiteral("cfg/a");
    a.value = QByteArray("\x00\xff binary", 9);
    a.flags = 7;
    model::KvEntry b;
    b.key = QStringLiteral("cfg/b");
    QString error;
    const auto back = json::kvImportFromJson(json::kvExportToJson({a, b}), &error);
    QVERIFY2(back, qPrintable(error));
    QCOMPARE(back->size(), 2);
    QCOMPARE(back->at(0).key, a.key);
    QCOMPARE(back->at(0).value, a.value);
    QCOMPARE(back->at(0).flags, a.flags);
    QCOMPARE(back->at(1).key, b.key);
    QVERIFY(back->at(1).value.isEmpty());
}

void TestJsonCodec::kvImportErrors_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    QTest::newRow("not object") << QByteArray(R"([1])")
                                << QStringLiteral("Error decoding entry 0: not an object");
    QTest::newRow("no key") << QByteArray(R"([{"key": "a"}, {"value": "YQ=="}])")
                            << QStringLiteral("Error decoding entry 1: missing key");
    QTest::newRow("bad base64") << QByteArray(R"([{"key": "a", "value": "!!"}])")
                                << QStringLiteral("Error decoding entry 0: illegal base64 data");
}

void TestJsonCodec::kvImportErrors()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    QString actual;
    QVERIFY(!json::kvImportFromJson(parse(body.constData()).toArray(), &actual));
    QCOMPARE(actual, error);
}

void TestJsonCodec::readersInvertWriters()
{
    model::KvEntry e;
    e.key = QStringLiteral("a/b");
    e.value = QByteArray("v");
    e.flags = 9;
    e.lockIndex = 2;
    e.session = QStringLiteral("s");
    e.index = {3, 4};
    QCOMPARE(json::kvEntryFromJson(json::kvEntryToJson(e)), e);
    QCOMPARE(json::nodeFromJson(json::nodeToJson(sampleNode())), sampleNode());
    model::Member m;
    m.name = QStringLiteral("n");
    m.addr = QStringLiteral("127.0.0.1");
    m.port = 8301;
    m.status = 4;
    m.tags.insert(QStringLiteral("role"), QStringLiteral("node"));
    const model::Member back = json::memberFromJson(json::memberToJson(m));
    QCOMPARE(back.name, m.name);
    QCOMPARE(back.addr, m.addr);
    QCOMPARE(back.port, m.port);
    QCOMPARE(back.status, m.status);
    QCOMPARE(back.tags, m.tags);
    QCOMPARE(back.protocolCur, m.protocolCur);
}

QTEST_APPLESS_MAIN(TestJsonCodec)
#include "tst_json_codec.moc"
