// The viewer's data path without a network: FakeAgentLink → ClusterCache → models and views.
// Every model runs under QAbstractItemModelTester; updates must be in place (no resets).
#include "fake_agent_link.h"
#include "gui/models/health_model.h"
#include "gui/models/kv_tree_model.h"
#include "gui/models/topology_model.h"
#include "gui/state/cluster_cache.h"
#include "gui/views/kv_editor.h"
#include "gui/views/topology_view.h"

#include <QAbstractItemModelTester>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QtTest>

using namespace conclave;
using namespace conclave::gui;
using test::FakeAgentLink;
using stream::Topic;

class TestModels : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<FakeAgentLink> m_link;
    std::unique_ptr<ClusterCache> m_cache;

    void loadCluster()
    {
        m_link->snapshot(Topic::Datacenters, 3, {FakeAgentLink::dcRow(QStringLiteral("dc1"), QStringLiteral("alpha")),
                                                 FakeAgentLink::dcRow(QStringLiteral("dc2"), QString())});
        m_link->snapshot(Topic::Nodes, 3, {FakeAgentLink::nodeRow(QStringLiteral("alpha"), QStringLiteral("10.0.0.1")),
                                           FakeAgentLink::nodeRow(QStringLiteral("beta"), QStringLiteral("10.0.0.2")),
                                           FakeAgentLink::nodeRow(QStringLiteral("gamma"), QStringLiteral("10.1.0.1"), QStringLiteral("dc2"))});
        m_link->snapshot(Topic::Services, 3, {FakeAgentLink::serviceRow(QStringLiteral("alpha"), QStringLiteral("consul"), 8300),
                                              FakeAgentLink::serviceRow(QStringLiteral("alpha"), QStringLiteral("web"), 80, {QStringLiteral("v1")}),
                                              FakeAgentLink::serviceRow(QStringLiteral("beta"), QStringLiteral("db"), 5432, {QStringLiteral("primary")})});
        m_link->snapshot(Topic::Checks, 3, {FakeAgentLink::checkRow(QStringLiteral("alpha"), QStringLiteral("serfHealth"), QStringLiteral("passing")),
                                            FakeAgentLink::checkRow(QStringLiteral("beta"), QStringLiteral("serfHealth"), QStringLiteral("passing")),
                                            FakeAgentLink::checkRow(QStringLiteral("beta"), QStringLiteral("db-alive"), QStringLiteral("warning"), QStringLiteral("db")),
                                            FakeAgentLink::checkRow(QStringLiteral("gamma"), QStringLiteral("serfHealth"), QStringLiteral("critical"))});
        m_link->snapshot(Topic::Kv, 4, {FakeAgentLink::kvRow(QStringLiteral("app/a/one"), "1", 4),
                                        FakeAgentLink::kvRow(QStringLiteral("app/b"), "{\"x\":1}", 4),
                                        FakeAgentLink::kvRow(QStringLiteral("top"), "t", 4)});
    }

