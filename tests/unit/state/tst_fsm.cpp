// FSM: decode-and-apply at the entry index with the right ApplyResult, determinism for invalid
// entries, and snapshot/restore (exact round trip, all-or-nothing rejection, watches fired).

#include "core/state/command.h"
#include "core/state/fsm.h"
#include "state_test_util.h"

#include <QCborMap>
#include <QTest>

using namespace conclave;
using namespace conclave::state;
using namespace conclave::state::test;

class TestFsm : public QObject {
    Q_OBJECT

private slots:
    void applyResults_data();
    void applyResults();
    void invalidEntryStillAdvancesLastApplied();
    void oldIndexIsNotReapplied();
    void catalogCommandsApply();
    void snapshotRoundTripIsExact();
    void restoreFiresEveryWatch();
    void truncatedSnapshotIsRejected();
    void malformedSnapshotIsRejected_data();
    void malformedSnapshotIsRejected();
    void restoreCommandReplacesTheStateAtItsIndex();
    void restoreCommandFiresEveryWatch();
    void restoreCommandIsDeterministic();
    void restoreCommandWithABadSnapshotChangesNothing_data();
    void restoreCommandWithABadSnapshotChangesNothing();
};

namespace {

QByteArray kvCmd(KvVerb verb, const QString &key, const QByteArray &value = {}, quint64 cas = 0)
{
    return encodeCommand(Command{CommandType::Kv, KvCommand{verb, kv(key, value, 0, cas)}});
}

QByteArray regCmd(const model::RegisterRequest &r)
{
    return encodeCommand(Command{CommandType::CatalogRegister, r});
}

QByteArray deregCmd(const QString &node, const QString &serviceId = {})
{
    model::DeregisterRequest d;
    d.node = node;
    d.serviceId = serviceId;
    return encodeCommand(Command{CommandType::CatalogDeregister, d});
}

/// Fills a store through the FSM with KV data, tombstones and a catalog; returns the FSM's index.
quint64 populate(Fsm &fsm)
{
    quint64 i = 0;
    fsm.apply(++i, kvCmd(KvVerb::Set, QStringLiteral("app/a"), "1"));
    fsm.apply(++i, kvCmd(KvVerb::Set, QStringLiteral("app/b"), QByteArray("\x00\x01", 2)));
    fsm.apply(++i, kvCmd(KvVerb::Set, QStringLiteral("app/b"), "2"));
    fsm.apply(++i, kvCmd(KvVerb::Set, QStringLiteral("app/z"), "gone soon"));
    fsm.apply(++i, kvCmd(KvVerb::Delete, QStringLiteral("app/z")));
    fsm.apply(++i, kvCmd(KvVerb::Set, QStringLiteral("other/x/y")));
    fsm.apply(++i, kvCmd(KvVerb::DeleteTree, QStringLiteral("other/")));
    fsm.apply(++i, kvCmd(KvVerb::Set, QStringLiteral("top"), "t"));
    auto r1 = regService(QStringLiteral("n1"), QStringLiteral("web"), {}, {"v1"});
    r1.taggedAddresses.insert(QStringLiteral("lan"), QStringLiteral("10.0.0.1"));
    r1.service.taggedAddresses.insert(QStringLiteral("lan"), model::ServiceAddress{"10.0.0.1", 80});
    r1.checks << check(QStringLiteral("serf"), model::status::Passing)
              << check(QStringLiteral("web-http"), model::status::Warning, QStringLiteral("web"));
    r1.checks[1].definition.http = QStringLiteral("http://127.0.0.1/");
    r1.checks[1].definition.interval = 10'000'000'000;
    fsm.apply(++i, regCmd(r1));
    fsm.apply(++i, regCmd(regService(QStringLiteral("n2"), QStringLiteral("web"), QStringLiteral("web-b"))));
    fsm.apply(++i, regCmd(regService(QStringLiteral("n2"), QStringLiteral("db"))));
    fsm.apply(++i, regCmd(regService(QStringLiteral("n3"), QStringLiteral("cache"))));
    fsm.apply(++i, deregCmd(QStringLiteral("n3")));
    fsm.apply(++i, deregCmd(QStringLiteral("n2"), QStringLiteral("db")));
    return i;
}

template <typename T>
bool sameList(const QList<T> &a, const QList<T> &b)
{
    return a == b;
}

bool sameServiceNodes(const QList<model::ServiceNode> &a, const QList<model::ServiceNode> &b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (!(a[i].node == b[i].node) || !(a[i].service == b[i].service))
            return false;
    }
    return true;
}

