#include "gui/views/topology_view.h"

#include "gui/models/health_style.h"

#include <QEvent>
#include <QFontDatabase>
#include <QGraphicsObject>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QPainter>
#include <QPainterPath>
#include <QPropertyAnimation>
#include <QResizeEvent>
#include <QStyleOptionGraphicsItem>

namespace conclave::gui {

namespace {
constexpr qreal kTileW = 236;
constexpr qreal kTileH = 112;
constexpr qreal kGap = 14;
constexpr qreal kMargin = 18;
constexpr qreal kFramePad = 14;
constexpr qreal kTitleH = 34;
}  // namespace

/// One node's tile. Holds a copy of what it draws; the view refreshes it from the cache.
class NodeTile : public QGraphicsObject {
public:
    struct Chip {
        QString name;
        Health health = Health::Unknown;
    };
    QString node;
    QString address;
    Health health = Health::Unknown;
    bool server = false;
    bool leader = false;
    QList<Chip> chips;
    QPropertyAnimation *anim = nullptr;

    explicit NodeTile(const QString &name) : node(name)
    {
        setFlag(ItemIsSelectable);
        setAcceptHoverEvents(true);
        setCacheMode(DeviceCoordinateCache);
        anim = new QPropertyAnimation(this, "pos", this);
        anim->setDuration(220);
        anim->setEasingCurve(QEasingCurve::OutCubic);
    }

    QRectF boundingRect() const override { return QRectF(-1, -1, kTileW + 2, kTileH + 2); }

    void moveTo(const QPointF &p, bool animate)
    {
        if (!animate || !isVisible()) {
            anim->stop();
            setPos(p);
            return;
        }
        if (anim->endValue().toPointF() == p && anim->state() == QAbstractAnimation::Running)
            return;
        if (pos() == p)
            return;
        anim->stop();
        anim->setStartValue(pos());
        anim->setEndValue(p);
        anim->start();
    }

    void paint(QPainter *p, const QStyleOptionGraphicsItem *, QWidget *) override
    {
        p->setRenderHint(QPainter::Antialiasing);
        const QRectF r(0, 0, kTileW, kTileH);
        const QColor accent = healthColor(health);
        QPainterPath path;
        path.addRoundedRect(r.adjusted(0.5, 0.5, -0.5, -0.5), 8, 8);
        p->fillPath(path, healthTint(health));
        // A coloured stripe on the left says the state even to a glance across the room.
        QPainterPath stripe;
        stripe.addRoundedRect(QRectF(0.5, 0.5, 8, kTileH - 1), 4, 4);
        p->fillPath(stripe, accent);
        p->setPen(QPen(isSelected() ? QColor(0x1f, 0x6f, 0xd1) : accent.lighter(130), isSelected() ? 2.5 : 1.0));
        p->drawPath(path);

        QFont title = p->font();
        title.setBold(true);
        title.setPointSizeF(title.pointSizeF() * 1.05);
        p->setFont(title);
        p->setPen(QColor(0x20, 0x24, 0x2a));
        const QFontMetricsF fm(title);
        // Badges first, so a long name is elided before them.
        qreal badgeX = kTileW - 10;
        auto badge = [&](const QString &text, const QColor &bg, const QColor &fg) {
            QFont bf = title;
            bf.setBold(true);
            bf.setPointSizeF(title.pointSizeF() * 0.72);
            const QFontMetricsF bm(bf);
            const qreal w = bm.horizontalAdvance(text) + 12;
            const QRectF br(badgeX - w, 10, w, bm.height() + 4);
            QPainterPath bp;
            bp.addRoundedRect(br, br.height() / 2, br.height() / 2);
            p->fillPath(bp, bg);
            p->setFont(bf);
            p->setPen(fg);
            p->drawText(br, Qt::AlignCenter, text);
            p->setFont(title);
            badgeX -= w + 5;
        };
        if (leader)
            badge(NodeTileText::leader(), QColor(0x1f, 0x6f, 0xd1), Qt::white);
        if (server)
            badge(NodeTileText::server(), QColor(0xd6, 0xe4, 0xf7), QColor(0x1f, 0x4f, 0x8f));
        p->setPen(QColor(0x20, 0x24, 0x2a));
        p->drawText(QRectF(18, 8, badgeX - 20, fm.height() + 4), Qt::AlignLeft | Qt::AlignVCenter,
                    fm.elidedText(node, Qt::ElideRight, badgeX - 20));

        QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
        mono.setPointSizeF(title.pointSizeF() * 0.8);
        p->setFont(mono);
        p->setPen(QColor(0x55, 0x5b, 0x66));
        p->drawText(QRectF(18, 32, kTileW - 28, 18), Qt::AlignLeft | Qt::AlignVCenter,
                    address + QStringLiteral("  ·  ") + healthText(health));

        // Service chips, wrapped over up to three lines.
        QFont cf = title;
        cf.setBold(false);
        cf.setPointSizeF(title.pointSizeF() * 0.78);
        p->setFont(cf);
        const QFontMetricsF cm(cf);
        qreal x = 18, y = 58;
        const qreal chipH = cm.height() + 6;
        int shown = 0;
        for (const Chip &c : chips) {
            const qreal w = std::min<qreal>(cm.horizontalAdvance(c.name) + 22, kTileW - 30);
            if (x + w > kTileW - 10) {
                x = 18;
                y += chipH + 5;
            }
            if (y + chipH > kTileH - 6)
                break;
            const QRectF cr(x, y, w, chipH);
            QPainterPath cp;
            cp.addRoundedRect(cr, chipH / 2, chipH / 2);
            p->fillPath(cp, Qt::white);
            p->setBrush(Qt::NoBrush);
            p->setPen(QPen(QColor(0xc9, 0xcf, 0xd8), 1));
            p->drawPath(cp);
            p->setPen(Qt::NoPen);
            p->setBrush(healthColor(c.health));
            p->drawEllipse(QPointF(cr.left() + 9, cr.center().y()), 3.5, 3.5);
            p->setPen(QColor(0x2a, 0x30, 0x38));
            p->drawText(cr.adjusted(16, 0, -6, 0), Qt::AlignLeft | Qt::AlignVCenter,
                        cm.elidedText(c.name, Qt::ElideRight, w - 22));
            x += w + 5;
            ++shown;
        }
        if (shown < chips.size()) {
            p->setPen(QColor(0x55, 0x5b, 0x66));
            p->drawText(QRectF(kTileW - 70, kTileH - 20, 62, 16), Qt::AlignRight | Qt::AlignVCenter,
                        NodeTileText::more(int(chips.size()) - shown));
        }
    }

