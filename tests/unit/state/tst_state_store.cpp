// Catalog and health side of the state store (Consul catalog.go): registration defaults and
// validation, index bumps (and their absence on no-op re-registration), deregistration cascades,
// case-insensitive service/tag matching, health filtering, and catalog watches.

#include "core/state/catalog_ops.h"
#include "core/state/kv_ops.h"
#include "state_test_util.h"

#include <QTest>

Q_DECLARE_METATYPE(conclave::model::RegisterRequest)
Q_DECLARE_METATYPE(conclave::model::DeregisterRequest)

using namespace conclave;
using namespace conclave::state;
using namespace conclave::state::test;

class TestStateStore : public QObject {
    Q_OBJECT

private slots:
    void registerFillsDefaultsAndIndexes();
    void registerValidation_data();
    void registerValidation();
    void noOpReregisterDoesNotBump();
    void changedFieldsBumpOnlyTheirRow_data();
    void changedFieldsBumpOnlyTheirRow();
    void skipNodeUpdateKeepsNodeFields();
    void checkCopiesServiceNameAndTags();
    void deregisterCascades_data();
    void deregisterCascades();
    void deregisterMissingIsNotAnError();
    void serviceNameAndTagsMatchCaseInsensitively_data();
    void serviceNameAndTagsMatchCaseInsensitively();
    void servicesUnionTags();
    void serviceIndexNeverGoesBackwards();
    void checkServiceNodesPassingFilter();
    void serviceChecksOnlyThatService();
    void checksInState_data();
    void checksInState();
    void nodeServicesAndChecks();
    void catalogWatches_data();
    void catalogWatches();
};

namespace {

QString registerAt(StateStore &store, quint64 index, const model::RegisterRequest &req)
{
    return inTxn(store, index, [&](WriteTxn &txn) { return catalogEnsureRegistration(txn, req); });
}

QString deregisterAt(StateStore &store, quint64 index, const model::DeregisterRequest &req)
{
    return inTxn(store, index, [&](WriteTxn &txn) { return catalogDeregister(txn, req); });
}

model::DeregisterRequest dereg(const QString &node, const QString &serviceId = {},
                               const QString &checkId = {})
{
    model::DeregisterRequest r;
    r.node = node;
    r.serviceId = serviceId;
    r.checkId = checkId;
    return r;
}

QStringList nodeNames(const QList<model::ServiceNode> &list)
{
    QStringList out;
    for (const auto &sn : list)
        out << sn.node.node + QLatin1Char('/') + sn.service.id;
    return out;
}

QStringList nodeNames(const QList<model::CheckServiceNode> &list)
{
    QStringList out;
    for (const auto &sn : list)
        out << sn.node.node + QLatin1Char('/') + sn.service.id;
    return out;
}

QStringList checkIds(const QList<model::Check> &list)
{
    QStringList out;
    for (const auto &c : list)
        out << c.node + QLatin1Char('/') + c.checkId;
    return out;
}

/// n1: web (tags primary,v1) + node check "serf" passing + service check "web-http" passing
/// n2: web (secondary) + service check critical; db
/// n3: web-2 "web" id, node check warning
void populate(StateStore &store)
{
    auto r1 = regService(QStringLiteral("n1"), QStringLiteral("web"), {}, {"primary", "v1"});
    r1.checks << check(QStringLiteral("serf"), model::status::Passing)
              << check(QStringLiteral("web-http"), model::status::Passing, QStringLiteral("web"));
    QCOMPARE(registerAt(store, 1, r1), QString());
    auto r2 = regService(QStringLiteral("n2"), QStringLiteral("web"), {}, {"secondary"});
    r2.checks << check(QStringLiteral("web-http"), model::status::Critical, QStringLiteral("web"));
    QCOMPARE(registerAt(store, 2, r2), QString());
    QCOMPARE(registerAt(store, 3, regService(QStringLiteral("n2"), QStringLiteral("db"))), QString());
    auto r3 = regService(QStringLiteral("n3"), QStringLiteral("web"), QStringLiteral("web-2"), {"v1"});
    r3.checks << check(QStringLiteral("serf"), model::status::Warning);
    QCOMPARE(registerAt(store, 4, r3), QString());
}

}  // namespace