bool sameCheckServiceNodes(const QList<model::CheckServiceNode> &a,
                           const QList<model::CheckServiceNode> &b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (!(a[i].node == b[i].node) || !(a[i].service == b[i].service) || a[i].checks != b[i].checks)
            return false;
    }
    return true;
}

QByteArray restoreCmd(const QByteArray &snapshot)
{
    return encodeCommand(Command{CommandType::SnapshotRestore, SnapshotRestoreCommand{snapshot}});
}

/// Every read that the API can make, compared value and index. `sameLastIndex` false: the stores
/// may stand at different log indexes (one restored a snapshot through the log).
void compareStores(const StateStore &x, const StateStore &y, bool sameLastIndex = true)
{
    if (sameLastIndex)
        QCOMPARE(x.lastIndex(), y.lastIndex());
    for (const QString &prefix : QStringList{"", "app/", "app/z", "other/", "other/x/", "nope/", "top"}) {
        QCOMPARE(x.kvList(prefix).index, y.kvList(prefix).index);
        QVERIFY(sameList(x.kvList(prefix).value, y.kvList(prefix).value));
        QCOMPARE(x.kvKeys(prefix, QStringLiteral("/")).value, y.kvKeys(prefix, QStringLiteral("/")).value);
        QCOMPARE(x.kvGet(prefix).index, y.kvGet(prefix).index);
        QCOMPARE(x.kvGet(prefix).value, y.kvGet(prefix).value);
    }
    QStringList allTables{tables::Kvs, tables::Tombstones, tables::Nodes, tables::Services, tables::Checks};
    for (const QString &t : allTables)
        QCOMPARE(x.maxIndex({t}), y.maxIndex({t}));
    QCOMPARE(x.nodes().index, y.nodes().index);
    QVERIFY(sameList(x.nodes().value, y.nodes().value));
    QCOMPARE(x.services().index, y.services().index);
    QCOMPARE(x.services().value, y.services().value);
    for (const QString &svc : QStringList{"web", "db", "cache", "never"}) {
        QCOMPARE(x.serviceNodes(svc, {}).index, y.serviceNodes(svc, {}).index);
        QVERIFY(sameServiceNodes(x.serviceNodes(svc, {}).value, y.serviceNodes(svc, {}).value));
        QCOMPARE(x.checkServiceNodes(svc, {}, false).index, y.checkServiceNodes(svc, {}, false).index);
        QVERIFY(sameCheckServiceNodes(x.checkServiceNodes(svc, {}, false).value,
                                      y.checkServiceNodes(svc, {}, false).value));
        QVERIFY(sameList(x.serviceChecks(svc).value, y.serviceChecks(svc).value));
    }
    for (const QString &node : QStringList{"n1", "n2", "n3"}) {
        const auto a = x.nodeServices(node), b = y.nodeServices(node);
        QCOMPARE(a.index, b.index);
        QCOMPARE(a.value.has_value(), b.value.has_value());
        if (a.value) {
            QVERIFY(a.value->node == b.value->node);
            QVERIFY(a.value->services == b.value->services);
        }
        QVERIFY(sameList(x.nodeChecks(node).value, y.nodeChecks(node).value));
    }
    QVERIFY(sameList(x.checksInState(QStringLiteral("any")).value,
                     y.checksInState(QStringLiteral("any")).value));
}

}  // namespace

