#include "gui/views/main_window.h"

#include "gui/models/health_style.h"
#include "gui/models/topology_model.h"
#include "gui/views/connect_dialog.h"
#include "gui/views/health_view.h"
#include "gui/views/kv_editor.h"
#include "gui/views/node_detail.h"
#include "gui/views/topology_view.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QToolBar>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace conclave::gui {

/// The tree shows the nodes the picture shows: same filter, same rule (TopologyView::matches).
class TopologyFilterProxy : public QSortFilterProxyModel {
public:
    TopologyFilterProxy(ClusterCache *cache, QObject *parent) : QSortFilterProxyModel(parent), m_cache(cache) {}
    void setFilter(const TopologyFilter &f)
    {
        m_filter = f;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex &parent) const override
    {
        const QModelIndex idx = sourceModel()->index(row, 0, parent);
        switch (TopologyModel::Kind(idx.data(TopologyModel::KindRole).toInt())) {
        case TopologyModel::Kind::Datacenter:
            return true;
        case TopologyModel::Kind::Node:
        case TopologyModel::Kind::Service:
            return TopologyView::matches(*m_cache, idx.data(TopologyModel::NodeNameRole).toString(), m_filter);
        }
        return true;
    }

private:
    ClusterCache *m_cache;
    TopologyFilter m_filter;
};

MainWindow::MainWindow(ClusterCache *cache, AgentLink *link, ApiClient *api, QWidget *parent)
    : QMainWindow(parent), m_cache(cache), m_link(link), m_api(api)
{
    setObjectName(QStringLiteral("mainWindow"));
    buildUi();
    m_countsTimer.setSingleShot(true);
    m_countsTimer.setInterval(200);
    connect(&m_countsTimer, &QTimer::timeout, this, &MainWindow::refreshCounts);
    connect(cache, &ClusterCache::updated, this, [this] {
        if (!m_countsTimer.isActive())
            m_countsTimer.start();
    });
    connect(link, &AgentLink::stateChanged, this, &MainWindow::onLinkState);
    connect(cache, &ClusterCache::resumeAnswered, this, &MainWindow::onResumeAnswered);
    retranslate();
    onLinkState(link->state(), link->detail());
    refreshCounts();
    resize(1280, 800);
}

MainWindow::~MainWindow() = default;

