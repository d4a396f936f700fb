// conclave-gui reconnecting to a real dev agent (tests/support AgentProcess), offscreen. The viewer
// talks to the agent through a TCP proxy in this test, so that the test can cut the connection
// while the agent keeps running: KV changes made meanwhile must reach the models as in-place
// updates (no model reset, the selection kept) when the agent still has them, and as a reload
// when it does not (the agent restarted). The status bar says which happened.
#include "gui/app/gui_application.h"
#include "gui/models/kv_tree_model.h"
#include "gui/models/topology_model.h"
#include "gui/net/agent_link.h"
#include "gui/state/cluster_cache.h"
#include "gui/views/kv_editor.h"
#include "gui/views/main_window.h"
#include "support/agent_process.h"

#include <QAbstractProxyModel>
#include <QDir>
#include <QPointer>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTreeView>
#include <QtTest>

using namespace conclave;
using namespace conclave::gui;
using support::AgentProcess;
using support::httpRequest;

namespace {

/// A loopback TCP proxy to the agent's HTTP port that the test can cut (close every connection and
/// refuse new ones) and restore on the same port.
class CuttableProxy : public QObject {
public:
    bool listen(quint16 target)
    {
        m_target = target;
        connect(&m_server, &QTcpServer::newConnection, this, &CuttableProxy::onNewConnection);
        if (!m_server.listen(QHostAddress::LocalHost, m_port))
            return false;
        m_port = m_server.serverPort();
        return true;
    }
    quint16 port() const { return m_port; }
    void setTarget(quint16 target) { m_target = target; }
    void cut()
    {
        m_server.close();
        for (const QPointer<QTcpSocket> &s : std::as_const(m_sockets))
            if (s)
                s->abort();
        m_sockets.clear();
    }
    bool restore() { return m_server.listen(QHostAddress::LocalHost, m_port); }

private:
    void onNewConnection()
    {
        while (QTcpSocket *in = m_server.nextPendingConnection()) {
            auto *out = new QTcpSocket(this);
            in->setParent(this);
            m_sockets << in << out;
            connect(in, &QTcpSocket::readyRead, out, [in, out] {
                if (out->state() == QAbstractSocket::ConnectedState)
                    out->write(in->readAll());
            });
            connect(out, &QTcpSocket::connected, in, [in, out] { out->write(in->readAll()); });
            connect(out, &QTcpSocket::readyRead, in, [in, out] { in->write(out->readAll()); });
            connect(in, &QTcpSocket::disconnected, out, &QTcpSocket::disconnectFromHost);
            connect(out, &QTcpSocket::disconnected, in, &QTcpSocket::disconnectFromHost);
            connect(in, &QTcpSocket::disconnected, in, &QObject::deleteLater);
            connect(out, &QTcpSocket::disconnected, out, &QObject::deleteLater);
            out->connectToHost(QHostAddress::LocalHost, m_target);
        }
    }

    QTcpServer m_server;
    quint16 m_port = 0;
    quint16 m_target = 0;
    QList<QPointer<QTcpSocket>> m_sockets;
};

}  // namespace

class TestResume : public QObject {
    Q_OBJECT

private:
    AgentProcess m_agent;
    CuttableProxy m_proxy;
    std::unique_ptr<GuiApplication> m_app;

    QString url(const QString &path) const { return m_agent.baseUrl() + path; }
    void put(const QString &key, const QByteArray &value)
    {
        const auto r = httpRequest("PUT", url(QStringLiteral("/v1/kv/") + key), value);
        QVERIFY2(r.ok && r.status == 200, qPrintable(QStringLiteral("%1 → %2 %3").arg(key).arg(r.status).arg(r.error)));
    }
    MainWindow *win() const { return m_app->window(); }
    KvTreeModel *kvModel() const { return win()->kvEditor()->model(); }
    QString selectedKey() const
    {
        return win()->kvEditor()->tree()->currentIndex().data(KvTreeModel::FullKeyRole).toString();
    }
    void selectKey(const QString &key)
    {
        auto *proxy = qobject_cast<QAbstractProxyModel *>(win()->kvEditor()->tree()->model());
        QVERIFY(proxy);
        win()->kvEditor()->tree()->setCurrentIndex(proxy->mapFromSource(kvModel()->indexForKey(key)));
        QCOMPARE(selectedKey(), key);
    }
    /// Cuts the viewer's connection, runs `meanwhile`, then lets it reconnect.
    void whileDisconnected(const std::function<void()> &meanwhile)
    {
        m_proxy.cut();
        QTRY_COMPARE_WITH_TIMEOUT(m_app->link()->state(), AgentLink::State::Reconnecting, 10000);
        meanwhile();
        QVERIFY(m_proxy.restore());
        QTRY_COMPARE_WITH_TIMEOUT(m_app->link()->state(), AgentLink::State::Connected, 20000);
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ConclaveTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_resume"));
        QSettings().clear();
        if (support::agentBinaryPath().isEmpty())
            QSKIP("the conclave binary was not built");
        QVERIFY2(m_agent.start({QStringLiteral("-node"), QStringLiteral("resume-node")}), qPrintable(m_agent.errorString()));
        QVERIFY(m_proxy.listen(m_agent.httpPort()));
        m_app = std::make_unique<GuiApplication>();
        m_app->setLanguage(QStringLiteral("en"));
        win()->resize(1280, 800);
        m_app->start(QStringLiteral("127.0.0.1:%1").arg(m_proxy.port()));
        QTRY_COMPARE_WITH_TIMEOUT(m_app->link()->state(), AgentLink::State::Connected, 10000);
    }
    void cleanup() { m_agent.dumpLogOnFailure(); }
    void cleanupTestCase()
    {
        m_app.reset();
        QSettings().clear();
    }