private slots:
    void init()
    {
        m_link = std::make_unique<FakeAgentLink>();
        m_cache = std::make_unique<ClusterCache>(m_link.get());
        m_link->open(QStringLiteral("127.0.0.1:1"), {});
    }
    void cleanup()
    {
        m_cache.reset();
        m_link.reset();
    }

    void cacheAppliesChangesOnlyWhenTheyRaiseTheIndex_data()
    {
        QTest::addColumn<quint64>("changeIndex");
        QTest::addColumn<bool>("applied");
        QTest::newRow("older than the snapshot") << quint64(9) << false;
        QTest::newRow("same index (duplicate)") << quint64(10) << false;
        QTest::newRow("newer") << quint64(11) << true;
    }
    void cacheAppliesChangesOnlyWhenTheyRaiseTheIndex()
    {
        QFETCH(quint64, changeIndex);
        QFETCH(bool, applied);
        m_link->snapshot(Topic::Kv, 10, {FakeAgentLink::kvRow(QStringLiteral("k"), "old", 10)});
        m_link->change(Topic::Kv, changeIndex, {FakeAgentLink::kvRow(QStringLiteral("k"), "new", changeIndex)});
        QCOMPARE(m_cache->kv().value(QStringLiteral("k")).value, applied ? QByteArray("new") : QByteArray("old"));
        QCOMPARE(m_cache->index(Topic::Kv), applied ? changeIndex : quint64(10));
    }

    void resubscribesFromTheLastIndexAfterAReconnect()
    {
        QCOMPARE(m_link->subscriptions.size(), 1);
        for (const auto &t : m_link->subscriptions[0].topics)
            QCOMPARE(t.fromIndex, quint64(0));
        QCOMPARE(m_link->subscriptions[0].topics.size(), 6);
        loadCluster();
        m_link->change(Topic::Nodes, 7, {FakeAgentLink::nodeRow(QStringLiteral("delta"), QStringLiteral("10.0.0.4"))});
        m_link->drop(QStringLiteral("gone"));
        m_link->reconnect();
        QCOMPARE(m_link->subscriptions.size(), 2);
        QHash<Topic, quint64> from;
        for (const auto &t : m_link->subscriptions[1].topics) {
            from.insert(t.topic, t.fromIndex);
            // Each index goes back with the history it belongs to; a topic never received has none.
            QCOMPARE(t.history, t.fromIndex ? m_link->history : QString());
        }
        QCOMPARE(from.value(Topic::Nodes), quint64(7));
        QCOMPARE(from.value(Topic::Checks), quint64(3));
        QCOMPARE(from.value(Topic::Kv), quint64(4));
        QCOMPARE(m_cache->nodes().size(), 4);  // nothing was dropped meanwhile
    }

    void resumedTopicsUpdateInPlaceAndReportIt()
    {
        TopologyModel topology(m_cache.get());
        KvTreeModel kv(m_cache.get());
        HealthModel health(m_cache.get());
        QAbstractItemModelTester t1(&topology, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester t2(&kv, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester t3(&health, QAbstractItemModelTester::FailureReportingMode::QtTest);
        loadCluster();
        topology.flushPendingRebuild();
        QSignalSpy topologyReset(&topology, &QAbstractItemModel::modelReset);
        QSignalSpy kvReset(&kv, &QAbstractItemModel::modelReset);
        QSignalSpy healthReset(&health, &QAbstractItemModel::modelReset);
        QSignalSpy topicResets(m_cache.get(), &ClusterCache::topicReset);
        QSignalSpy answered(m_cache.get(), &ClusterCache::resumeAnswered);
        const QPersistentModelIndex beta(topology.nodeIndex(QStringLiteral("beta")));

        m_link->drop(QStringLiteral("gone"));
        m_link->reconnect();
        for (const auto &t : m_link->subscriptions.last().topics)
            m_link->resume(t.topic, t.fromIndex, t.fromIndex + (t.topic == Topic::Kv ? 2 : 0));
        QCOMPARE(answered.size(), 1);
        QCOMPARE(answered[0][0].toInt(), 5);  // every topic the viewer held (loadCluster has no members)
        QCOMPARE(answered[0][1].toInt(), 0);
        QCOMPARE(answered[0][2].value<quint64>(), quint64(4));
        // The Changes the viewer missed, as the agent sends them after a Resume.
        m_link->change(Topic::Kv, 5, {FakeAgentLink::kvRow(QStringLiteral("app/new"), "n", 5)}, {QStringLiteral("top")});
        m_link->change(Topic::Kv, 6, {FakeAgentLink::kvRow(QStringLiteral("app/b"), "{\"x\":2}", 6)});
        QVERIFY(kv.indexForKey(QStringLiteral("app/new")).isValid());
        QVERIFY(!kv.indexForKey(QStringLiteral("top")).isValid());
        QCOMPARE(m_cache->kv().value(QStringLiteral("app/b")).value, QByteArray("{\"x\":2}"));
        QCOMPARE(topologyReset.size(), 0);
        QCOMPARE(kvReset.size(), 0);
        QCOMPARE(healthReset.size(), 0);
        QCOMPARE(topicResets.size(), 0);
        QVERIFY(beta.isValid());
        QCOMPARE(m_cache->nodes().size(), 3);
    }

    void aRefusedResumeReloadsThatTopicOnly()
    {
        KvTreeModel kv(m_cache.get());
        QAbstractItemModelTester tester(&kv, QAbstractItemModelTester::FailureReportingMode::QtTest);
        loadCluster();
        QSignalSpy kvReset(&kv, &QAbstractItemModel::modelReset);
        QSignalSpy answered(m_cache.get(), &ClusterCache::resumeAnswered);
        m_link->drop(QStringLiteral("gone"));
        m_link->reconnect();
        for (const auto &t : m_link->subscriptions.last().topics) {
            if (t.topic == Topic::Kv)
                m_link->reload(Topic::Kv, 40, {FakeAgentLink::kvRow(QStringLiteral("fresh"), "f", 40)},
                               QStringLiteral("this agent's history of kv starts at index 30, after 4"));
            else
                m_link->resume(t.topic, t.fromIndex, t.fromIndex);
        }
        QCOMPARE(answered.size(), 1);
        QCOMPARE(answered[0][0].toInt(), 4);
        QCOMPARE(answered[0][1].toInt(), 1);
        QCOMPARE(kvReset.size(), 1);
        QCOMPARE(m_cache->kv().keys(), QStringList{QStringLiteral("fresh")});
        QCOMPARE(m_cache->nodes().size(), 3);

        // A Snapshot that is not an answer to a resume (the first subscription) reports nothing.
        m_link->snapshot(Topic::Kv, 41, {});
        QCOMPARE(answered.size(), 1);
    }

    void derivedHealthAndRoles()
    {
        loadCluster();
        QCOMPARE(m_cache->nodeHealth(QStringLiteral("alpha")), Health::Passing);
        QCOMPARE(m_cache->nodeHealth(QStringLiteral("beta")), Health::Warning);
        QCOMPARE(m_cache->serviceHealth(QStringLiteral("beta"), QStringLiteral("db")), Health::Warning);
        QCOMPARE(m_cache->nodeHealth(QStringLiteral("gamma")), Health::Critical);
        QVERIFY(m_cache->isServer(QStringLiteral("alpha")));
        QVERIFY(m_cache->isLeader(QStringLiteral("alpha")));
        QVERIFY(!m_cache->isServer(QStringLiteral("beta")));
    }

    void topologyModelUpdatesInPlace()
    {
        TopologyModel model(m_cache.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        loadCluster();
        QCOMPARE(model.rowCount(), 0);  // snapshots on connect are coalesced into one rebuild
        model.flushPendingRebuild();
        QCOMPARE(model.rowCount(), 2);
        const QModelIndex dc1 = model.index(0, 0);
        QCOMPARE(dc1.data().toString(), QStringLiteral("dc1"));
        QCOMPARE(model.rowCount(dc1), 2);
        const QModelIndex alpha = model.nodeIndex(QStringLiteral("alpha"));
        QCOMPARE(alpha.data().toString(), QStringLiteral("alpha (leader)"));
        QCOMPARE(model.rowCount(alpha), 2);
        QCOMPARE(model.index(1, TopologyModel::AddressColumn, alpha).data().toString(), QStringLiteral("10.0.0.1:80"));
        QCOMPARE(model.index(1, TopologyModel::TagsColumn, alpha).data().toString(), QStringLiteral("v1"));

        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        const QPersistentModelIndex keep(model.nodeIndex(QStringLiteral("beta")));

        // A check turns critical: only beta's rows change.
        m_link->change(Topic::Checks, 5, {FakeAgentLink::checkRow(QStringLiteral("beta"), QStringLiteral("db-alive"), QStringLiteral("critical"), QStringLiteral("db"))});
        QVERIFY(changed.size() >= 1);
        for (const auto &args : changed)
            QCOMPARE(args[0].toModelIndex().data(TopologyModel::NodeNameRole).toString(), QStringLiteral("beta"));
        QCOMPARE(keep.data(TopologyModel::HealthRole).toInt(), int(Health::Critical));
        // A node joins dc1 between the others; a service goes away.
        m_link->change(Topic::Nodes, 6, {FakeAgentLink::nodeRow(QStringLiteral("alpha2"), QStringLiteral("10.0.0.3"))});
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(model.rowCount(dc1), 3);
        m_link->change(Topic::Services, 7, {}, {QStringLiteral("alpha/web")});
        QCOMPARE(removed.size(), 1);
        QCOMPARE(model.rowCount(model.nodeIndex(QStringLiteral("alpha"))), 1);
        QCOMPARE(reset.size(), 0);
        QVERIFY(keep.isValid());
        QCOMPARE(keep.data(TopologyModel::NodeNameRole).toString(), QStringLiteral("beta"));
        // A node leaves.
        m_link->change(Topic::Nodes, 8, {}, {QStringLiteral("gamma")});
        QCOMPARE(model.rowCount(model.index(1, 0)), 0);
    }

    void healthModelRowsAndCounts()
    {
        HealthModel model(m_cache.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        loadCluster();
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.index(0, HealthModel::NodeColumn).data().toString(), QStringLiteral("alpha"));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        m_link->change(Topic::Checks, 9, {FakeAgentLink::checkRow(QStringLiteral("gamma"), QStringLiteral("serfHealth"), QStringLiteral("passing"), {}, QStringLiteral("back"))});
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed[0][0].toModelIndex().row(), 3);
        QCOMPARE(model.index(3, HealthModel::OutputColumn).data().toString(), QStringLiteral("back"));
        QCOMPARE(model.index(3, HealthModel::StatusColumn).data(HealthModel::HealthRole).toInt(), int(Health::Passing));
        m_link->change(Topic::Checks, 10, {}, {QStringLiteral("beta/db-alive")});
        QCOMPARE(model.rowCount(), 3);
    }

    void kvTreeSplitsOnSlashesAndPrunesFolders()
    {
        KvTreeModel model(m_cache.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        loadCluster();
        QCOMPARE(model.rowCount(), 2);  // "app/" folder first, then "top"
        const QModelIndex app = model.index(0, 0);
        QCOMPARE(app.data().toString(), QStringLiteral("app/"));
        QVERIFY(app.data(KvTreeModel::IsFolderRole).toBool());
        QCOMPARE(model.rowCount(app), 2);  // "a/" then "b"
        QCOMPARE(model.indexForKey(QStringLiteral("app/a/one")).data().toString(), QStringLiteral("one"));
        QCOMPARE(model.entryCountUnder(QStringLiteral("app/")), 2);

        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        m_link->change(Topic::Kv, 5, {}, {QStringLiteral("app/a/one")});
        QVERIFY(!model.indexForKey(QStringLiteral("app/a/")).isValid());  // empty folder pruned
        QCOMPARE(model.rowCount(app), 1);
        m_link->change(Topic::Kv, 6, {FakeAgentLink::kvRow(QStringLiteral("app/z/deep/key"), "v", 6)});
        QCOMPARE(model.indexForKey(QStringLiteral("app/z/deep/key")).data(KvTreeModel::FullKeyRole).toString(),
                 QStringLiteral("app/z/deep/key"));
        QCOMPARE(reset.size(), 0);
    }

    void topologyPictureFiltersByHealthTagAndName_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("tag");
        QTest::addColumn<int>("health");  // -1 = any
        QTest::addColumn<int>("visible");
        QTest::newRow("no filter") << QString() << QString() << -1 << 3;
        QTest::newRow("critical only") << QString() << QString() << int(Health::Critical) << 1;
        QTest::newRow("service name") << QStringLiteral("db") << QString() << -1 << 1;
        QTest::newRow("tag") << QString() << QStringLiteral("V1") << -1 << 1;
        QTest::newRow("address") << QStringLiteral("10.1.") << QString() << -1 << 1;
        QTest::newRow("nothing matches") << QStringLiteral("zzz") << QString() << -1 << 0;
    }
    void topologyPictureFiltersByHealthTagAndName()
    {
        QFETCH(QString, text);
        QFETCH(QString, tag);
        QFETCH(int, health);
        QFETCH(int, visible);
        TopologyView view(m_cache.get());
        view.resize(900, 600);
        loadCluster();
        TopologyFilter f{text, tag, {}};
        if (health >= 0)
            f.health.insert(Health(health));
        view.setFilter(f);
        view.relayoutNow();
        QCOMPARE(view.tileCount(), 3);
        QCOMPARE(view.visibleTileCount(), visible);
    }

    void kvValueModes_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<int>("mode");
        QTest::addColumn<QString>("shown");
        QTest::newRow("plain text") << QByteArray("hello") << int(KvEditor::Mode::Text) << QStringLiteral("hello");
        QTest::newRow("json pretty-printed") << QByteArray("{\"a\":1}") << int(KvEditor::Mode::Json) << QStringLiteral("{\n    \"a\": 1\n}");
        QTest::newRow("binary as hex") << QByteArray("\x00\x01\xff", 3) << int(KvEditor::Mode::Hex) << QStringLiteral("00 01 ff");
        QTest::newRow("invalid utf-8 as hex") << QByteArray("\xc3\x28") << int(KvEditor::Mode::Hex) << QStringLiteral("c3 28");
    }
    void kvValueModes()
    {
        QFETCH(QByteArray, value);
        QFETCH(int, mode);
        QFETCH(QString, shown);
        QCOMPARE(int(KvEditor::modeFor(value)), mode);
        QCOMPARE(KvEditor::render(value, KvEditor::Mode(mode)), shown);
    }

    void kvEditorRefusesInvalidJsonAndOversizedValuesBeforeSending()
    {
        ApiClient api;  // no agent address: any request would fail loudly
        KvEditor editor(m_cache.get(), &api);
        loadCluster();
        editor.openKey(QStringLiteral("app/b"));
        QCOMPARE(editor.mode(), KvEditor::Mode::Json);
        QCOMPARE(editor.loadedIndex(), quint64(4));
        QSignalSpy failed(&editor, &KvEditor::failed);
        editor.editor()->setPlainText(QStringLiteral("{\n  \"x\": 1,\n}"));
        editor.save();
        QCOMPARE(failed.size(), 1);
        QVERIFY2(failed[0][1].toString().startsWith(QStringLiteral("Not valid JSON (line 3")), qPrintable(failed[0][1].toString()));
        QVERIFY(editor.setMode(KvEditor::Mode::Text) == false);  // invalid JSON cannot be converted either

        editor.startNewKey(QStringLiteral("big"));
        editor.editor()->setPlainText(QString(512 * 1024 + 1, QLatin1Char('x')));
        editor.save();
        QCOMPARE(failed.size(), 2);
        // One byte over: exact bytes, not "512 KiB; at most 512 KiB".
        QCOMPARE(failed[1][1].toString(), QLocale().toString(512 * 1024 + 1).prepend(QStringLiteral("The value is "))
                                              + QStringLiteral(" bytes; the agent accepts at most ") + QLocale().toString(512 * 1024)
                                              + QStringLiteral(" bytes (512 KiB). Nothing was sent."));

        editor.startNewKey(QStringLiteral("bin"));
        QVERIFY(editor.setMode(KvEditor::Mode::Hex));
        editor.editor()->setPlainText(QStringLiteral("de ad be ef"));
        QString error;
        QCOMPARE(editor.editorBytes(&error), std::optional<QByteArray>(QByteArray("\xde\xad\xbe\xef")));
        editor.editor()->setPlainText(QStringLiteral("de a"));
        QVERIFY(!editor.editorBytes(&error));
        QCOMPARE(error, QStringLiteral("Not valid hex: odd number of digits"));
    }
};

QTEST_MAIN(TestModels)
#include "tst_models.moc"