void TestFsm::applyResults_data()
{
    QTest::addColumn<QByteArray>("command");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("errorContains");  // "" = no error
    QTest::addColumn<quint64>("keyModifyIndex");  // of "k" afterwards, 0 = absent

    // "k" exists with ModifyIndex 1 before each command, which is applied at index 2.
    QTest::newRow("set") << kvCmd(KvVerb::Set, QStringLiteral("k"), "v") << true << QString() << quint64(2);
    QTest::newRow("cas match") << kvCmd(KvVerb::Cas, QStringLiteral("k"), "v", 1) << true << QString() << quint64(2);
    QTest::newRow("cas mismatch") << kvCmd(KvVerb::Cas, QStringLiteral("k"), "v", 7) << false << QString() << quint64(1);
    QTest::newRow("cas 0 on existing") << kvCmd(KvVerb::Cas, QStringLiteral("k"), "v", 0) << false << QString() << quint64(1);
    QTest::newRow("delete") << kvCmd(KvVerb::Delete, QStringLiteral("k")) << true << QString() << quint64(0);
    QTest::newRow("delete-tree all") << kvCmd(KvVerb::DeleteTree, QString()) << true << QString() << quint64(0);
    QTest::newRow("delete-cas match") << kvCmd(KvVerb::DeleteCas, QStringLiteral("k"), {}, 1) << true << QString() << quint64(0);
    QTest::newRow("delete-cas mismatch") << kvCmd(KvVerb::DeleteCas, QStringLiteral("k"), {}, 2) << false << QString() << quint64(1);
    QTest::newRow("lock") << kvCmd(KvVerb::Lock, QStringLiteral("k")) << false
                          << "Sessions are not implemented yet" << quint64(1);
    QTest::newRow("unlock") << kvCmd(KvVerb::Unlock, QStringLiteral("k")) << false
                            << "Sessions are not implemented yet" << quint64(1);
    QTest::newRow("set with empty key") << kvCmd(KvVerb::Set, QString()) << false << "Missing key name" << quint64(1);
    QTest::newRow("garbage") << QByteArray("\xff\x00", 2) << false << "invalid command" << quint64(1);
    QTest::newRow("register without node") << regCmd(reg(QString())) << false << "Must provide node" << quint64(1);
    QTest::newRow("deregister missing node is fine") << deregCmd(QStringLiteral("ghost")) << true << QString()
                                                     << quint64(1);
}

void TestFsm::applyResults()
{
    QFETCH(QByteArray, command);
    QFETCH(bool, ok);
    QFETCH(QString, errorContains);
    QFETCH(quint64, keyModifyIndex);
    StateStore store;
    Fsm fsm(store);
    QCOMPARE(fsm.apply(1, kvCmd(KvVerb::Set, QStringLiteral("k"), "old")).error, QString());
    const ApplyResult r = fsm.apply(2, command);
    QCOMPARE(r.ok, ok);
    if (errorContains.isEmpty())
        QCOMPARE(r.error, QString());
    else
        QVERIFY2(r.error.contains(errorContains), qPrintable(r.error));
    const auto got = store.kvGet(QStringLiteral("k")).value;
    QCOMPARE(got ? got->index.modifyIndex : 0, keyModifyIndex);
    QCOMPARE(fsm.lastApplied(), quint64(2));
    QCOMPARE(store.lastIndex(), quint64(2));
}

void TestFsm::invalidEntryStillAdvancesLastApplied()
{
    StateStore store;
    Fsm fsm(store);
    QVERIFY(!fsm.apply(5, QByteArray()).error.isEmpty());
    QCOMPARE(fsm.lastApplied(), quint64(5));
    QVERIFY(fsm.apply(6, kvCmd(KvVerb::Set, QStringLiteral("a"))).ok);
    QCOMPARE(store.kvGet(QStringLiteral("a")).value->index, (model::RaftIndex{6, 6}));
}

void TestFsm::oldIndexIsNotReapplied()
{
    StateStore store;
    Fsm fsm(store);
    fsm.apply(3, kvCmd(KvVerb::Set, QStringLiteral("a"), "1"));
    const ApplyResult r = fsm.apply(3, kvCmd(KvVerb::Set, QStringLiteral("a"), "2"));
    QVERIFY(!r.ok);
    QVERIFY(r.error.contains(QLatin1String("already applied")));
    QCOMPARE(store.kvGet(QStringLiteral("a")).value->value, QByteArrayLiteral("1"));
    QCOMPARE(fsm.lastApplied(), quint64(3));
}

void TestFsm::catalogCommandsApply()
{
    StateStore store;
    Fsm fsm(store);
    auto r = regService(QStringLiteral("n1"), QStringLiteral("web"));
    r.checks << check(QStringLiteral("c"), model::status::Passing, QStringLiteral("web"));
    QVERIFY(fsm.apply(10, regCmd(r)).ok);
    QCOMPARE(store.serviceNodes(QStringLiteral("web"), {}).value.size(), 1);
    QCOMPARE(store.checkServiceNodes(QStringLiteral("web"), {}, true).value.size(), 1);
    QCOMPARE(store.serviceNodes(QStringLiteral("web"), {}).index, quint64(10));
    QVERIFY(fsm.apply(11, deregCmd(QStringLiteral("n1"))).ok);
    QVERIFY(store.nodes().value.isEmpty());
    QVERIFY(store.checksInState(QStringLiteral("any")).value.isEmpty());
    QCOMPARE(store.nodes().index, quint64(11));
}