void MainWindow::buildUi()
{
    // Menus and actions.
    m_connectAction = new QAction(style()->standardIcon(QStyle::SP_DriveNetIcon), QString(), this);
    m_connectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_O));
    m_disconnectAction = new QAction(style()->standardIcon(QStyle::SP_BrowserStop), QString(), this);
    m_quitAction = new QAction(this);
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_fileMenu = menuBar()->addMenu(QString());
    m_fileMenu->addAction(m_connectAction);
    m_fileMenu->addAction(m_disconnectAction);
    m_fileMenu->addSeparator();
    m_fileMenu->addAction(m_quitAction);
    m_viewMenu = menuBar()->addMenu(QString());
    for (int i = 0; i < 3; ++i) {
        m_viewActions[i] = m_viewMenu->addAction(QString());
        m_viewActions[i]->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        connect(m_viewActions[i], &QAction::triggered, this, [this, i] { m_tabs->setCurrentIndex(i); });
    }
    m_langMenu = menuBar()->addMenu(QString());
    m_langGroup = new QActionGroup(this);
    m_langSystem = m_langMenu->addAction(QString());
    m_langMenu->addSeparator();
    m_langEn = m_langMenu->addAction(QStringLiteral("English"));
    m_langTh = m_langMenu->addAction(QStringLiteral("ไทย (Thai)"));
    for (QAction *a : {m_langSystem, m_langEn, m_langTh}) {
        a->setCheckable(true);
        m_langGroup->addAction(a);
    }
    m_langSystem->setChecked(true);
    connect(m_langSystem, &QAction::triggered, this, [this] { emit languageRequested(QString()); });
    connect(m_langEn, &QAction::triggered, this, [this] { emit languageRequested(QStringLiteral("en")); });
    connect(m_langTh, &QAction::triggered, this, [this] { emit languageRequested(QStringLiteral("th")); });
    m_helpMenu = menuBar()->addMenu(QString());
    m_aboutAction = m_helpMenu->addAction(QString());
    connect(m_connectAction, &QAction::triggered, this, &MainWindow::connectDialogRequested);
    connect(m_disconnectAction, &QAction::triggered, this, &MainWindow::disconnectRequested);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);
    connect(m_aboutAction, &QAction::triggered, this, [this] {
        auto *box = new QMessageBox(QMessageBox::Information, tr("About Conclave"),
                                    tr("Conclave viewer %1\nA live view of a Conclave (Consul-compatible) cluster.")
                                        .arg(QStringLiteral(CONCLAVE_VERSION)),
                                    QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });

    auto *toolbar = addToolBar(QString());
    toolbar->setObjectName(QStringLiteral("mainToolbar"));
    toolbar->setMovable(false);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addAction(m_connectAction);
    toolbar->addAction(m_disconnectAction);
    toolbar->addSeparator();
    m_search = new QLineEdit;
    m_search->setObjectName(QStringLiteral("search"));
    m_search->setClearButtonEnabled(true);
    m_search->setMaximumWidth(340);
    m_search->addAction(style()->standardIcon(QStyle::SP_FileDialogContentsView), QLineEdit::LeadingPosition);
    toolbar->addWidget(m_search);
    m_tag = new QLineEdit;
    m_tag->setClearButtonEnabled(true);
    m_tag->setMaximumWidth(160);
    toolbar->addWidget(m_tag);
    const Health states[3] = {Health::Passing, Health::Warning, Health::Critical};
    for (int i = 0; i < 3; ++i) {
        m_healthButtons[i] = new QToolButton;
        m_healthButtons[i]->setCheckable(true);
        m_healthButtons[i]->setIcon(healthIcon(states[i]));
        m_healthButtons[i]->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        toolbar->addWidget(m_healthButtons[i]);
        connect(m_healthButtons[i], &QToolButton::toggled, this, &MainWindow::applyFilter);
    }
    connect(m_search, &QLineEdit::textChanged, this, &MainWindow::applyFilter);
    connect(m_tag, &QLineEdit::textChanged, this, &MainWindow::applyFilter);

    // Topology tab: tree | picture over node detail.
    m_topologyModel = new TopologyModel(m_cache, this);
    m_topologyProxy = new TopologyFilterProxy(m_cache, this);
    m_topologyProxy->setSourceModel(m_topologyModel);
    m_topologyProxy->setRecursiveFilteringEnabled(false);
    m_tree = new QTreeView;
    m_tree->setObjectName(QStringLiteral("topologyTree"));
    m_tree->setModel(m_topologyProxy);
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->header()->setStretchLastSection(true);
    m_tree->setColumnWidth(TopologyModel::NameColumn, 175);
    m_tree->setColumnWidth(TopologyModel::AddressColumn, 105);
    m_tree->setColumnWidth(TopologyModel::HealthColumn, 85);
    m_picture = new TopologyView(m_cache);
    m_picture->setObjectName(QStringLiteral("topologyPicture"));
    m_detail = new NodeDetail(m_cache);
    m_detail->setObjectName(QStringLiteral("nodeDetail"));
    auto *right = new QSplitter(Qt::Vertical);
    right->addWidget(m_picture);
    right->addWidget(m_detail);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);
    right->setSizes({560, 280});
    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(m_tree);
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    split->setSizes({400, 1040});
    auto *topologyPage = new QWidget;
    auto *tl = new QVBoxLayout(topologyPage);
    tl->setContentsMargins(8, 8, 8, 8);
    tl->addWidget(split);
    // Expand datacenters as they appear; nodes stay collapsed (1,000 of them).
    connect(m_topologyProxy, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &parent, int first, int last) {
        if (!parent.isValid())
            for (int r = first; r <= last; ++r)
                m_tree->expand(m_topologyProxy->index(r, 0));
    });
    connect(m_topologyProxy, &QAbstractItemModel::modelReset, this, [this] {
        for (int r = 0; r < m_topologyProxy->rowCount(); ++r)
            m_tree->expand(m_topologyProxy->index(r, 0));
    });

    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &idx) {
        const QString node = idx.data(TopologyModel::NodeNameRole).toString();
        if (!node.isEmpty())
            selectNode(node);
    });
    connect(m_picture, &TopologyView::nodeSelected, this, &MainWindow::selectNode);

    m_health = new HealthView(m_cache);
    m_health->setObjectName(QStringLiteral("healthView"));
    connect(m_health, &HealthView::nodeActivated, this, [this](const QString &node) {
        m_tabs->setCurrentIndex(TopologyTab);
        selectNode(node);
    });
    m_kv = new KvEditor(m_cache, m_api);
    m_kv->setObjectName(QStringLiteral("kvEditor"));
    // KV outcomes show in the editor itself; the status bar keeps the connection state visible.

    m_tabs = new QTabWidget;
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(topologyPage, style()->standardIcon(QStyle::SP_DirHomeIcon), QString());
    m_tabs->addTab(m_health, healthIcon(Health::Passing), QString());
    m_tabs->addTab(m_kv, style()->standardIcon(QStyle::SP_FileDialogDetailedView), QString());
    setCentralWidget(m_tabs);

    // Status bar: connection on the left, counts on the right; always visible.
    m_connDot = new QLabel;
    m_conn = new QLabel;
    m_conn->setObjectName(QStringLiteral("connectionState"));
    statusBar()->addWidget(m_connDot);
    statusBar()->addWidget(m_conn, 1);
    m_nodesLabel = new QLabel;
    statusBar()->addPermanentWidget(m_nodesLabel);
    const Health countStates[3] = {Health::Passing, Health::Warning, Health::Critical};
    for (int i = 0; i < 3; ++i) {
        m_countIcons[i] = new QLabel;
        m_countIcons[i]->setPixmap(healthIcon(countStates[i]).pixmap(14, 14));
        m_counts[i] = new QLabel;
        m_counts[i]->setObjectName(QStringLiteral("count%1").arg(i));
        m_counts[i]->setContentsMargins(0, 0, 10, 0);
        statusBar()->addPermanentWidget(m_countIcons[i]);
        statusBar()->addPermanentWidget(m_counts[i]);
    }
}