void TestStateStore::registerFillsDefaultsAndIndexes()
{
    StateStore store;
    auto req = regService(QStringLiteral("n1"), QStringLiteral("web"), {}, {"a"}, 8080);
    req.id = QStringLiteral("11111111-2222-3333-4444-555555555555");
    req.nodeMeta.insert(QStringLiteral("rack"), QStringLiteral("r1"));
    model::Check c;
    c.name = QStringLiteral("alive");
    c.status.clear();  // unset ⇒ critical
    req.checks << c;
    QCOMPARE(registerAt(store, 5, req), QString());

    const auto node = store.node(QStringLiteral("n1"));
    QVERIFY(node.value);
    QCOMPARE(node.value->address, QStringLiteral("10.0.0.1"));
    QCOMPARE(node.value->id, req.id);
    QCOMPARE(node.value->meta.value(QStringLiteral("rack")), QStringLiteral("r1"));
    QCOMPARE(node.value->index, (model::RaftIndex{5, 5}));
    QCOMPARE(node.index, quint64(5));

    const auto ns = store.nodeServices(QStringLiteral("n1")).value;
    QVERIFY(ns);
    QCOMPARE(ns->services.size(), 1);
    QCOMPARE(ns->services[0].id, QStringLiteral("web"));  // ID defaults to the name
    QCOMPARE(ns->services[0].port, 8080);
    QCOMPARE(ns->services[0].index, (model::RaftIndex{5, 5}));

    const auto checks = store.nodeChecks(QStringLiteral("n1")).value;
    QCOMPARE(checks.size(), 1);
    QCOMPARE(checks[0].checkId, QStringLiteral("alive"));  // CheckID defaults to Name
    QCOMPARE(checks[0].node, QStringLiteral("n1"));
    QCOMPARE(checks[0].status, model::status::Critical);
    QCOMPARE(checks[0].index, (model::RaftIndex{5, 5}));

    for (const QString &t : {tables::Nodes, tables::Services, tables::Checks})
        QCOMPARE(store.maxIndex({t}), quint64(5));
    QCOMPARE(store.maxIndex({tables::Kvs}), quint64(1));
    QCOMPARE(store.serviceNodes(QStringLiteral("web"), {}).index, quint64(5));
}

void TestStateStore::registerValidation_data()
{
    QTest::addColumn<model::RegisterRequest>("req");
    QTest::addColumn<QString>("error");

    QTest::newRow("missing node") << reg(QString()) << "Must provide node";
    QTest::newRow("missing address") << reg(QStringLiteral("n1"), QString()) << "Must provide address";
    auto skip = reg(QStringLiteral("n1"), QString());
    skip.skipNodeUpdate = true;
    QTest::newRow("missing address allowed with SkipNodeUpdate") << skip << QString();
    auto noName = regService(QStringLiteral("n1"), QString(), QStringLiteral("id1"));
    QTest::newRow("service without name") << noName << "Must provide service name";
    auto badCheck = reg(QStringLiteral("n1"));
    badCheck.checks << check(QStringLiteral("c1"), model::status::Passing, QStringLiteral("nope"));
    QTest::newRow("check on unknown service")
        << badCheck << "Unknown service ID 'nope' for check ID 'c1'";
    auto otherNode = reg(QStringLiteral("n1"));
    otherNode.checks << check(QStringLiteral("c1"), model::status::Passing);
    otherNode.checks[0].node = QStringLiteral("n2");
    QTest::newRow("check for another node") << otherNode
                                            << "Check node 'n2' does not match register node 'n1'";
    auto noCheckId = reg(QStringLiteral("n1"));
    noCheckId.checks << model::Check{};
    QTest::newRow("check without id or name") << noCheckId << "Must provide check ID or name";
    auto svcCheck = regService(QStringLiteral("n1"), QStringLiteral("web"));
    svcCheck.checks << check(QStringLiteral("c1"), model::status::Passing, QStringLiteral("web"));
    QTest::newRow("check on service in the same request") << svcCheck << QString();
}

