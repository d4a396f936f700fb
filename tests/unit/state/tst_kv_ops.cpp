// KV ops and reads of the state store: row and table indexes after each op (Consul kvs.go),
// cas/delete-cas outcomes, prefix listing with separators, tombstones, and KV watches.

#include "core/state/catalog_ops.h"
#include "core/state/kv_ops.h"
#include "state_test_util.h"

#include <QTest>

using namespace conclave;
using namespace conclave::state;
using namespace conclave::state::test;

class TestKvOps : public QObject {
    Q_OBJECT

private slots:
    void opIndexes_data();
    void opIndexes();
    void setStoresValueAndFlagsButNotLockFields();
    void deleteTreeEmptyPrefixDeletesEverything();
    void list_data();
    void list();
    void keys_data();
    void keys();
    void listIndexCountsTombstones();
    void deletingHighestKeyDoesNotLowerPrefixIndex();
    void emptyStoreIndexesAreOne();
    void reapTombstonesForgetsOldDeletes();
    void watchWakesOnlyAffectedReaders_data();
    void watchWakesOnlyAffectedReaders();
    void watchFiresOnceAfterCommit();
    void watchMayReregisterFromCallback();
    void cancelledWatchDoesNotFire();
    void callbackWritesAreQueuedNotReentrant();
    void kvAndCatalogWatchesAreIndependent();
    void noOpDeleteWakesNobody();
};

namespace {

/// Applies one scripted op ("set k", "cas k N", "del k", "deltree p", "delcas k N") at index.
bool runOp(StateStore &store, quint64 index, const QString &op)
{
    const QStringList parts = op.split(QLatin1Char(' '));
    const QString verb = parts.value(0);
    const QString key = parts.value(1);
    const quint64 n = parts.value(2).toULongLong();
    return inTxn(store, index, [&](WriteTxn &txn) {
        if (verb == QLatin1String("set")) {
            kvSet(txn, kv(key, QByteArray::number(index)));
            return true;
        }
        if (verb == QLatin1String("cas"))
            return kvCas(txn, kv(key, QByteArray::number(index), 0, n));
        if (verb == QLatin1String("del")) {
            kvDelete(txn, key);
            return true;
        }
        if (verb == QLatin1String("deltree")) {
            kvDeleteTree(txn, key == QLatin1String("''") ? QString() : key);
            return true;
        }
        if (verb == QLatin1String("delcas"))
            return kvDeleteCas(txn, key, n);
        qFatal("bad op");
        return false;
    });
}

void runScript(StateStore &store, const QStringList &ops, bool *lastResult = nullptr)
{
    quint64 index = 1;
    for (const QString &op : ops) {
        const bool r = runOp(store, index++, op);
        if (lastResult)
            *lastResult = r;
    }
}

}  // namespace

void TestKvOps::opIndexes_data()
{
    // Each op runs at its position in the script (1-based). Columns describe key "a" afterwards.
    QTest::addColumn<QStringList>("ops");
    QTest::addColumn<bool>("lastResult");
    QTest::addColumn<bool>("exists");
    QTest::addColumn<quint64>("createIndex");
    QTest::addColumn<quint64>("modifyIndex");
    QTest::addColumn<quint64>("kvsIndex");
    QTest::addColumn<quint64>("tombstonesIndex");
    QTest::addColumn<quint64>("getIndex");

    auto row = [](const char *name, QStringList ops, bool res, bool exists, quint64 c, quint64 m,
                  quint64 kvs, quint64 tomb, quint64 get) {
        QTest::newRow(name) << ops << res << exists << c << m << kvs << tomb << get;
    };
    row("set creates", {"set a"}, true, true, 1, 1, 1, 0, 1);
    row("set updates, keeps CreateIndex", {"set a", "set b", "set a"}, true, true, 1, 3, 3, 0, 3);
    row("get index is the entry's, not the table's", {"set a", "set b"}, true, true, 1, 1, 2, 0, 1);
    row("cas 0 on absent key writes", {"cas a 0"}, true, true, 1, 1, 1, 0, 1);
    row("cas 0 on present key fails", {"set a", "cas a 0"}, false, true, 1, 1, 1, 0, 1);
    row("cas with current index writes", {"set a", "cas a 1"}, true, true, 1, 2, 2, 0, 2);
    row("cas with stale index fails", {"set a", "set a", "cas a 1"}, false, true, 1, 2, 2, 0, 2);
    row("cas with index on absent key fails", {"cas a 5"}, false, false, 0, 0, 0, 0, 1);
    row("delete leaves tombstone", {"set a", "set b", "del a"}, true, false, 0, 0, 3, 3, 3);
    row("delete of absent key is a no-op", {"set a", "del zzz"}, true, true, 1, 1, 1, 0, 1);
    row("delete twice keeps first tombstone", {"set a", "del a", "del a"}, true, false, 0, 0, 2, 2, 2);
    row("set after delete recreates", {"set a", "del a", "set a"}, true, true, 3, 3, 3, 2, 3);
    row("delete-tree removes prefix", {"set a", "set a/x", "set b", "deltree a"}, true, false, 0, 0, 4, 4, 4);
    row("delete-tree without match is a no-op", {"set a", "deltree x/"}, true, true, 1, 1, 1, 0, 1);
    row("delete-cas with current index deletes", {"set a", "delcas a 1"}, true, false, 0, 0, 2, 2, 2);
    row("delete-cas with stale index fails", {"set a", "set a", "delcas a 1"}, false, true, 1, 2, 2, 0, 2);
    row("delete-cas 0 never deletes", {"set a", "delcas a 0"}, false, true, 1, 1, 1, 0, 1);
    row("delete-cas of absent key succeeds, no-op", {"set b", "delcas a 7"}, true, false, 0, 0, 1, 0, 1);
}

