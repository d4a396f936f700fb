// conclave-gui against a real dev agent (tests/support AgentProcess), offscreen: connect, see a
// registered service appear, edit a key and read it back over HTTP, trigger and resolve a CAS
// conflict, switch to Thai. Screenshots of the main views land in ./screenshots (the test's
// working directory) for a person to look at.
#include "gui/app/gui_application.h"
#include "gui/models/kv_tree_model.h"
#include "gui/models/topology_model.h"
#include "gui/net/agent_link.h"
#include "gui/state/cluster_cache.h"
#include "gui/views/conflict_dialog.h"
#include "gui/views/kv_editor.h"
#include "gui/views/main_window.h"
#include "gui/views/node_detail.h"
#include "gui/views/topology_view.h"
#include "support/agent_process.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenuBar>
#include <QMessageBox>
#include <QAbstractProxyModel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTreeView>
#include <QtTest>

using namespace conclave;
using namespace conclave::gui;
using support::AgentProcess;
using support::httpRequest;

class TestViewer : public QObject {
    Q_OBJECT

private:
    AgentProcess m_agent;
    std::unique_ptr<GuiApplication> m_app;
    QString m_node = QStringLiteral("gui-node");

    QString url(const QString &path) const { return m_agent.baseUrl() + path; }
    void put(const QString &path, const QByteArray &body)
    {
        const auto r = httpRequest("PUT", url(path), body);
        QVERIFY2(r.ok && r.status == 200, qPrintable(QStringLiteral("%1 → %2 %3").arg(path).arg(r.status).arg(QString::fromUtf8(r.body))));
    }
    QByteArray raw(const QString &key) { return httpRequest("GET", url(QStringLiteral("/v1/kv/") + key + QStringLiteral("?raw"))).body; }
    MainWindow *win() const { return m_app->window(); }
    void shoot(const QString &name)
    {
        QDir().mkpath(QStringLiteral("screenshots"));
        QCoreApplication::processEvents();
        win()->topologyView()->relayoutNow();
        QCoreApplication::processEvents();
        const QString path = QDir::current().filePath(QStringLiteral("screenshots/%1.png").arg(name));
        QVERIFY(win()->grab().save(path));
        qInfo("screenshot: %s", qPrintable(path));
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ConclaveTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_viewer"));
        QSettings().clear();
        if (support::agentBinaryPath().isEmpty())
            QSKIP("the conclave binary was not built");
        QVERIFY2(m_agent.start({QStringLiteral("-node"), m_node}), qPrintable(m_agent.errorString()));
        m_app = std::make_unique<GuiApplication>();
        m_app->setLanguage(QStringLiteral("en"));
        win()->resize(1440, 900);
        m_app->start(QStringLiteral("127.0.0.1:%1").arg(m_agent.httpPort()));
    }
    void cleanup() { m_agent.dumpLogOnFailure(); }
    void cleanupTestCase()
    {
        m_app.reset();
        QSettings().clear();
    }