void TestStateStore::registerValidation()
{
    QFETCH(model::RegisterRequest, req);
    QFETCH(QString, error);
    StateStore store;
    QCOMPARE(registerAt(store, 3, req), error);
    if (!error.isEmpty()) {
        // Validation happens before any mutation: nothing at all changed.
        QVERIFY(store.nodes().value.isEmpty());
        QCOMPARE(store.maxIndex({tables::Nodes, tables::Services, tables::Checks}), quint64(1));
    } else {
        QCOMPARE(store.nodes().value.size(), 1);
    }
}

void TestStateStore::noOpReregisterDoesNotBump()
{
    StateStore store;
    auto req = regService(QStringLiteral("n1"), QStringLiteral("web"), {}, {"a"});
    req.checks << check(QStringLiteral("web-ok"), model::status::Passing, QStringLiteral("web"))
               << check(QStringLiteral("serf"), model::status::Passing);
    QCOMPARE(registerAt(store, 1, req), QString());

    WatchSet ws;
    store.nodes(&ws);
    store.serviceNodes(QStringLiteral("web"), {}, &ws);
    store.nodeChecks(QStringLiteral("n1"), &ws);
    store.checksInState(QStringLiteral("any"), &ws);
    int fired = 0;
    store.watches().watch(ws, [&] { ++fired; });

    QCOMPARE(registerAt(store, 2, req), QString());
    QCOMPARE(fired, 0);
    QCOMPARE(store.node(QStringLiteral("n1")).value->index, (model::RaftIndex{1, 1}));
    QCOMPARE(store.nodeServices(QStringLiteral("n1")).value->services[0].index, (model::RaftIndex{1, 1}));
    for (const auto &c : store.nodeChecks(QStringLiteral("n1")).value)
        QCOMPARE(c.index, (model::RaftIndex{1, 1}));
    QCOMPARE(store.maxIndex({tables::Nodes, tables::Services, tables::Checks}), quint64(1));
    QCOMPARE(store.serviceNodes(QStringLiteral("web"), {}).index, quint64(1));
    QCOMPARE(store.lastIndex(), quint64(2));
}

void TestStateStore::changedFieldsBumpOnlyTheirRow_data()
{
    QTest::addColumn<QString>("change");
    QTest::addColumn<quint64>("nodeModify");
    QTest::addColumn<quint64>("serviceModify");
    QTest::addColumn<quint64>("checkModify");
    QTest::newRow("node address") << "address" << quint64(2) << quint64(1) << quint64(1);
    QTest::newRow("node meta") << "meta" << quint64(2) << quint64(1) << quint64(1);
    QTest::newRow("service port") << "port" << quint64(1) << quint64(2) << quint64(1);
    QTest::newRow("service tags") << "tags" << quint64(1) << quint64(2) << quint64(2);
    QTest::newRow("check status") << "status" << quint64(1) << quint64(1) << quint64(2);
    QTest::newRow("check output") << "output" << quint64(1) << quint64(1) << quint64(2);
}

void TestStateStore::changedFieldsBumpOnlyTheirRow()
{
    QFETCH(QString, change);
    QFETCH(quint64, nodeModify);
    QFETCH(quint64, serviceModify);
    QFETCH(quint64, checkModify);
    StateStore store;
    auto req = regService(QStringLiteral("n1"), QStringLiteral("web"), {}, {"a"});
    req.checks << check(QStringLiteral("web-ok"), model::status::Passing, QStringLiteral("web"));
    QCOMPARE(registerAt(store, 1, req), QString());
    if (change == QLatin1String("address"))
        req.address = QStringLiteral("10.9.9.9");
    else if (change == QLatin1String("meta"))
        req.nodeMeta.insert(QStringLiteral("k"), QStringLiteral("v"));
    else if (change == QLatin1String("port"))
        req.service.port = 9999;
    else if (change == QLatin1String("tags"))
        req.service.tags << QStringLiteral("b");  // the check's copied ServiceTags change too
    else if (change == QLatin1String("status"))
        req.checks[0].status = model::status::Critical;
    else
        req.checks[0].output = QStringLiteral("HTTP 200");
    QCOMPARE(registerAt(store, 2, req), QString());

    const auto node = *store.node(QStringLiteral("n1")).value;
    const auto svc = store.nodeServices(QStringLiteral("n1")).value->services.at(0);
    const auto chk = store.nodeChecks(QStringLiteral("n1")).value.at(0);
    QCOMPARE(node.index, (model::RaftIndex{1, nodeModify}));
    QCOMPARE(svc.index, (model::RaftIndex{1, serviceModify}));
    QCOMPARE(chk.index, (model::RaftIndex{1, checkModify}));
    QCOMPARE(store.maxIndex({tables::Nodes}), nodeModify);
    QCOMPARE(store.maxIndex({tables::Services}), serviceModify);
    QCOMPARE(store.maxIndex({tables::Checks}), checkModify);
    // Any change shows in the service's health answer, so its index moves.
    QCOMPARE(store.checkServiceNodes(QStringLiteral("web"), {}, false).index, quint64(2));
}