    void missedChangesApplyInPlaceAfterAReconnect()
    {
        put(QStringLiteral("app/one"), "1");
        put(QStringLiteral("app/two"), "2");
        put(QStringLiteral("app/gone"), "x");
        ClusterCache *cache = m_app->cache();
        QTRY_VERIFY_WITH_TIMEOUT(cache->kv().contains(QStringLiteral("app/gone")), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(cache->nodes().contains(QStringLiteral("resume-node")), 10000);
        win()->tabs()->setCurrentIndex(MainWindow::KvTab);
        QTRY_VERIFY_WITH_TIMEOUT(kvModel()->indexForKey(QStringLiteral("app/one")).isValid(), 10000);
        selectKey(QStringLiteral("app/one"));
        const quint64 kvBefore = cache->index(stream::Topic::Kv);

        QSignalSpy kvReset(kvModel(), &QAbstractItemModel::modelReset);
        QSignalSpy topologyReset(win()->topologyModel(), &QAbstractItemModel::modelReset);
        QSignalSpy cacheReset(cache, &ClusterCache::topicReset);
        QSignalSpy answered(cache, &ClusterCache::resumeAnswered);
        whileDisconnected([&] {
            put(QStringLiteral("app/two"), "changed");
            put(QStringLiteral("app/three"), "new");
            QCOMPARE(httpRequest("DELETE", url(QStringLiteral("/v1/kv/app/gone"))).status, 200);
        });

        QTRY_COMPARE_WITH_TIMEOUT(answered.size(), 1, 10000);
        QCOMPARE(answered[0][1].toInt(), 0);  // nothing reloaded
        QCOMPARE(answered[0][0].toInt(), 6);  // every topic resumed
        QTRY_VERIFY_WITH_TIMEOUT(kvModel()->indexForKey(QStringLiteral("app/three")).isValid(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!kvModel()->indexForKey(QStringLiteral("app/gone")).isValid(), 10000);
        QCOMPARE(cache->kv().value(QStringLiteral("app/two")).value, QByteArray("changed"));
        QVERIFY(cache->index(stream::Topic::Kv) > kvBefore);
        QCOMPARE(kvReset.size(), 0);
        QCOMPARE(topologyReset.size(), 0);
        QCOMPARE(cacheReset.size(), 0);
        QCOMPARE(selectedKey(), QStringLiteral("app/one"));
        QVERIFY2(win()->connectionText().contains(QStringLiteral("resumed from index")), qPrintable(win()->connectionText()));

        QDir().mkpath(QStringLiteral("screenshots"));
        QVERIFY(win()->grab().save(QStringLiteral("screenshots/resumed.png")));
        // The note follows the language.
        m_app->setLanguage(QStringLiteral("th"));
        QTRY_VERIFY2(win()->connectionText().contains(QStringLiteral("ทำต่อจากดัชนี")), qPrintable(win()->connectionText()));
        m_app->setLanguage(QStringLiteral("en"));
        QTRY_VERIFY(win()->connectionText().contains(QStringLiteral("resumed from index")));
    }

    void agentWithoutTheChangesMakesTheViewerReload()
    {
        // A restarted agent keeps its data but not the stream's history: a write made before the
        // viewer is back cannot be sent as a Change, so the kv topic reloads.
        ClusterCache *cache = m_app->cache();
        QSignalSpy kvReset(kvModel(), &QAbstractItemModel::modelReset);
        QSignalSpy answered(cache, &ClusterCache::resumeAnswered);
        whileDisconnected([&] {
            QVERIFY(m_agent.kill9());
            QVERIFY2(m_agent.start({QStringLiteral("-node"), QStringLiteral("resume-node")}), qPrintable(m_agent.errorString()));
            m_proxy.setTarget(m_agent.httpPort());
            put(QStringLiteral("app/after-restart"), "1");
        });

        QTRY_COMPARE_WITH_TIMEOUT(answered.size(), 1, 10000);
        QVERIFY(answered[0][1].toInt() >= 1);
        QTRY_VERIFY_WITH_TIMEOUT(cache->kv().contains(QStringLiteral("app/after-restart")), 10000);
        QVERIFY(cache->kv().contains(QStringLiteral("app/three")));  // the reloaded state is complete
        QTRY_VERIFY(kvReset.size() >= 1);
        QVERIFY2(win()->connectionText().contains(QStringLiteral("reloaded")), qPrintable(win()->connectionText()));
    }
};

QTEST_MAIN(TestResume)
#include "tst_resume.moc"
