#pragma once
// MainWindow: the viewer's frame. Tabs for the topology (tree + picture + node detail, with a
// search box and tag/health filters), the health table and the KV editor; a status bar that always
// shows the connection state and the passing/warning/critical counts; menus for connecting, views
// and the language.
//
// Owned by GuiApplication; GUI thread only. Asks its owner to connect or switch language through
// signals; never talks to the network itself.

#include "gui/net/agent_link.h"
#include "gui/net/api_client.h"
#include "gui/state/cluster_cache.h"

#include <QMainWindow>
#include <QTimer>

class QLabel;
class QLineEdit;
class QTabWidget;
class QTreeView;
class QToolButton;
class QActionGroup;

namespace conclave::gui {

class TopologyView;
class TopologyModel;
class TopologyFilterProxy;
class HealthView;
class KvEditor;
class NodeDetail;
class ConnectDialog;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    MainWindow(ClusterCache *cache, AgentLink *link, ApiClient *api, QWidget *parent = nullptr);
    ~MainWindow() override;

    enum Tab { TopologyTab = 0, HealthTab = 1, KvTab = 2 };

    QTabWidget *tabs() const { return m_tabs; }
    TopologyView *topologyView() const { return m_picture; }
    QTreeView *topologyTree() const { return m_tree; }
    TopologyModel *topologyModel() const { return m_topologyModel; }
    HealthView *healthView() const { return m_health; }
    KvEditor *kvEditor() const { return m_kv; }
    NodeDetail *nodeDetail() const { return m_detail; }
    QLineEdit *searchBox() const { return m_search; }
    QString connectionText() const;
    QString countsText() const;

    /// Opens the connect dialog (non-modal for the event loop: open(), not exec()).
    ConnectDialog *showConnectDialog(const QStringList &recent, const QString &address, const QString &token);
    /// Marks the language menu entry ("" = system).
    void setLanguageChecked(const QString &code);
    void selectNode(const QString &node);

signals:
    void connectRequested(const QString &address, const QString &token);
    void disconnectRequested();
    void languageRequested(const QString &code);
    /// The user asked for the connect dialog (menu or toolbar); the owner fills in recents.
    void connectDialogRequested();

protected:
    void changeEvent(QEvent *event) override;

private:
    void buildUi();
    void retranslate();
    void applyFilter();
    void onLinkState(AgentLink::State state, const QString &detail);
    void onResumeAnswered(int resumedTopics, int reloadedTopics, quint64 fromIndex);
    void refreshCounts();

    ClusterCache *m_cache;
    AgentLink *m_link;
    ApiClient *m_api;
    QTabWidget *m_tabs = nullptr;
    TopologyModel *m_topologyModel = nullptr;
    TopologyFilterProxy *m_topologyProxy = nullptr;
    QTreeView *m_tree = nullptr;
    TopologyView *m_picture = nullptr;
    NodeDetail *m_detail = nullptr;
    HealthView *m_health = nullptr;
    KvEditor *m_kv = nullptr;
    QLineEdit *m_search = nullptr;
    QLineEdit *m_tag = nullptr;
    QToolButton *m_healthButtons[3] = {};
    QLabel *m_connDot = nullptr, *m_conn = nullptr;
    QLabel *m_counts[3] = {};
    QLabel *m_countIcons[3] = {};
    QLabel *m_nodesLabel = nullptr;
    QMenu *m_fileMenu = nullptr, *m_viewMenu = nullptr, *m_langMenu = nullptr, *m_helpMenu = nullptr;
    QAction *m_connectAction = nullptr, *m_disconnectAction = nullptr, *m_quitAction = nullptr;
    QAction *m_viewActions[3] = {};
    QAction *m_langSystem = nullptr, *m_langEn = nullptr, *m_langTh = nullptr, *m_aboutAction = nullptr;
    QActionGroup *m_langGroup = nullptr;
    QTimer m_countsTimer;
    bool m_syncingSelection = false;
    // How the agent answered the last reconnect (shown next to "Connected to …" until the link
    // leaves that state); kept as data so that a language switch re-renders it.
    struct ResumeOutcome {
        bool known = false;
        bool reloaded = false;
        quint64 fromIndex = 0;
    } m_resume;
};

}  // namespace conclave::gui