void TestKvOps::opIndexes()
{
    QFETCH(QStringList, ops);
    QFETCH(bool, lastResult);
    QFETCH(bool, exists);
    QFETCH(quint64, createIndex);
    QFETCH(quint64, modifyIndex);
    QFETCH(quint64, kvsIndex);
    QFETCH(quint64, tombstonesIndex);
    QFETCH(quint64, getIndex);

    StateStore store;
    bool result = false;
    runScript(store, ops, &result);
    QCOMPARE(result, lastResult);
    const auto got = store.kvGet(QStringLiteral("a"));
    QCOMPARE(got.value.has_value(), exists);
    if (exists) {
        QCOMPARE(got.value->index.createIndex, createIndex);
        QCOMPARE(got.value->index.modifyIndex, modifyIndex);
        QCOMPARE(got.value->key, QStringLiteral("a"));
    }
    QCOMPARE(store.maxIndex({tables::Kvs}), std::max<quint64>(kvsIndex, 1));
    QCOMPARE(store.maxIndex({tables::Tombstones}), std::max<quint64>(tombstonesIndex, 1));
    QCOMPARE(got.index, getIndex);
    QCOMPARE(store.lastIndex(), quint64(ops.size()));
}

void TestKvOps::setStoresValueAndFlagsButNotLockFields()
{
    StateStore store;
    model::KvEntry e = kv(QStringLiteral("k"), QByteArrayLiteral("v1"), 42);
    e.session = QStringLiteral("not-a-session");
    e.lockIndex = 9;
    inTxn(store, 5, [&](WriteTxn &txn) { kvSet(txn, e); });
    auto got = store.kvGet(QStringLiteral("k")).value;
    QVERIFY(got);
    QCOMPARE(got->value, QByteArrayLiteral("v1"));
    QCOMPARE(got->flags, quint64(42));
    QCOMPARE(got->session, QString());  // a plain set never takes a lock
    QCOMPARE(got->lockIndex, quint64(0));
    QCOMPARE(got->index, (model::RaftIndex{5, 5}));

    // Full uint64 range of flags survives.
    inTxn(store, 6, [&](WriteTxn &txn) {
        kvSet(txn, kv(QStringLiteral("k"), QByteArrayLiteral("v2"), ~quint64(0)));
    });
    got = store.kvGet(QStringLiteral("k")).value;
    QCOMPARE(got->flags, ~quint64(0));
    QCOMPARE(got->value, QByteArrayLiteral("v2"));
    QCOMPARE(got->index, (model::RaftIndex{5, 6}));
}

void TestKvOps::deleteTreeEmptyPrefixDeletesEverything()
{
    StateStore store;
    runScript(store, {"set a", "set b/c", "set z", "deltree ''"});
    QVERIFY(store.kvList(QString()).value.isEmpty());
    QCOMPARE(store.kvList(QString()).index, quint64(4));
    QCOMPARE(store.kvList(QStringLiteral("b/")).index, quint64(4));  // tombstone per key
    QCOMPARE(store.kvGet(QStringLiteral("z")).index, quint64(4));
}

namespace {
const QStringList kListKeys{"foo", "foo/", "foo/bar", "foo/baz/q", "foobar", "fo", "g"};
}