void MainWindow::retranslate()
{
    setWindowTitle(m_link->address().isEmpty() ? tr("Conclave") : tr("Conclave — %1").arg(m_link->address()));
    m_fileMenu->setTitle(tr("&File"));
    m_viewMenu->setTitle(tr("&View"));
    m_langMenu->setTitle(tr("&Language"));
    m_helpMenu->setTitle(tr("&Help"));
    m_connectAction->setText(tr("&Connect…"));
    m_disconnectAction->setText(tr("&Disconnect"));
    m_quitAction->setText(tr("&Quit"));
    m_viewActions[0]->setText(tr("&Topology"));
    m_viewActions[1]->setText(tr("&Health"));
    m_viewActions[2]->setText(tr("&Key/Value"));
    m_langSystem->setText(tr("System language"));
    m_aboutAction->setText(tr("&About Conclave"));
    m_search->setPlaceholderText(tr("Search nodes, addresses and services"));
    m_tag->setPlaceholderText(tr("Tag"));
    m_healthButtons[0]->setText(healthText(Health::Passing));
    m_healthButtons[1]->setText(healthText(Health::Warning));
    m_healthButtons[2]->setText(healthText(Health::Critical));
    for (QToolButton *b : m_healthButtons)
        b->setToolTip(tr("Show only nodes in this state (combine several)"));
    m_tabs->setTabText(TopologyTab, tr("Topology"));
    m_tabs->setTabText(HealthTab, tr("Health"));
    m_tabs->setTabText(KvTab, tr("Key/Value"));
    onLinkState(m_link->state(), m_link->detail());
    refreshCounts();
}

void MainWindow::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QMainWindow::changeEvent(event);
}

void MainWindow::applyFilter()
{
    TopologyFilter f;
    f.text = m_search->text().trimmed();
    f.tag = m_tag->text().trimmed();
    const Health states[3] = {Health::Passing, Health::Warning, Health::Critical};
    for (int i = 0; i < 3; ++i)
        if (m_healthButtons[i]->isChecked())
            f.health.insert(states[i]);
    m_picture->setFilter(f);
    m_topologyProxy->setFilter(f);
    if (!f.text.isEmpty())
        for (int r = 0; r < m_topologyProxy->rowCount(); ++r)
            m_tree->expand(m_topologyProxy->index(r, 0));
    m_health->setTextFilter(f.text);
}