void TestFsm::snapshotRoundTripIsExact()
{
    StateStore source;
    Fsm fsm(source);
    const quint64 last = populate(fsm);
    const QByteArray snap = fsm.snapshot();

    StateStore target;
    Fsm restored(target);
    QString error;
    QVERIFY2(restored.restore(snap, &error), qPrintable(error));
    QCOMPARE(restored.lastApplied(), last);
    compareStores(source, target);
    // Spot checks that would catch a store compared against itself being empty.
    QCOMPARE(target.kvList(QStringLiteral("app/")).index, quint64(5));  // tombstone of app/z
    QCOMPARE(target.kvGet(QStringLiteral("app/b")).value->index, (model::RaftIndex{2, 3}));
    QCOMPARE(target.serviceNodes(QStringLiteral("web"), {}).value.size(), 2);
    QCOMPARE(target.serviceNodes(QStringLiteral("cache"), {}).index, quint64(13));
    // Snapshots are deterministic, and applying continues identically on both.
    QCOMPARE(restored.snapshot(), snap);
    QVERIFY(fsm.apply(last + 1, kvCmd(KvVerb::Set, QStringLiteral("app/c"))).ok);
    QVERIFY(restored.apply(last + 1, kvCmd(KvVerb::Set, QStringLiteral("app/c"))).ok);
    compareStores(source, target);
}

void TestFsm::restoreFiresEveryWatch()
{
    StateStore source;
    Fsm fsm(source);
    populate(fsm);
    const QByteArray snap = fsm.snapshot();

    StateStore target;
    Fsm restored(target);
    int fired = 0;
    quint64 seenApplied = 0;
    WatchSet kvWs, catWs;
    target.kvGet(QStringLiteral("unrelated"), &kvWs);
    target.nodes(&catWs);
    target.watches().watch(kvWs, [&] {
        ++fired;
        seenApplied = restored.lastApplied();
    });
    target.watches().watch(catWs, [&] { ++fired; });
    QString error;
    QVERIFY(restored.restore(snap, &error));
    QCOMPARE(fired, 2);
    QCOMPARE(seenApplied, fsm.lastApplied());
    QCOMPARE(target.watches().size(), 0);
}

void TestFsm::truncatedSnapshotIsRejected()
{
    StateStore source;
    Fsm fsm(source);
    populate(fsm);
    const QByteArray snap = fsm.snapshot();

    StateStore target;
    Fsm restored(target);
    restored.apply(1, kvCmd(KvVerb::Set, QStringLiteral("keep"), "me"));
    const QByteArray before = restored.snapshot();
    int watchFired = 0;
    WatchSet ws;
    target.kvGet(QStringLiteral("keep"), &ws);
    target.watches().watch(ws, [&] { ++watchFired; });
    for (qsizetype len = 0; len < snap.size(); ++len) {
        QString error;
        QVERIFY2(!restored.restore(snap.left(len), &error), qPrintable(QString::number(len)));
        QVERIFY(!error.isEmpty());
    }
    QCOMPARE(restored.snapshot(), before);  // store and lastApplied untouched
    QCOMPARE(restored.lastApplied(), quint64(1));
    QCOMPARE(watchFired, 0);
}

