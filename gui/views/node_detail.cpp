#include "gui/views/node_detail.h"

#include "gui/models/health_style.h"

#include <QEvent>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace conclave::gui {

namespace {

QTreeWidget *makeList(int columns)
{
    auto *t = new QTreeWidget;
    t->setColumnCount(columns);
    t->setRootIsDecorated(false);
    t->setAlternatingRowColors(true);
    t->setUniformRowHeights(true);
    t->header()->setStretchLastSection(true);
    t->setSelectionMode(QAbstractItemView::NoSelection);
    return t;
}

QString gossipText(int status)
{
    switch (status) {
    case 1: return NodeDetail::tr("alive");
    case 2: return NodeDetail::tr("leaving");
    case 3: return NodeDetail::tr("left");
    case 4: return NodeDetail::tr("failed");
    default: return NodeDetail::tr("unknown");
    }
}

}  // namespace

NodeDetail::NodeDetail(ClusterCache *cache, QWidget *parent) : QWidget(parent), m_cache(cache)
{
    m_throttle.setSingleShot(true);
    m_throttle.setInterval(150);
    connect(&m_throttle, &QTimer::timeout, this, &NodeDetail::refresh);
    connect(cache, &ClusterCache::updated, this, [this] {
        if (!m_node.isEmpty() && !m_throttle.isActive())
            m_throttle.start();
    });

    auto *top = new QVBoxLayout(this);
    top->setContentsMargins(10, 8, 10, 8);
    top->setSpacing(8);
    auto *head = new QHBoxLayout;
    m_title = new QLabel;
    QFont tf = m_title->font();
    tf.setPointSizeF(tf.pointSizeF() * 1.3);
    tf.setBold(true);
    m_title->setFont(tf);
    m_badges = new QLabel;
    head->addWidget(m_title);
    head->addWidget(m_badges);
    head->addStretch();
    top->addLayout(head);

    auto *columns = new QHBoxLayout;
    columns->setSpacing(12);
    auto *left = new QVBoxLayout;
    m_form = new QFormLayout;
    m_form->setLabelAlignment(Qt::AlignRight);
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_address = new QLabel;
    m_address->setFont(mono);
    m_dc = new QLabel;
    m_id = new QLabel;
    m_id->setFont(mono);
    m_id->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_gossip = new QLabel;
    m_form->addRow(new QLabel, m_address);
    m_form->addRow(new QLabel, m_dc);
    m_form->addRow(new QLabel, m_id);
    m_form->addRow(new QLabel, m_gossip);
    left->addLayout(m_form);
    m_metaBox = new QGroupBox;
    auto *ml = new QVBoxLayout(m_metaBox);
    m_meta = makeList(2);
    ml->addWidget(m_meta);
    left->addWidget(m_metaBox, 1);
    columns->addLayout(left, 2);

    m_servicesBox = new QGroupBox;
    auto *sl = new QVBoxLayout(m_servicesBox);
    m_services = makeList(4);
    sl->addWidget(m_services);
    columns->addWidget(m_servicesBox, 3);

    m_checksBox = new QGroupBox;
    auto *cl = new QVBoxLayout(m_checksBox);
    m_checks = makeList(4);
    cl->addWidget(m_checks);
    columns->addWidget(m_checksBox, 4);
    top->addLayout(columns, 1);
    retranslate();
    refresh();
}

void NodeDetail::retranslate()
{
    qobject_cast<QLabel *>(m_form->labelForField(m_address))->setText(tr("Address:"));
    qobject_cast<QLabel *>(m_form->labelForField(m_dc))->setText(tr("Datacenter:"));
    qobject_cast<QLabel *>(m_form->labelForField(m_id))->setText(tr("Node ID:"));
    qobject_cast<QLabel *>(m_form->labelForField(m_gossip))->setText(tr("Gossip:"));
    m_metaBox->setTitle(tr("Meta"));
    m_servicesBox->setTitle(tr("Services"));
    m_checksBox->setTitle(tr("Checks"));
    m_meta->setHeaderLabels({tr("Key"), tr("Value")});
    m_services->setHeaderLabels({tr("Service"), tr("ID"), tr("Port"), tr("Tags")});
    m_checks->setHeaderLabels({tr("Check"), tr("Service"), tr("Status"), tr("Output")});
}

void NodeDetail::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange) {
        retranslate();
        refresh();
    }
    QWidget::changeEvent(event);
}

void NodeDetail::showNode(const QString &node)
{
    m_node = node;
    refresh();
}

void NodeDetail::refresh()
{
    const auto it = m_cache->nodes().constFind(m_node);
    if (m_node.isEmpty() || it == m_cache->nodes().cend()) {
        m_title->setText(m_node.isEmpty() ? tr("Select a node") : tr("%1 (gone)").arg(m_node));
        m_badges->clear();
        for (QLabel *l : {m_address, m_dc, m_id, m_gossip})
            l->clear();
        m_meta->clear();
        m_services->clear();
        m_checks->clear();
        return;
    }
    const model::Node &n = *it;
    m_title->setText(n.node);
    QStringList badges;
    if (m_cache->isLeader(n.node))
        badges << tr("leader");
    if (m_cache->isServer(n.node))
        badges << tr("server");
    const Health h = m_cache->nodeHealth(n.node);
    m_badges->setText(QStringLiteral("<span style='color:%1'>●</span> %2%3")
                          .arg(healthColor(h).name(), healthText(h),
                               badges.isEmpty() ? QString() : QStringLiteral(" · ") + badges.join(QStringLiteral(" · "))));
    m_address->setText(n.address);
    m_dc->setText(n.datacenter);
    m_id->setText(n.id);
    const auto member = m_cache->members().constFind(n.node);
    m_gossip->setText(member == m_cache->members().cend() ? tr("not a member of this agent's pool")
                                                          : QStringLiteral("%1 (%2:%3)").arg(gossipText(member->status), member->addr).arg(member->port));

    m_meta->clear();
    for (auto m = n.meta.cbegin(); m != n.meta.cend(); ++m)
        m_meta->addTopLevelItem(new QTreeWidgetItem({m.key(), m.value()}));
    m_services->clear();
    for (const model::Service &s : m_cache->servicesOf(n.node)) {
        auto *item = new QTreeWidgetItem({s.service, s.id, s.port ? QString::number(s.port) : QString(), s.tags.join(QStringLiteral(", "))});
        item->setIcon(0, healthIcon(m_cache->serviceHealth(n.node, s.id)));
        m_services->addTopLevelItem(item);
    }
    m_checks->clear();
    for (const model::Check &c : m_cache->checksOf(n.node)) {
        const Health ch = healthFromStatus(c.status);
        auto *item = new QTreeWidgetItem({c.name.isEmpty() ? c.checkId : c.name, c.serviceName, healthText(ch), c.output.simplified()});
        item->setIcon(2, healthIcon(ch));
        item->setForeground(2, healthColor(ch).darker(115));
        item->setToolTip(3, c.output);
        m_checks->addTopLevelItem(item);
    }
    for (QTreeWidget *t : {m_meta, m_services, m_checks})
        t->resizeColumnToContents(0);
}

}  // namespace conclave::gui