void TestStateStore::skipNodeUpdateKeepsNodeFields()
{
    StateStore store;
    QCOMPARE(registerAt(store, 1, reg(QStringLiteral("n1"), QStringLiteral("10.0.0.1"))), QString());
    auto req = regService(QStringLiteral("n1"), QStringLiteral("web"));
    req.address = QStringLiteral("10.6.6.6");
    req.skipNodeUpdate = true;
    QCOMPARE(registerAt(store, 2, req), QString());
    const auto node = *store.node(QStringLiteral("n1")).value;
    QCOMPARE(node.address, QStringLiteral("10.0.0.1"));
    QCOMPARE(node.index, (model::RaftIndex{1, 1}));
    QCOMPARE(store.serviceNodes(QStringLiteral("web"), {}).value.size(), 1);
}

void TestStateStore::checkCopiesServiceNameAndTags()
{
    StateStore store;
    QCOMPARE(registerAt(store, 1, regService(QStringLiteral("n1"), QStringLiteral("Web"),
                                             QStringLiteral("web-1"), {"x", "y"})),
             QString());
    // A later request registers only a check for the existing service.
    auto req = reg(QStringLiteral("n1"));
    req.checks << check(QStringLiteral("http"), model::status::Passing, QStringLiteral("web-1"));
    QCOMPARE(registerAt(store, 2, req), QString());
    const auto c = store.nodeChecks(QStringLiteral("n1")).value.at(0);
    QCOMPARE(c.serviceName, QStringLiteral("Web"));
    QCOMPARE(c.serviceTags, (QStringList{"x", "y"}));
    QCOMPARE(c.serviceId, QStringLiteral("web-1"));
}

void TestStateStore::deregisterCascades_data()
{
    QTest::addColumn<model::DeregisterRequest>("req");
    QTest::addColumn<QStringList>("nodes");
    QTest::addColumn<QStringList>("webInstances");
    QTest::addColumn<QStringList>("checks");
    QTest::addColumn<quint64>("nodesIndex");
    QTest::addColumn<quint64>("servicesIndex");
    QTest::addColumn<quint64>("checksIndex");

    const QStringList allNodes{"n1", "n2", "n3"};
    QTest::newRow("node removes its services and checks")
        << dereg(QStringLiteral("n1")) << QStringList{"n2", "n3"}
        << QStringList{"n2/web", "n3/web-2"} << QStringList{"n2/web-http", "n3/serf"}
        << quint64(5) << quint64(5) << quint64(5);
    QTest::newRow("service removes itself and its checks only")
        << dereg(QStringLiteral("n1"), QStringLiteral("web")) << allNodes
        << QStringList{"n2/web", "n3/web-2"} << QStringList{"n1/serf", "n2/web-http", "n3/serf"}
        << quint64(4) << quint64(5) << quint64(5);
    QTest::newRow("check removes only the check")
        << dereg(QStringLiteral("n1"), {}, QStringLiteral("serf")) << allNodes
        << QStringList{"n1/web", "n2/web", "n3/web-2"}
        << QStringList{"n1/web-http", "n2/web-http", "n3/serf"} << quint64(4) << quint64(4) << quint64(5);
    QTest::newRow("ServiceID wins over CheckID")
        << dereg(QStringLiteral("n2"), QStringLiteral("db"), QStringLiteral("web-http")) << allNodes
        << QStringList{"n1/web", "n2/web", "n3/web-2"}
        << QStringList{"n1/serf", "n1/web-http", "n2/web-http", "n3/serf"} << quint64(4) << quint64(5)
        << quint64(4);
}