void TestKvOps::list_data()
{
    QTest::addColumn<QString>("prefix");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("empty prefix lists all, sorted")
        << QString() << QStringList{"fo", "foo", "foo/", "foo/bar", "foo/baz/q", "foobar", "g"};
    QTest::newRow("prefix equal to a key includes it")
        << "foo" << QStringList{"foo", "foo/", "foo/bar", "foo/baz/q", "foobar"};
    QTest::newRow("foo/ differs from foo") << "foo/" << QStringList{"foo/", "foo/bar", "foo/baz/q"};
    QTest::newRow("exact leaf") << "foo/bar" << QStringList{"foo/bar"};
    QTest::newRow("no match") << "h" << QStringList{};
    QTest::newRow("prefix past last key") << "zzz" << QStringList{};
}

void TestKvOps::list()
{
    QFETCH(QString, prefix);
    QFETCH(QStringList, expected);
    StateStore store;
    quint64 i = 1;
    for (const QString &k : kListKeys)
        inTxn(store, i++, [&](WriteTxn &txn) { kvSet(txn, kv(k)); });
    QCOMPARE(keysOf(store.kvList(prefix).value), expected);
}

void TestKvOps::keys_data()
{
    QTest::addColumn<QStringList>("stored");
    QTest::addColumn<QString>("prefix");
    QTest::addColumn<QString>("separator");
    QTest::addColumn<QStringList>("expected");

    const QStringList web{"web/a/x", "web/a/y", "web/b", "web/c/d/e", "webx"};
    QTest::newRow("no separator: every key") << web << "web/" << QString()
                                             << QStringList{"web/a/x", "web/a/y", "web/b", "web/c/d/e"};
    QTest::newRow("nested: cut after first separator past prefix")
        << web << "web/" << "/" << QStringList{"web/a/", "web/b", "web/c/"};
    QTest::newRow("empty prefix rolls up top level") << web << QString() << "/"
                                                     << QStringList{"web/", "webx"};
    QTest::newRow("prefix without trailing separator")
        << web << "web" << "/" << QStringList{"web/", "webx"};
    QTest::newRow("separator absent from keys")
        << QStringList{"a/b", "a/c"} << QString() << "#" << QStringList{"a/b", "a/c"};
    QTest::newRow("key ending with separator")
        << QStringList{"dir/", "dir/x", "dir/y/z"} << QString() << "/" << QStringList{"dir/"};
    QTest::newRow("key equal to prefix ending with separator")
        << QStringList{"dir/", "dir/x", "dir/y/z"} << "dir/" << "/"
        << QStringList{"dir/", "dir/x", "dir/y/"};
    QTest::newRow("prefix equal to a key")
        << QStringList{"foo", "foo/bar", "foobar"} << "foo" << "/"
        << QStringList{"foo", "foo/", "foobar"};
    QTest::newRow("multi-character separator")
        << QStringList{"a--b--c", "a--d", "ab"} << QString() << "--" << QStringList{"a--", "ab"};
    QTest::newRow("separator inside prefix is not a cut")
        << QStringList{"a/b/c", "a/b/d/e"} << "a/b/" << "/" << QStringList{"a/b/c", "a/b/d/"};
    QTest::newRow("no match") << web << "zz" << "/" << QStringList{};
}

void TestKvOps::keys()
{
    QFETCH(QStringList, stored);
    QFETCH(QString, prefix);
    QFETCH(QString, separator);
    QFETCH(QStringList, expected);
    StateStore store;
    quint64 i = 1;
    for (const QString &k : stored)
        inTxn(store, i++, [&](WriteTxn &txn) { kvSet(txn, kv(k)); });
    const auto r = store.kvKeys(prefix, separator);
    QCOMPARE(r.value, expected);
    QCOMPARE(r.index, store.kvList(prefix).index);
}

void TestKvOps::listIndexCountsTombstones()
{
    StateStore store;
    runScript(store, {"set a/1", "set a/2", "set b/1", "del a/2", "set c"});
    QCOMPARE(store.kvList(QStringLiteral("a/")).index, quint64(4));  // tombstone of a/2
    QCOMPARE(store.kvList(QStringLiteral("b/")).index, quint64(3));
    QCOMPARE(store.kvList(QString()).index, quint64(5));
    QCOMPARE(store.kvKeys(QStringLiteral("a/"), QStringLiteral("/")).index, quint64(4));
    // Nothing ever under the prefix: the whole KV table index.
    QCOMPARE(store.kvList(QStringLiteral("x/")).index, quint64(5));
    QCOMPARE(store.kvGet(QStringLiteral("a/2")).index, quint64(5));  // absent: table index
}