    void connectsAndShowsTheAgentItself()
    {
        QTRY_COMPARE_WITH_TIMEOUT(m_app->link()->state(), AgentLink::State::Connected, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(m_app->cache()->nodes().contains(m_node), 10000);
        QVERIFY2(win()->connectionText().startsWith(QStringLiteral("Connected to 127.0.0.1:")), qPrintable(win()->connectionText()));
        QTRY_VERIFY_WITH_TIMEOUT(m_app->cache()->isServer(m_node), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_app->cache()->isLeader(m_node), 5000);
        QCOMPARE(m_app->recentAddresses().value(0), QStringLiteral("127.0.0.1:%1").arg(m_agent.httpPort()));
    }

    void registeredServiceAppears()
    {
        put(QStringLiteral("/v1/agent/service/register"),
            R"({"Name":"web","Port":8080,"Tags":["v1","edge"],"Check":{"CheckID":"web-ttl","TTL":"60s"}})");
        QTRY_VERIFY_WITH_TIMEOUT(m_app->cache()->services().contains(m_node + QStringLiteral("/web")), 10000);
        const QModelIndex node = win()->topologyModel()->nodeIndex(m_node);
        QVERIFY(node.isValid());
        QStringList names;
        for (int r = 0; r < win()->topologyModel()->rowCount(node); ++r)
            names << win()->topologyModel()->index(r, 0, node).data().toString();
        QVERIFY2(names.contains(QStringLiteral("web")), qPrintable(names.join(QLatin1Char(','))));
        // A TTL check starts critical; passing it turns the node green again.
        QTRY_COMPARE_WITH_TIMEOUT(m_app->cache()->serviceHealth(m_node, QStringLiteral("web")), Health::Critical, 5000);
        put(QStringLiteral("/v1/agent/check/pass/web-ttl?note=serving"), {});
        QTRY_COMPARE_WITH_TIMEOUT(m_app->cache()->nodeHealth(m_node), Health::Passing, 5000);
    }

    void fleetForTheScreenshots()
    {
        // A few catalog nodes so the picture shows a fleet: mixed health, servers and services.
        struct N { const char *name, *addr, *status; QList<QByteArray> services; };
        const QList<N> fleet = {
            {"api-1", "10.0.1.11", "passing", {"api", "metrics"}},
            {"api-2", "10.0.1.12", "passing", {"api", "metrics"}},
            {"api-3", "10.0.1.13", "warning", {"api"}},
            {"db-primary", "10.0.2.21", "passing", {"postgres", "pgbouncer"}},
            {"db-replica", "10.0.2.22", "critical", {"postgres"}},
            {"cache-1", "10.0.3.31", "passing", {"redis"}},
            {"worker-1", "10.0.4.41", "passing", {"jobs", "metrics"}},
        };
        for (const N &n : fleet) {
            for (const QByteArray &svcName : n.services) {
                const QString svc = QString::fromLatin1(svcName);
                const bool ok = QByteArray(n.status) == "passing";
                const QJsonObject body{
                    {QStringLiteral("Node"), QString::fromLatin1(n.name)},
                    {QStringLiteral("Address"), QString::fromLatin1(n.addr)},
                    {QStringLiteral("Service"), QJsonObject{{QStringLiteral("Service"), svc},
                                                            {QStringLiteral("Port"), 9000 + int(svc.size())},
                                                            {QStringLiteral("Tags"), QJsonArray{QStringLiteral("prod")}}}},
                    {QStringLiteral("Check"), QJsonObject{{QStringLiteral("CheckID"), QStringLiteral("health-") + svc},
                                                          {QStringLiteral("Name"), svc + QStringLiteral(" health")},
                                                          {QStringLiteral("Status"), QString::fromLatin1(n.status)},
                                                          {QStringLiteral("ServiceID"), svc},
                                                          {QStringLiteral("Output"), ok ? QStringLiteral("HTTP GET /health: 200 OK")
                                                                                        : QStringLiteral("HTTP GET /health: 503 Service Unavailable")}}},
                };
                put(QStringLiteral("/v1/catalog/register"), QJsonDocument(body).toJson(QJsonDocument::Compact));
            }
        }
        put(QStringLiteral("/v1/kv/app/config"), R"({"replicas":3,"image":"registry.local/app:1.4.2","features":{"beta":false}})");
        put(QStringLiteral("/v1/kv/app/feature-flags/new-ui"), "off");
        put(QStringLiteral("/v1/kv/app/feature-flags/search-v2"), "on");
        put(QStringLiteral("/v1/kv/db/primary"), "10.0.2.21:5432");
        put(QStringLiteral("/v1/kv/certs/ca.der"), QByteArray("\x30\x82\x01\x0a\x02\x82\x01\x01\x00\xc4\x9f", 12));
        QTRY_COMPARE_WITH_TIMEOUT(m_app->cache()->nodes().size(), 8, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(m_app->cache()->kv().contains(QStringLiteral("certs/ca.der")), 10000);
        // The picture lays its tiles out on a later turn of the event loop than the cache update:
        // select again until the tile exists, with a deadline.
        QTRY_VERIFY_WITH_TIMEOUT((win()->selectNode(QStringLiteral("db-replica")),
                                  win()->topologyView()->selectedNode() == QStringLiteral("db-replica")),
                                 10000);
        QCOMPARE(win()->nodeDetail()->node(), QStringLiteral("db-replica"));
        win()->tabs()->setCurrentIndex(MainWindow::TopologyTab);
        shoot(QStringLiteral("topology"));
        win()->tabs()->setCurrentIndex(MainWindow::HealthTab);
        shoot(QStringLiteral("health"));
    }

    void editKeyAndReadItBackOverHttp()
    {
        put(QStringLiteral("/v1/kv/app/limits"), R"({"rps":100})");
        QTRY_VERIFY_WITH_TIMEOUT(m_app->cache()->kv().contains(QStringLiteral("app/limits")), 10000);
        win()->tabs()->setCurrentIndex(MainWindow::KvTab);
        KvEditor *kv = win()->kvEditor();
        kv->openKey(QStringLiteral("app/limits"));
        QCOMPARE(kv->mode(), KvEditor::Mode::Json);
        QCOMPARE(kv->editor()->toPlainText(), QStringLiteral("{\n    \"rps\": 100\n}"));
        const quint64 before = kv->loadedIndex();
        QVERIFY(before > 0);
        kv->editor()->setPlainText(QStringLiteral("{\n    \"rps\": 250\n}"));
        QSignalSpy saved(kv, &KvEditor::saved);
        kv->save();
        QTRY_COMPARE_WITH_TIMEOUT(saved.size(), 1, 10000);
        QCOMPARE(raw(QStringLiteral("app/limits")), QByteArray("{\n    \"rps\": 250\n}"));
        QVERIFY(kv->loadedIndex() > before);
        kv->openKey(QStringLiteral("app/config"));
        shoot(QStringLiteral("kv"));
    }

    void concurrentChangeOpensConflictAndOverwriteResolvesIt()
    {
        KvEditor *kv = win()->kvEditor();
        put(QStringLiteral("/v1/kv/app/mode"), "blue");
        QTRY_VERIFY_WITH_TIMEOUT(m_app->cache()->kv().contains(QStringLiteral("app/mode")), 10000);
        kv->openKey(QStringLiteral("app/mode"));
        kv->editor()->setPlainText(QStringLiteral("green"));
        put(QStringLiteral("/v1/kv/app/mode"), "red");  // someone else, meanwhile
        QSignalSpy opened(kv, &KvEditor::conflictOpened);
        QSignalSpy saved(kv, &KvEditor::saved);
        kv->save();
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 10000);
        QCOMPARE(raw(QStringLiteral("app/mode")), QByteArray("red"));  // nothing was overwritten
        auto *dialog = opened[0][0].value<ConflictDialog *>();
        QVERIFY(dialog);
        QCOMPARE(dialog->findChild<QPlainTextEdit *>(QStringLiteral("mine"))->toPlainText(), QStringLiteral("green"));
        QCOMPARE(dialog->findChild<QPlainTextEdit *>(QStringLiteral("theirs"))->toPlainText(), QStringLiteral("red"));
        QVERIFY(dialog->isVisible());
        QDir().mkpath(QStringLiteral("screenshots"));
        dialog->grab().save(QStringLiteral("screenshots/conflict.png"));
        dialog->findChild<QPushButton *>(QStringLiteral("overwrite"))->click();
        QTRY_COMPARE_WITH_TIMEOUT(saved.size(), 1, 10000);
        QCOMPARE(raw(QStringLiteral("app/mode")), QByteArray("green"));

        // Second round: take the stored version instead.
        kv->editor()->setPlainText(QStringLiteral("yellow"));
        put(QStringLiteral("/v1/kv/app/mode"), "purple");
        kv->save();
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 2, 10000);
        opened[1][0].value<ConflictDialog *>()->findChild<QPushButton *>(QStringLiteral("takeTheirs"))->click();
        QTRY_COMPARE_WITH_TIMEOUT(kv->editor()->toPlainText(), QStringLiteral("purple"), 5000);
        QCOMPARE(raw(QStringLiteral("app/mode")), QByteArray("purple"));
        QVERIFY(!kv->isModified());
    }