void TestStateStore::deregisterCascades()
{
    QFETCH(model::DeregisterRequest, req);
    QFETCH(QStringList, nodes);
    QFETCH(QStringList, webInstances);
    QFETCH(QStringList, checks);
    QFETCH(quint64, nodesIndex);
    QFETCH(quint64, servicesIndex);
    QFETCH(quint64, checksIndex);
    StateStore store;
    populate(store);
    QCOMPARE(deregisterAt(store, 5, req), QString());
    QStringList names;
    for (const auto &n : store.nodes().value)
        names << n.node;
    QCOMPARE(names, nodes);
    QCOMPARE(nodeNames(store.serviceNodes(QStringLiteral("web"), {}).value), webInstances);
    QCOMPARE(checkIds(store.checksInState(QStringLiteral("any")).value), checks);
    QCOMPARE(store.maxIndex({tables::Nodes}), nodesIndex);
    QCOMPARE(store.maxIndex({tables::Services}), servicesIndex);
    QCOMPARE(store.maxIndex({tables::Checks}), checksIndex);
}

void TestStateStore::deregisterMissingIsNotAnError()
{
    StateStore store;
    populate(store);
    QCOMPARE(deregisterAt(store, 5, dereg(QStringLiteral("ghost"))), QString());
    QCOMPARE(deregisterAt(store, 6, dereg(QStringLiteral("n1"), QStringLiteral("ghost"))), QString());
    QCOMPARE(deregisterAt(store, 7, dereg(QStringLiteral("n1"), {}, QStringLiteral("ghost"))), QString());
    QCOMPARE(store.maxIndex({tables::Nodes, tables::Services, tables::Checks}), quint64(4));
    QCOMPARE(deregisterAt(store, 8, dereg(QString())), QStringLiteral("Must provide node"));
}

void TestStateStore::serviceNameAndTagsMatchCaseInsensitively_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QStringList>("tags");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("exact") << "web" << QStringList{} << QStringList{"n1/web", "n2/web", "n3/web-2"};
    QTest::newRow("upper-case name") << "WEB" << QStringList{} << QStringList{"n1/web", "n2/web", "n3/web-2"};
    QTest::newRow("one tag, other case") << "Web" << QStringList{"V1"} << QStringList{"n1/web", "n3/web-2"};
    QTest::newRow("tags are ANDed") << "web" << QStringList{"v1", "PRIMARY"} << QStringList{"n1/web"};
    QTest::newRow("no instance has the tag") << "web" << QStringList{"v2"} << QStringList{};
    QTest::newRow("unknown service") << "nope" << QStringList{} << QStringList{};
}

void TestStateStore::serviceNameAndTagsMatchCaseInsensitively()
{
    QFETCH(QString, name);
    QFETCH(QStringList, tags);
    QFETCH(QStringList, expected);
    StateStore store;
    populate(store);
    QCOMPARE(nodeNames(store.serviceNodes(name, tags).value), expected);
    QCOMPARE(nodeNames(store.checkServiceNodes(name, tags, false).value), expected);
}

void TestStateStore::servicesUnionTags()
{
    StateStore store;
    populate(store);
    const auto r = store.services();
    QCOMPARE(r.value.keys(), (QStringList{"db", "web"}));
    QCOMPARE(r.value.value(QStringLiteral("web")), (QStringList{"primary", "secondary", "v1"}));
    QCOMPARE(r.value.value(QStringLiteral("db")), QStringList{});
    QCOMPARE(r.index, quint64(4));
}