void TestFsm::malformedSnapshotIsRejected_data()
{
    QTest::addColumn<QByteArray>("snapshot");
    QTest::addColumn<QString>("errorContains");

    StateStore store;
    Fsm fsm(store);
    populate(fsm);
    const QCborMap outer = QCborValue::fromCbor(fsm.snapshot()).toMap();
    const QByteArray storeBytes = outer.value(2).toByteArray();
    const QCborMap inner = QCborValue::fromCbor(storeBytes).toMap();
    auto withOuter = [&](int key, const QCborValue &v) {
        QCborMap m = outer;
        m.insert(key, v);
        return m.toCborValue().toCbor();
    };
    auto withInner = [&](int key, const QCborValue &v) {
        QCborMap m = inner;
        m.insert(key, v);
        return withOuter(2, m.toCborValue().toCbor());
    };
    // Inner keys: 0 version, 3 kvs, 4 tombstones, 5 nodes, 6 services, 7 checks.
    const QCborArray services = inner.value(6).toArray();
    QCborArray orphanService = services;
    orphanService.append(QCborArray{QStringLiteral("ghost-node"), services.at(0).toArray().at(1)});
    const QCborArray checks = inner.value(7).toArray();
    QCborArray dupChecks = checks;
    dupChecks.append(checks.at(0));

    QTest::newRow("empty") << QByteArray() << "malformed";
    QTest::newRow("garbage") << QByteArray("snapshot") << "malformed";
    QTest::newRow("trailing bytes") << fsm.snapshot() + QByteArray(1, '\0') << "trailing";
    QTest::newRow("future outer version") << withOuter(0, 2) << "version";
    QTest::newRow("store not bytes") << withOuter(2, QStringLiteral("x")) << "store";
    QTest::newRow("store bytes garbage") << withOuter(2, QByteArray("\xff")) << "malformed";
    QTest::newRow("future store version") << withInner(0, 99) << "version";
    QTest::newRow("kvs not an array") << withInner(3, 5) << "kvs";
    QTest::newRow("kv row wrong type") << withInner(3, QCborArray{QCborMap{{1, 5}}}) << "expected text";
    QTest::newRow("bad tombstone") << withInner(4, QCborArray{QCborArray{1, 2}}) << "tombstone";
    QTest::newRow("service on unknown node") << withInner(6, orphanService) << "unknown node";
    QTest::newRow("duplicate check") << withInner(7, dupChecks) << "duplicate check";
    QTest::newRow("nodes missing") << withInner(5, QCborValue()) << "nodes";
}

void TestFsm::malformedSnapshotIsRejected()
{
    QFETCH(QByteArray, snapshot);
    QFETCH(QString, errorContains);
    StateStore store;
    Fsm fsm(store);
    fsm.apply(1, kvCmd(KvVerb::Set, QStringLiteral("keep")));
    QString error;
    QVERIFY(!fsm.restore(snapshot, &error));
    QVERIFY2(error.contains(errorContains), qPrintable(error));
    QVERIFY(store.kvGet(QStringLiteral("keep")).value);
    QCOMPARE(fsm.lastApplied(), quint64(1));
    QCOMPARE(store.lastIndex(), quint64(1));
}

/// Different data at higher indexes than populate() reaches, so a restore must replace it all.
void populateOther(Fsm &fsm, quint64 from)
{
    fsm.apply(from, kvCmd(KvVerb::Set, QStringLiteral("app/a"), "changed"));
    fsm.apply(from + 1, kvCmd(KvVerb::Set, QStringLiteral("stray"), "new"));
    fsm.apply(from + 2, kvCmd(KvVerb::Delete, QStringLiteral("top")));
    fsm.apply(from + 3, regCmd(regService(QStringLiteral("n9"), QStringLiteral("extra"))));
    fsm.apply(from + 4, deregCmd(QStringLiteral("n1")));
}

void TestFsm::restoreCommandReplacesTheStateAtItsIndex()
{
    StateStore source;
    Fsm saved(source);
    const quint64 last = populate(saved);
    const QByteArray snap = saved.snapshot();

    // The live state went on: more writes, some undoing what the snapshot holds.
    StateStore live;
    Fsm fsm(live);
    populate(fsm);
    populateOther(fsm, last + 1);
    const quint64 at = last + 10;
    const ApplyResult r = fsm.apply(at, restoreCmd(snap));
    QVERIFY2(r.ok && r.error.isEmpty(), qPrintable(r.error));

    // Every row, every row index and every table index are the snapshot's; the log position is
    // the restore entry's.
    compareStores(source, live, false);
    QCOMPARE(fsm.lastApplied(), at);
    QCOMPARE(live.lastIndex(), at);
    QVERIFY(!live.kvGet(QStringLiteral("stray")).value);
    QCOMPARE(live.kvGet(QStringLiteral("app/a")).value->value, QByteArray("1"));
    QCOMPARE(live.kvGet(QStringLiteral("top")).value->value, QByteArray("t"));
    QVERIFY(live.nodeServices(QStringLiteral("n1")).value);
    QVERIFY(!live.nodeServices(QStringLiteral("n9")).value);
    // The log continues after the restore entry.
    QVERIFY(fsm.apply(at + 1, kvCmd(KvVerb::Set, QStringLiteral("app/c"))).ok);
    QCOMPARE(live.kvGet(QStringLiteral("app/c")).value->index, (model::RaftIndex{at + 1, at + 1}));
    QCOMPARE(live.kvList(QStringLiteral("app/")).index, at + 1);
}