void TestKvOps::deletingHighestKeyDoesNotLowerPrefixIndex()
{
    StateStore store;
    runScript(store, {"set p/1", "set p/2", "set q"});
    QCOMPARE(store.kvList(QStringLiteral("p/")).index, quint64(2));
    runOp(store, 4, QStringLiteral("del p/2"));
    QCOMPARE(keysOf(store.kvList(QStringLiteral("p/")).value), QStringList{"p/1"});
    QCOMPARE(store.kvList(QStringLiteral("p/")).index, quint64(4));
    runOp(store, 5, QStringLiteral("deltree p/"));
    QVERIFY(store.kvList(QStringLiteral("p/")).value.isEmpty());
    QCOMPARE(store.kvList(QStringLiteral("p/")).index, quint64(5));
    QCOMPARE(store.kvList(QStringLiteral("p/1")).index, quint64(5));
}

void TestKvOps::emptyStoreIndexesAreOne()
{
    StateStore store;
    QCOMPARE(store.kvGet(QStringLiteral("a")).index, quint64(1));
    QCOMPARE(store.kvList(QString()).index, quint64(1));
    QCOMPARE(store.kvKeys(QStringLiteral("x"), QString()).index, quint64(1));
    QVERIFY(!store.kvGet(QStringLiteral("a")).value);
    QCOMPARE(store.lastIndex(), quint64(0));
}

void TestKvOps::reapTombstonesForgetsOldDeletes()
{
    StateStore store;
    runScript(store, {"set a/1", "set a/2", "del a/2", "set b", "del b"});
    inTxn(store, 6, [](WriteTxn &txn) { kvReapTombstones(txn, 3); });
    QCOMPARE(store.maxIndex({tables::Tombstones}), quint64(6));
    // a/2's tombstone is gone: the prefix index is back to its live entries.
    QCOMPARE(store.kvList(QStringLiteral("a/")).index, quint64(1));
    QCOMPARE(store.kvList(QStringLiteral("b")).index, quint64(5));  // kept, index 5 > 3
}

void TestKvOps::watchWakesOnlyAffectedReaders_data()
{
    QTest::addColumn<QString>("read");   // "get" or "list"
    QTest::addColumn<QString>("watched");
    QTest::addColumn<QString>("op");
    QTest::addColumn<bool>("fires");
    QTest::newRow("get a/b, set a/b") << "get" << "a/b" << "set a/b" << true;
    QTest::newRow("list a/, set a/b") << "list" << "a/" << "set a/b" << true;
    QTest::newRow("list all, set a/b") << "list" << "" << "set a/b" << true;
    QTest::newRow("list a/b (key as prefix), set a/b") << "list" << "a/b" << "set a/b" << true;
    QTest::newRow("get a/c, set a/b") << "get" << "a/c" << "set a/b" << false;
    QTest::newRow("list b/, set a/b") << "list" << "b/" << "set a/b" << false;
    QTest::newRow("list a/b/, set a/b") << "list" << "a/b/" << "set a/b" << false;
    QTest::newRow("get a, set a/b") << "get" << "a" << "set a/b" << false;
    QTest::newRow("get existing, delete it") << "get" << "x/1" << "del x/1" << true;
    QTest::newRow("get x/1, delete-tree x/") << "get" << "x/1" << "deltree x/" << true;
    QTest::newRow("list x/, delete-tree x/1") << "list" << "x/" << "deltree x/1" << true;
    QTest::newRow("get x/1, failed cas") << "get" << "x/1" << "cas x/1 99" << false;
    QTest::newRow("get x/1, failed delete-cas") << "get" << "x/1" << "delcas x/1 99" << false;
}

void TestKvOps::watchWakesOnlyAffectedReaders()
{
    QFETCH(QString, read);
    QFETCH(QString, watched);
    QFETCH(QString, op);
    QFETCH(bool, fires);
    StateStore store;
    runOp(store, 1, QStringLiteral("set x/1"));
    WatchSet ws;
    if (read == QLatin1String("get"))
        store.kvGet(watched, &ws);
    else
        store.kvList(watched, &ws);
    int fired = 0;
    store.watches().watch(ws, [&] { ++fired; });
    runOp(store, 2, op);
    QCOMPARE(fired, fires ? 1 : 0);
    QCOMPARE(store.watches().size(), fires ? 0 : 1);
}