    /// Translated tile words (a QGraphicsObject subclass without Q_OBJECT cannot call tr()).
    struct NodeTileText {
        static QString leader() { return TopologyView::tr("leader"); }
        static QString server() { return TopologyView::tr("server"); }
        static QString more(int n) { return TopologyView::tr("+%n more", nullptr, n); }
    };
};

TopologyView::TopologyView(ClusterCache *cache, QWidget *parent)
    : QGraphicsView(parent), m_cache(cache), m_scene(new QGraphicsScene(this))
{
    setScene(m_scene);
    setRenderHint(QPainter::Antialiasing);
    setDragMode(QGraphicsView::RubberBandDrag);
    setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
    setAlignment(Qt::AlignLeft | Qt::AlignTop);
    setBackgroundBrush(QColor(0xf7, 0xf8, 0xfa));
    m_scene->setItemIndexMethod(QGraphicsScene::NoIndex);
    m_layoutTimer.setSingleShot(true);
    m_layoutTimer.setInterval(60);
    connect(&m_layoutTimer, &QTimer::timeout, this, [this] { layoutTiles(!m_firstLayout); });
    connect(m_scene, &QGraphicsScene::selectionChanged, this, [this] {
        const QString n = selectedNode();
        if (!n.isEmpty())
            emit nodeSelected(n);
    });
    connect(cache, &ClusterCache::topicReset, this, [this](stream::Topic t) {
        if (t == stream::Topic::Kv || t == stream::Topic::Members || m_rebuildPending)
            return;
        // Several Snapshots arrive back to back on connect: rebuild once, after the last.
        m_rebuildPending = true;
        QMetaObject::invokeMethod(this, [this] {
            if (m_rebuildPending)
                rebuild();
        }, Qt::QueuedConnection);
    });
    connect(cache, &ClusterCache::topicChanged, this, &TopologyView::onTopicChanged);
    rebuild();
}

TopologyView::~TopologyView() = default;

void TopologyView::rebuild()
{
    m_rebuildPending = false;
    const QString selected = selectedNode();
    QSet<QString> gone(m_tiles.keyBegin(), m_tiles.keyEnd());
    for (const model::Node &n : m_cache->nodes()) {
        gone.remove(n.node);
        refreshTile(n.node);
    }
    for (const QString &n : gone)
        delete m_tiles.take(n);
    if (!selected.isEmpty())
        selectNode(selected);
    scheduleLayout();
}

void TopologyView::onTopicChanged(stream::Topic topic, const QStringList &upserted, const QStringList &deleted)
{
    if (m_rebuildPending)
        return;
    auto nodeOf = [](const QString &id) { return id.section(QLatin1Char('/'), 0, 0); };
    bool layout = false;
    switch (topic) {
    case stream::Topic::Nodes:
        for (const QString &n : deleted) {
            delete m_tiles.take(n);
            layout = true;
        }
        for (const QString &n : upserted) {
            layout = layout || !m_tiles.contains(n);
            refreshTile(n);
        }
        break;
    case stream::Topic::Services:
    case stream::Topic::Checks: {
        QSet<QString> nodes;
        for (const QStringList *ids : {&upserted, &deleted})
            for (const QString &id : *ids)
                nodes.insert(nodeOf(id));
        for (const QString &n : nodes)
            if (m_tiles.contains(n))
                refreshTile(n);
        // Health or services moved: the filter may now hide or show tiles.
        layout = m_filter.health.size() || !m_filter.tag.isEmpty() || !m_filter.text.isEmpty();
        break;
    }
    case stream::Topic::Datacenters:
        for (auto it = m_tiles.begin(); it != m_tiles.end(); ++it)
            refreshTile(it.key());
        layout = true;
        break;
    case stream::Topic::Members:
    case stream::Topic::Kv:
        break;
    }
    if (layout)
        scheduleLayout();
}

void TopologyView::refreshTile(const QString &name)
{
    const auto nodeIt = m_cache->nodes().constFind(name);
    if (nodeIt == m_cache->nodes().cend())
        return;
    NodeTile *tile = m_tiles.value(name);
    if (!tile) {
        tile = new NodeTile(name);
        tile->setVisible(false);  // until the layout places it
        m_scene->addItem(tile);
        m_tiles.insert(name, tile);
        scheduleLayout();
    }
    tile->address = nodeIt->address;
    tile->health = m_cache->nodeHealth(name);
    tile->server = m_cache->isServer(name);
    tile->leader = m_cache->isLeader(name);
    tile->chips.clear();
    for (const model::Service &s : m_cache->servicesOf(name))
        tile->chips.append({s.service, m_cache->serviceHealth(name, s.id)});
    tile->setToolTip(tr("%1 — %2\n%n service(s)", nullptr, int(tile->chips.size())).arg(name, healthText(tile->health)));
    tile->update();
}

bool TopologyView::matches(const ClusterCache &cache, const QString &node, const TopologyFilter &f)
{
    if (!f.health.isEmpty() && !f.health.contains(cache.nodeHealth(node)))
        return false;
    const QList<model::Service> services = (f.text.isEmpty() && f.tag.isEmpty()) ? QList<model::Service>() : cache.servicesOf(node);
    if (!f.tag.isEmpty()) {
        bool found = false;
        for (const model::Service &s : services)
            found = found || s.tags.contains(f.tag, Qt::CaseInsensitive);
        if (!found)
            return false;
    }
    if (!f.text.isEmpty()) {
        if (node.contains(f.text, Qt::CaseInsensitive) || cache.nodes().value(node).address.contains(f.text))
            return true;
        for (const model::Service &s : services)
            if (s.service.contains(f.text, Qt::CaseInsensitive) || s.id.contains(f.text, Qt::CaseInsensitive))
                return true;
        return false;
    }
    return true;
}

bool TopologyView::matches(const QString &node) const
{
    return matches(*m_cache, node, m_filter);
}

void TopologyView::setFilter(const TopologyFilter &filter)
{
    if (filter == m_filter)
        return;
    m_filter = filter;
    scheduleLayout();
}

QString TopologyView::selectedNode() const
{
    const auto items = m_scene->selectedItems();
    for (QGraphicsItem *i : items)
        if (auto *t = dynamic_cast<NodeTile *>(i))
            return t->node;
    return {};
}

void TopologyView::selectNode(const QString &node)
{
    if (m_rebuildPending || m_layoutTimer.isActive())
        relayoutNow();  // a hidden (not yet placed) tile cannot be selected
    NodeTile *tile = m_tiles.value(node);
    if (!tile || (tile->isSelected() && m_scene->selectedItems().size() == 1))
        return;
    const QSignalBlocker block(m_scene);
    m_scene->clearSelection();
    tile->setSelected(true);
    if (tile->isVisible())
        ensureVisible(tile, 20, 20);
}

int TopologyView::visibleTileCount() const
{
    int n = 0;
    for (const NodeTile *t : m_tiles)
        n += t->isVisible() ? 1 : 0;
    return n;
}

void TopologyView::scheduleLayout()
{
    if (!m_layoutTimer.isActive())
        m_layoutTimer.start();
}

void TopologyView::relayoutNow()
{
    if (m_rebuildPending)
        rebuild();
    m_layoutTimer.stop();
    layoutTiles(false);
}

void TopologyView::resizeEvent(QResizeEvent *event)
{
    QGraphicsView::resizeEvent(event);
    if (event->size().width() != event->oldSize().width())
        scheduleLayout();
}

void TopologyView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        rebuild();
    QGraphicsView::changeEvent(event);
}