void TestStateStore::serviceIndexNeverGoesBackwards()
{
    StateStore store;
    populate(store);
    QCOMPARE(store.serviceNodes(QStringLiteral("web"), {}).index, quint64(4));
    QCOMPARE(store.serviceNodes(QStringLiteral("db"), {}).index, quint64(3));
    QCOMPARE(deregisterAt(store, 5, dereg(QStringLiteral("n3"), QStringLiteral("web-2"))), QString());
    QCOMPARE(store.serviceNodes(QStringLiteral("web"), {}).index, quint64(5));
    QCOMPARE(store.serviceNodes(QStringLiteral("db"), {}).index, quint64(3));  // untouched
    // The last instance goes: the name keeps its index, it does not fall back.
    QCOMPARE(deregisterAt(store, 6, dereg(QStringLiteral("n2"), QStringLiteral("db"))), QString());
    QCOMPARE(registerAt(store, 7, regService(QStringLiteral("n9"), QStringLiteral("other"))), QString());
    QVERIFY(store.serviceNodes(QStringLiteral("db"), {}).value.isEmpty());
    QCOMPARE(store.serviceNodes(QStringLiteral("db"), {}).index, quint64(6));
    QCOMPARE(store.serviceNodes(QStringLiteral("never"), {}).index, quint64(7));  // services table
}

void TestStateStore::checkServiceNodesPassingFilter()
{
    StateStore store;
    populate(store);
    // n1: all passing; n2: its web check critical; n3: node-level check warning.
    const auto all = store.checkServiceNodes(QStringLiteral("web"), {}, false).value;
    QCOMPARE(nodeNames(all), (QStringList{"n1/web", "n2/web", "n3/web-2"}));
    QCOMPARE(checkIds(all[0].checks), (QStringList{"n1/serf", "n1/web-http"}));
    QCOMPARE(checkIds(all[1].checks), (QStringList{"n2/web-http"}));
    QCOMPARE(checkIds(all[2].checks), (QStringList{"n3/serf"}));  // node-level check included
    QCOMPARE(nodeNames(store.checkServiceNodes(QStringLiteral("web"), {}, true).value),
             (QStringList{"n1/web"}));
    // db on n2 has no checks of its own and n2 has no node checks: passing.
    const auto db = store.checkServiceNodes(QStringLiteral("db"), {}, true).value;
    QCOMPARE(nodeNames(db), (QStringList{"n2/db"}));
    QVERIFY(db[0].checks.isEmpty());
    // Make n1's node check warning: every instance on n1 drops out.
    auto req = regService(QStringLiteral("n1"), QStringLiteral("web"), {}, {"primary", "v1"});
    req.checks << check(QStringLiteral("serf"), model::status::Warning);
    QCOMPARE(registerAt(store, 5, req), QString());
    QVERIFY(store.checkServiceNodes(QStringLiteral("web"), {}, true).value.isEmpty());
    QCOMPARE(store.checkServiceNodes(QStringLiteral("web"), {}, true).index, quint64(5));
}

void TestStateStore::serviceChecksOnlyThatService()
{
    StateStore store;
    populate(store);
    QCOMPARE(checkIds(store.serviceChecks(QStringLiteral("WEB")).value),
             (QStringList{"n1/web-http", "n2/web-http"}));
    QVERIFY(store.serviceChecks(QStringLiteral("db")).value.isEmpty());
}

void TestStateStore::checksInState_data()
{
    QTest::addColumn<QString>("state");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("any") << "any" << QStringList{"n1/serf", "n1/web-http", "n2/web-http", "n3/serf"};
    QTest::newRow("passing") << "passing" << QStringList{"n1/serf", "n1/web-http"};
    QTest::newRow("warning") << "warning" << QStringList{"n3/serf"};
    QTest::newRow("critical") << "critical" << QStringList{"n2/web-http"};
    QTest::newRow("unknown state") << "bogus" << QStringList{};
}

void TestStateStore::checksInState()
{
    QFETCH(QString, state);
    QFETCH(QStringList, expected);
    StateStore store;
    populate(store);
    const auto r = store.checksInState(state);
    QCOMPARE(checkIds(r.value), expected);
    QCOMPARE(r.index, quint64(4));
}