    void createRenameAndRecursiveDelete()
    {
        KvEditor *kv = win()->kvEditor();
        QSignalSpy saved(kv, &KvEditor::saved);
        kv->startNewKey(QStringLiteral("tmp/one"));
        kv->editor()->setPlainText(QStringLiteral("first"));
        kv->save();
        QTRY_COMPARE_WITH_TIMEOUT(saved.size(), 1, 10000);
        QCOMPARE(raw(QStringLiteral("tmp/one")), QByteArray("first"));
        put(QStringLiteral("/v1/kv/tmp/two"), "second");
        QTRY_VERIFY_WITH_TIMEOUT(m_app->cache()->kv().contains(QStringLiteral("tmp/one")) && m_app->cache()->kv().contains(QStringLiteral("tmp/two")), 10000);

        kv->openKey(QStringLiteral("tmp/one"));
        kv->renameTo(QStringLiteral("tmp/uno"));
        QTRY_COMPARE_WITH_TIMEOUT(kv->currentKey(), QStringLiteral("tmp/uno"), 10000);
        QCOMPARE(raw(QStringLiteral("tmp/uno")), QByteArray("first"));
        QCOMPARE(httpRequest("GET", url(QStringLiteral("/v1/kv/tmp/one"))).status, 404);

        // Delete the folder: a confirmation names the number of keys; only "Delete" deletes.
        QTRY_VERIFY_WITH_TIMEOUT(kv->model()->indexForKey(QStringLiteral("tmp/uno")).isValid(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!kv->model()->indexForKey(QStringLiteral("tmp/one")).isValid(), 10000);
        const QModelIndex folder = kv->model()->indexForKey(QStringLiteral("tmp/"));
        QVERIFY(folder.isValid());
        auto *proxy = qobject_cast<QAbstractProxyModel *>(kv->tree()->model());
        kv->tree()->setCurrentIndex(proxy->mapFromSource(folder));
        QSignalSpy deleted(kv, &KvEditor::deleted);
        kv->deleteSelected();
        auto *box = kv->findChild<QMessageBox *>(QStringLiteral("confirmDelete"));
        QVERIFY(box);
        QVERIFY2(box->text().contains(QStringLiteral("2 keys")), qPrintable(box->text()));
        box->findChild<QPushButton *>(QStringLiteral("confirm"))->click();
        QTRY_COMPARE_WITH_TIMEOUT(deleted.size(), 1, 10000);
        QCOMPARE(httpRequest("GET", url(QStringLiteral("/v1/kv/tmp/?recurse"))).status, 404);
        QTRY_VERIFY_WITH_TIMEOUT(!kv->model()->indexForKey(QStringLiteral("tmp/")).isValid(), 10000);
    }

    void switchesToThai()
    {
        m_app->setLanguage(QStringLiteral("th"));
        QTRY_COMPARE(win()->tabs()->tabText(MainWindow::TopologyTab), QStringLiteral("โทโพโลยี"));
        QCOMPARE(m_app->effectiveLanguage(), QStringLiteral("th"));
        QCOMPARE(win()->tabs()->tabText(MainWindow::TopologyTab), QStringLiteral("โทโพโลยี"));
        QCOMPARE(win()->tabs()->tabText(MainWindow::KvTab), QStringLiteral("คีย์/ค่า"));
        QVERIFY2(win()->connectionText().startsWith(QStringLiteral("เชื่อมต่อกับ")), qPrintable(win()->connectionText()));
        QCOMPARE(win()->menuBar()->actions().value(0)->text(), QStringLiteral("&ไฟล์"));
        win()->tabs()->setCurrentIndex(MainWindow::TopologyTab);
        shoot(QStringLiteral("topology_th"));
        m_app->setLanguage(QStringLiteral("en"));
        QTRY_COMPARE(win()->tabs()->tabText(MainWindow::TopologyTab), QStringLiteral("Topology"));
    }

    void agentGoingAwayShowsReconnecting()
    {
        QVERIFY(m_agent.kill9());
        QTRY_COMPARE_WITH_TIMEOUT(m_app->link()->state(), AgentLink::State::Reconnecting, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(win()->connectionText().contains(QStringLiteral("connection refused")), 10000);
        QVERIFY(!m_app->cache()->nodes().isEmpty());  // the last known state stays visible
    }
};

QTEST_MAIN(TestViewer)
#include "tst_viewer.moc"