void TestFsm::restoreCommandFiresEveryWatch()
{
    StateStore source;
    Fsm saved(source);
    populate(saved);
    const QByteArray snap = saved.snapshot();

    StateStore live;
    Fsm fsm(live);
    fsm.apply(1, kvCmd(KvVerb::Set, QStringLiteral("unrelated")));
    int fired = 0;
    quint64 seenApplied = 0;
    WatchSet kvWs, catWs, svcWs;
    live.kvGet(QStringLiteral("unrelated"), &kvWs);
    live.nodes(&catWs);
    live.serviceNodes(QStringLiteral("never-registered"), {}, &svcWs);
    live.watches().watch(kvWs, [&] {
        ++fired;
        seenApplied = fsm.lastApplied();
    });
    live.watches().watch(catWs, [&] { ++fired; });
    live.watches().watch(svcWs, [&] { ++fired; });
    QVERIFY(fsm.apply(7, restoreCmd(snap)).ok);
    QCOMPARE(fired, 3);
    QCOMPARE(seenApplied, quint64(7));  // watchers already see the entry's index
    QCOMPARE(live.watches().size(), 0);
}

void TestFsm::restoreCommandIsDeterministic()
{
    StateStore source;
    Fsm saved(source);
    const quint64 last = populate(saved);
    const QByteArray snap = saved.snapshot();

    // Two servers with the same log end in byte-identical states.
    StateStore a, b;
    Fsm fa(a), fb(b);
    for (Fsm *f : {&fa, &fb}) {
        populate(*f);
        populateOther(*f, last + 1);
        QVERIFY(f->apply(last + 6, restoreCmd(snap)).ok);
        QVERIFY(f->apply(last + 7, kvCmd(KvVerb::Set, QStringLiteral("after"))).ok);
    }
    QCOMPARE(fa.snapshot(), fb.snapshot());
    // And a snapshot of the restored state restores to the same state again.
    StateStore c;
    Fsm fc(c);
    QString error;
    QVERIFY2(fc.restore(fa.snapshot(), &error), qPrintable(error));
    compareStores(a, c);
}

void TestFsm::restoreCommandWithABadSnapshotChangesNothing_data()
{
    QTest::addColumn<QByteArray>("snapshot");
    QTest::addColumn<QString>("errorContains");
    StateStore store;
    Fsm fsm(store);
    populate(fsm);
    const QByteArray snap = fsm.snapshot();
    QTest::newRow("empty") << QByteArray() << "malformed";
    QTest::newRow("truncated") << snap.left(snap.size() / 2) << "malformed";
    QTest::newRow("not CBOR") << QByteArray("CNCLSNAP") << "malformed";
    QCborMap outer = QCborValue::fromCbor(snap).toMap();
    outer.insert(2, QByteArray("\xa0"));  // an empty map as the store: no version
    QTest::newRow("store without version") << outer.toCborValue().toCbor() << "version";
}

void TestFsm::restoreCommandWithABadSnapshotChangesNothing()
{
    QFETCH(QByteArray, snapshot);
    QFETCH(QString, errorContains);
    StateStore live;
    Fsm fsm(live);
    const quint64 last = populate(fsm);
    StateStore reference;
    Fsm same(reference);
    populate(same);
    int fired = 0;
    WatchSet ws;
    live.kvList(QString(), &ws);
    live.nodes(&ws);
    live.watches().watch(ws, [&] { ++fired; });

    const ApplyResult r = fsm.apply(last + 1, restoreCmd(snapshot));
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QLatin1String("does not restore")) && r.error.contains(errorContains), qPrintable(r.error));
    compareStores(reference, live, false);
    QCOMPARE(fired, 0);
    // An entry is an entry: the log position moves on, as for any command that fails.
    QCOMPARE(fsm.lastApplied(), last + 1);
    QVERIFY(fsm.apply(last + 2, kvCmd(KvVerb::Set, QStringLiteral("next"))).ok);
}

QTEST_GUILESS_MAIN(TestFsm)
#include "tst_fsm.moc"