void TestKvOps::watchFiresOnceAfterCommit()
{
    StateStore store;
    WatchSet ws;
    store.kvGet(QStringLiteral("k"), &ws);
    int fired = 0;
    QByteArray seen;
    quint64 seenIndex = 0;
    store.watches().watch(ws, [&] {
        ++fired;
        // The write is fully visible inside the callback: value and index.
        const auto r = store.kvGet(QStringLiteral("k"));
        seen = r.value ? r.value->value : QByteArray();
        seenIndex = r.index;
    });
    inTxn(store, 7, [](WriteTxn &txn) { kvSet(txn, kv(QStringLiteral("k"), "new")); });
    QCOMPARE(fired, 1);
    QCOMPARE(seen, QByteArrayLiteral("new"));
    QCOMPARE(seenIndex, quint64(7));
    inTxn(store, 8, [](WriteTxn &txn) { kvSet(txn, kv(QStringLiteral("k"), "newer")); });
    QCOMPARE(fired, 1);
    QCOMPARE(store.watches().size(), 0);
}

void TestKvOps::watchMayReregisterFromCallback()
{
    StateStore store;
    int fired = 0;
    std::function<void()> arm = [&] {
        WatchSet ws;
        store.kvList(QStringLiteral("p/"), &ws);
        store.watches().watch(ws, [&] {
            ++fired;
            arm();
        });
    };
    arm();
    for (quint64 i = 1; i <= 3; ++i)
        inTxn(store, i, [](WriteTxn &txn) { kvSet(txn, kv(QStringLiteral("p/k"))); });
    QCOMPARE(fired, 3);
    QCOMPARE(store.watches().size(), 1);
}

void TestKvOps::cancelledWatchDoesNotFire()
{
    StateStore store;
    WatchSet ws;
    store.kvGet(QStringLiteral("k"), &ws);
    int fired = 0;
    const auto h = store.watches().watch(ws, [&] { ++fired; });
    store.watches().cancel(h);
    store.watches().cancel(h);  // twice is harmless
    inTxn(store, 1, [](WriteTxn &txn) { kvSet(txn, kv(QStringLiteral("k"))); });
    QCOMPARE(fired, 0);
    QCOMPARE(store.watches().size(), 0);
}

void TestKvOps::callbackWritesAreQueuedNotReentrant()
{
    StateStore store;
    QStringList order;
    WatchSet wa, wb;
    store.kvGet(QStringLiteral("a"), &wa);
    store.kvGet(QStringLiteral("b"), &wb);
    store.watches().watch(wa, [&] {
        order << QStringLiteral("a:start");
        inTxn(store, 2, [](WriteTxn &txn) { kvSet(txn, kv(QStringLiteral("b"))); });
        order << QStringLiteral("a:end");
    });
    store.watches().watch(wb, [&] { order << QStringLiteral("b"); });
    inTxn(store, 1, [](WriteTxn &txn) { kvSet(txn, kv(QStringLiteral("a"))); });
    QCOMPARE(order, (QStringList{"a:start", "a:end", "b"}));
}

void TestKvOps::kvAndCatalogWatchesAreIndependent()
{
    StateStore store;
    WatchSet kvWs, catWs;
    store.kvList(QString(), &kvWs);
    store.nodes(&catWs);
    store.serviceNodes(QStringLiteral("web"), {}, &catWs);
    int kvFired = 0, catFired = 0;
    store.watches().watch(kvWs, [&] { ++kvFired; });
    store.watches().watch(catWs, [&] { ++catFired; });
    inTxn(store, 1, [](WriteTxn &txn) {
        QVERIFY(catalogEnsureRegistration(txn, regService(QStringLiteral("n1"), QStringLiteral("web")))
                    .isEmpty());
    });
    QCOMPARE(kvFired, 0);
    QCOMPARE(catFired, 1);
    catWs = WatchSet();
    store.nodes(&catWs);
    store.watches().watch(catWs, [&] { ++catFired; });
    inTxn(store, 2, [](WriteTxn &txn) { kvSet(txn, kv(QStringLiteral("k"))); });
    QCOMPARE(kvFired, 1);
    QCOMPARE(catFired, 1);
}

void TestKvOps::noOpDeleteWakesNobody()
{
    StateStore store;
    WatchSet ws;
    store.kvList(QString(), &ws);
    int fired = 0;
    store.watches().watch(ws, [&] { ++fired; });
    runOp(store, 1, QStringLiteral("del missing"));
    runOp(store, 2, QStringLiteral("deltree missing/"));
    QCOMPARE(fired, 0);
    QCOMPARE(store.lastIndex(), quint64(2));
}

QTEST_GUILESS_MAIN(TestKvOps)
#include "tst_kv_ops.moc"