void TopologyView::layoutTiles(bool animate)
{
    m_firstLayout = false;
    for (QGraphicsItem *f : m_frames)
        delete f;
    m_frames.clear();
    const qreal width = std::max<qreal>(viewport()->width(), kTileW + 2 * (kMargin + kFramePad));
    const int columns = std::max(1, int((width - 2 * (kMargin + kFramePad) + kGap) / (kTileW + kGap)));

    // Datacenters in name order, nodes by name inside each.
    QMap<QString, QStringList> byDc;
    for (const DatacenterInfo &dc : m_cache->datacenters())
        byDc[dc.name];
    for (const model::Node &n : m_cache->nodes())
        if (matches(n.node))
            byDc[n.datacenter].append(n.node);
    QSet<QString> shown;
    qreal y = kMargin;
    const qreal frameW = columns * (kTileW + kGap) - kGap + 2 * kFramePad;
    for (auto it = byDc.cbegin(); it != byDc.cend(); ++it) {
        const QStringList &nodes = it.value();
        const int rows = std::max(1, int((nodes.size() + columns - 1) / columns));
        const qreal frameH = kTitleH + rows * (kTileH + kGap) - kGap + kFramePad;
        auto *frame = m_scene->addRect(QRectF(kMargin, y, frameW, frameH), QPen(QColor(0xd5, 0xd9, 0xe0)), QColor(Qt::white));
        frame->setZValue(-10);
        m_frames.append(frame);
        const DatacenterInfo dc = m_cache->datacenters().value(it.key());
        QString title = tr("Datacenter %1").arg(it.key());
        title += QStringLiteral("   ·   ") + tr("%n node(s)", nullptr, int(nodes.size()));
        if (!dc.leader.isEmpty())
            title += QStringLiteral("   ·   ") + tr("leader %1").arg(dc.leader);
        auto *text = m_scene->addSimpleText(title);
        QFont f = font();
        f.setBold(true);
        f.setPointSizeF(f.pointSizeF() * 1.1);
        text->setFont(f);
        text->setBrush(QColor(0x30, 0x36, 0x40));
        text->setPos(kMargin + kFramePad, y + 9);
        text->setZValue(-9);
        m_frames.append(text);
        for (int i = 0; i < nodes.size(); ++i) {
            NodeTile *tile = m_tiles.value(nodes[i]);
            if (!tile)
                continue;
            const QPointF p(kMargin + kFramePad + (i % columns) * (kTileW + kGap),
                            y + kTitleH + (i / columns) * (kTileH + kGap));
            tile->moveTo(p, animate);
            tile->setVisible(true);
            shown.insert(nodes[i]);
        }
        y += frameH + kGap * 1.5;
    }
    for (auto it = m_tiles.begin(); it != m_tiles.end(); ++it)
        if (!shown.contains(it.key())) {
            it.value()->setVisible(false);
            it.value()->setSelected(false);
        }
    m_scene->setSceneRect(QRectF(0, 0, kMargin * 2 + frameW, y + kMargin));
}

}  // namespace conclave::gui