void TestStateStore::nodeServicesAndChecks()
{
    StateStore store;
    populate(store);
    const auto ns = store.nodeServices(QStringLiteral("n2"));
    QVERIFY(ns.value);
    QCOMPARE(ns.value->node.node, QStringLiteral("n2"));
    QCOMPARE(ns.value->services.size(), 2);
    QCOMPARE(ns.value->services[0].id, QStringLiteral("db"));
    QCOMPARE(ns.value->services[1].id, QStringLiteral("web"));
    QCOMPARE(ns.index, quint64(4));
    QVERIFY(!store.nodeServices(QStringLiteral("ghost")).value);
    QVERIFY(!store.node(QStringLiteral("ghost")).value);
    QCOMPARE(checkIds(store.nodeChecks(QStringLiteral("n1")).value), (QStringList{"n1/serf", "n1/web-http"}));
    QVERIFY(store.nodeChecks(QStringLiteral("ghost")).value.isEmpty());
}

void TestStateStore::catalogWatches_data()
{
    QTest::addColumn<QString>("read");
    QTest::addColumn<QString>("write");
    QTest::addColumn<bool>("fires");
    QTest::newRow("web instances, new web instance") << "service:web" << "register n4 web" << true;
    QTest::newRow("WEB instances, new web instance") << "service:WEB" << "register n4 web" << true;
    QTest::newRow("web instances, new db instance") << "service:web" << "register n4 db" << false;
    QTest::newRow("web instances, node check on n1") << "service:web" << "check n1" << true;
    QTest::newRow("db instances, node check on n1") << "service:db" << "check n1" << false;
    QTest::newRow("web instances, n1 address changes") << "service:web" << "address n1" << true;
    QTest::newRow("nodes, new node") << "nodes" << "register n4 db" << true;
    QTest::newRow("nodes, kv write") << "nodes" << "kv" << false;
    QTest::newRow("node n1, check on n1") << "node:n1" << "check n1" << true;
    QTest::newRow("node n2, check on n1") << "node:n2" << "check n1" << false;
    QTest::newRow("node n1, deregister n1") << "node:n1" << "deregister n1" << true;
    QTest::newRow("web instances, deregister n1") << "service:web" << "deregister n1" << true;
    QTest::newRow("checks in state, check on n1") << "state" << "check n1" << true;
    QTest::newRow("web instances, no-op re-register") << "service:web" << "noop" << false;
}

void TestStateStore::catalogWatches()
{
    QFETCH(QString, read);
    QFETCH(QString, write);
    QFETCH(bool, fires);
    StateStore store;
    populate(store);
    WatchSet ws;
    if (read.startsWith(QLatin1String("service:")))
        store.checkServiceNodes(read.mid(8), {}, false, &ws);
    else if (read == QLatin1String("nodes"))
        store.nodes(&ws);
    else if (read.startsWith(QLatin1String("node:")))
        store.nodeServices(read.mid(5), &ws);
    else
        store.checksInState(QStringLiteral("any"), &ws);
    int fired = 0;
    store.watches().watch(ws, [&] { ++fired; });

    const QStringList w = write.split(QLatin1Char(' '));
    if (w[0] == QLatin1String("register")) {
        QCOMPARE(registerAt(store, 5, regService(w[1], w[2])), QString());
    } else if (w[0] == QLatin1String("check")) {
        auto req = reg(w[1]);
        req.skipNodeUpdate = true;
        req.checks << check(QStringLiteral("extra"), model::status::Passing);
        QCOMPARE(registerAt(store, 5, req), QString());
    } else if (w[0] == QLatin1String("address")) {
        QCOMPARE(registerAt(store, 5, reg(w[1], QStringLiteral("10.1.1.1"))), QString());
    } else if (w[0] == QLatin1String("deregister")) {
        QCOMPARE(deregisterAt(store, 5, dereg(w[1])), QString());
    } else if (w[0] == QLatin1String("kv")) {
        inTxn(store, 5, [](WriteTxn &txn) { kvSet(txn, kv(QStringLiteral("k"))); });
    } else {
        QCOMPARE(registerAt(store, 5, regService(QStringLiteral("n2"), QStringLiteral("db"))), QString());
    }
    QCOMPARE(fired, fires ? 1 : 0);
}

QTEST_GUILESS_MAIN(TestStateStore)
#include "tst_state_store.moc"