void MainWindow::selectNode(const QString &node)
{
    if (m_syncingSelection)
        return;
    m_syncingSelection = true;
    m_picture->selectNode(node);
    const QModelIndex idx = m_topologyProxy->mapFromSource(m_topologyModel->nodeIndex(node));
    if (idx.isValid() && m_tree->currentIndex().data(TopologyModel::NodeNameRole).toString() != node) {
        m_tree->setCurrentIndex(idx);
        m_tree->scrollTo(idx);
    }
    m_detail->showNode(node);
    m_syncingSelection = false;
}

void MainWindow::onLinkState(AgentLink::State state, const QString &detail)
{
    if (state != AgentLink::State::Connected)
        m_resume = {};
    QString text;
    Health dot = Health::Unknown;
    switch (state) {
    case AgentLink::State::Disconnected:
        text = tr("Not connected");
        break;
    case AgentLink::State::Connecting:
        text = tr("Connecting to %1…").arg(m_link->address());
        dot = Health::Warning;
        break;
    case AgentLink::State::Connected:
        if (!m_resume.known)
            text = tr("Connected to %1").arg(m_link->address());
        else if (!m_resume.reloaded)
            text = tr("Connected to %1 · resumed from index %2 without reloading").arg(m_link->address()).arg(m_resume.fromIndex);
        else
            text = tr("Connected to %1 · reloaded: the agent no longer had every change since index %2")
                       .arg(m_link->address())
                       .arg(m_resume.fromIndex);
        dot = Health::Passing;
        break;
    case AgentLink::State::Reconnecting:
        text = detail.isEmpty() ? tr("Reconnecting to %1…").arg(m_link->address()) : tr("Reconnecting: %1").arg(detail);
        dot = Health::Critical;
        break;
    }
    m_conn->setText(text);
    m_connDot->setPixmap(healthIcon(dot).pixmap(14, 14));
    m_disconnectAction->setEnabled(state != AgentLink::State::Disconnected);
    setWindowTitle(m_link->address().isEmpty() ? tr("Conclave") : tr("Conclave — %1").arg(m_link->address()));
}

void MainWindow::onResumeAnswered(int resumedTopics, int reloadedTopics, quint64 fromIndex)
{
    Q_UNUSED(resumedTopics);
    m_resume = {true, reloadedTopics > 0, fromIndex};
    onLinkState(m_link->state(), m_link->detail());
}

QString MainWindow::connectionText() const
{
    return m_conn->text();
}

QString MainWindow::countsText() const
{
    return QStringLiteral("%1 %2 %3").arg(m_counts[0]->text(), m_counts[1]->text(), m_counts[2]->text());
}

void MainWindow::refreshCounts()
{
    int n[4] = {0, 0, 0, 0};
    for (const model::Check &c : m_cache->checks())
        ++n[int(healthFromStatus(c.status))];
    const Health states[3] = {Health::Passing, Health::Warning, Health::Critical};
    for (int i = 0; i < 3; ++i) {
        m_counts[i]->setText(QStringLiteral("%1 %2").arg(n[int(states[i])]).arg(healthText(states[i])));
        // The status bar does not re-measure permanent labels as their text grows.
        m_counts[i]->setMinimumWidth(m_counts[i]->fontMetrics().horizontalAdvance(m_counts[i]->text()) + 14);
    }
    m_nodesLabel->setText(tr("%n node(s)", nullptr, int(m_cache->nodes().size())) + QStringLiteral("   ·   ") +
                          tr("%n service(s)", nullptr, int(m_cache->services().size())) + QStringLiteral("   "));
}

ConnectDialog *MainWindow::showConnectDialog(const QStringList &recent, const QString &address, const QString &token)
{
    auto *dlg = new ConnectDialog(this);
    dlg->setRecent(recent);
    dlg->setAddress(address.isEmpty() ? QString::fromLatin1(ConnectDialog::kDefaultAddress) : address);
    dlg->setToken(token);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    connect(dlg, &QDialog::accepted, this, [this, dlg] { emit connectRequested(dlg->address(), dlg->token()); });
    dlg->open();
    return dlg;
}

void MainWindow::setLanguageChecked(const QString &code)
{
    (code == QLatin1String("th") ? m_langTh : code == QLatin1String("en") ? m_langEn : m_langSystem)->setChecked(true);
}

}  // namespace conclave::gui
