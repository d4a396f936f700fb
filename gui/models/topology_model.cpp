#include "gui/models/topology_model.h"

#include "gui/models/health_style.h"

#include <QApplication>
#include <QFont>
#include <QStyle>

namespace conclave::gui {

struct TopologyModel::Item {
    Kind kind = Kind::Datacenter;
    QString key;      // dc name, node name, or service row id "<node>/<ID>"
    QString sortKey;  // unique among siblings; children are kept sorted by it
    Item *parent = nullptr;
    std::vector<std::unique_ptr<Item>> children;

    int row() const
    {
        if (!parent)
            return 0;
        const auto &sibs = parent->children;
        const auto it = std::lower_bound(sibs.begin(), sibs.end(), sortKey,
                                         [](const std::unique_ptr<Item> &a, const QString &k) { return a->sortKey < k; });
        return int(it - sibs.begin());
    }
    int insertPos(const QString &k) const
    {
        const auto it = std::lower_bound(children.begin(), children.end(), k,
                                         [](const std::unique_ptr<Item> &a, const QString &key) { return a->sortKey < key; });
        return int(it - children.begin());
    }
};

namespace {

QString serviceSortKey(const model::Service &s)
{
    return s.service + QChar(1) + s.id;
}

}  // namespace

TopologyModel::TopologyModel(ClusterCache *cache, QObject *parent)
    : QAbstractItemModel(parent), m_cache(cache), m_root(std::make_unique<Item>())
{
    connect(cache, &ClusterCache::topicReset, this, [this](stream::Topic t) {
        if (t != stream::Topic::Kv && t != stream::Topic::Members)
            scheduleRebuild();
    });
    connect(cache, &ClusterCache::topicChanged, this, &TopologyModel::onTopicChanged);
    rebuild();
}

TopologyModel::~TopologyModel() = default;

void TopologyModel::scheduleRebuild()
{
    // A connect delivers several Snapshots back to back: rebuild once, after the last of them.
    if (m_rebuildPending)
        return;
    m_rebuildPending = true;
    QMetaObject::invokeMethod(this, &TopologyModel::flushPendingRebuild, Qt::QueuedConnection);
}

void TopologyModel::flushPendingRebuild()
{
    if (m_rebuildPending)
        rebuild();
}

void TopologyModel::rebuild()
{
    m_rebuildPending = false;
    beginResetModel();
    m_root = std::make_unique<Item>();
    m_nodeItems.clear();
    QMap<QString, Item *> dcs;
    auto dcItem = [&](const QString &name) {
        Item *&d = dcs[name];
        if (!d) {
            auto item = std::make_unique<Item>();
            item->kind = Kind::Datacenter;
            item->key = item->sortKey = name;
            item->parent = m_root.get();
            d = item.get();
            m_root->children.push_back(std::move(item));
        }
        return d;
    };
    for (const DatacenterInfo &dc : m_cache->datacenters())
        dcItem(dc.name);
    for (const model::Node &n : m_cache->nodes()) {
        Item *dc = dcItem(n.datacenter);
        auto node = std::make_unique<Item>();
        node->kind = Kind::Node;
        node->key = node->sortKey = n.node;
        node->parent = dc;
        for (const model::Service &s : m_cache->servicesOf(n.node)) {
            auto svc = std::make_unique<Item>();
            svc->kind = Kind::Service;
            svc->key = n.node + QLatin1Char('/') + s.id;
            svc->sortKey = serviceSortKey(s);
            svc->parent = node.get();
            node->children.push_back(std::move(svc));
        }
        m_nodeItems.insert(n.node, node.get());
        dc->children.push_back(std::move(node));  // nodes() is sorted by name
    }
    std::sort(m_root->children.begin(), m_root->children.end(),
              [](const auto &a, const auto &b) { return a->sortKey < b->sortKey; });
    for (auto &dc : m_root->children)
        std::sort(dc->children.begin(), dc->children.end(), [](const auto &a, const auto &b) { return a->sortKey < b->sortKey; });
    endResetModel();
}

QModelIndex TopologyModel::indexOf(const Item *item, int column) const
{
    if (!item || item == m_root.get())
        return {};
    return createIndex(item->row(), column, const_cast<Item *>(item));
}

TopologyModel::Item *TopologyModel::ensureDc(const QString &dc)
{
    for (auto &c : m_root->children)
        if (c->key == dc)
            return c.get();
    auto item = std::make_unique<Item>();
    item->kind = Kind::Datacenter;
    item->key = item->sortKey = dc;
    Item *raw = item.get();
    insertChild(m_root.get(), std::move(item));
    return raw;
}

void TopologyModel::insertChild(Item *parent, std::unique_ptr<Item> child)
{
    const int pos = parent->insertPos(child->sortKey);
    child->parent = parent;
    beginInsertRows(indexOf(parent), pos, pos);
    parent->children.insert(parent->children.begin() + pos, std::move(child));
    endInsertRows();
}

void TopologyModel::removeChild(Item *parent, int row)
{
    beginRemoveRows(indexOf(parent), row, row);
    parent->children.erase(parent->children.begin() + row);
    endRemoveRows();
}

void TopologyModel::onTopicChanged(stream::Topic topic, const QStringList &upserted, const QStringList &deleted)
{
    if (m_rebuildPending)
        return;  // the pending rebuild reads the cache as it is by then
    switch (topic) {
    case stream::Topic::Nodes:
        nodesChanged(upserted, deleted);
        break;
    case stream::Topic::Services: {
        QSet<QString> nodes;
        for (const QStringList *ids : {&upserted, &deleted})
            for (const QString &id : *ids)
                nodes.insert(id.section(QLatin1Char('/'), 0, 0));
        for (const QString &n : nodes)
            syncServices(n);
        for (const QString &id : upserted) {  // changed in place (tags, port)
            const QString n = id.section(QLatin1Char('/'), 0, 0);
            if (Item *node = m_nodeItems.value(n))
                for (auto &c : node->children)
                    if (c->key == id)
                        emit dataChanged(indexOf(c.get(), 0), indexOf(c.get(), ColumnCount - 1));
        }
        break;
    }
    case stream::Topic::Checks: {
        QSet<QString> nodes;
        for (const QStringList *ids : {&upserted, &deleted})
            for (const QString &id : *ids)
                nodes.insert(id.section(QLatin1Char('/'), 0, 0));
        for (const QString &n : nodes)
            refreshNodeRows(n);
        break;
    }
    case stream::Topic::Datacenters:
        for (const QString &dc : upserted) {
            Item *d = ensureDc(dc);
            emit dataChanged(indexOf(d, 0), indexOf(d, ColumnCount - 1));
            for (auto &n : d->children)
                emit dataChanged(indexOf(n.get(), 0), indexOf(n.get(), ColumnCount - 1));
        }
        break;
    case stream::Topic::Members:
    case stream::Topic::Kv:
        break;
    }
}

void TopologyModel::nodesChanged(const QStringList &upserted, const QStringList &deleted)
{
    for (const QString &name : deleted) {
        Item *node = m_nodeItems.take(name);
        if (!node)
            continue;
        Item *dc = node->parent;
        removeChild(dc, node->row());
    }
    for (const QString &name : upserted) {
        const model::Node n = m_cache->nodes().value(name);
        Item *existing = m_nodeItems.value(name);
        if (existing && existing->parent->key == n.datacenter) {
            emit dataChanged(indexOf(existing, 0), indexOf(existing, ColumnCount - 1));
            continue;
        }
        if (existing) {
            m_nodeItems.remove(name);
            removeChild(existing->parent, existing->row());
        }
        Item *dc = ensureDc(n.datacenter);
        auto node = std::make_unique<Item>();
        node->kind = Kind::Node;
        node->key = node->sortKey = name;
        Item *raw = node.get();
        insertChild(dc, std::move(node));
        m_nodeItems.insert(name, raw);
        syncServices(name);
    }
}

void TopologyModel::syncServices(const QString &nodeName)
{
    Item *node = m_nodeItems.value(nodeName);
    if (!node)
        return;
    const QList<model::Service> services = m_cache->servicesOf(nodeName);
    QSet<QString> wanted;
    for (const model::Service &s : services)
        wanted.insert(serviceSortKey(s));
    for (int i = int(node->children.size()) - 1; i >= 0; --i)
        if (!wanted.contains(node->children[size_t(i)]->sortKey))
            removeChild(node, i);
    for (const model::Service &s : services) {
        const QString sk = serviceSortKey(s);
        const int pos = node->insertPos(sk);
        if (pos < int(node->children.size()) && node->children[size_t(pos)]->sortKey == sk)
            continue;
        auto svc = std::make_unique<Item>();
        svc->kind = Kind::Service;
        svc->key = nodeName + QLatin1Char('/') + s.id;
        svc->sortKey = sk;
        insertChild(node, std::move(svc));
    }
}

void TopologyModel::refreshNodeRows(const QString &nodeName)
{
    Item *node = m_nodeItems.value(nodeName);
    if (!node)
        return;
    emit dataChanged(indexOf(node, 0), indexOf(node, ColumnCount - 1));
    if (!node->children.empty())
        emit dataChanged(indexOf(node->children.front().get(), 0),
                         indexOf(node->children.back().get(), ColumnCount - 1));
}

QModelIndex TopologyModel::nodeIndex(const QString &node) const
{
    return indexOf(m_nodeItems.value(node));
}

QModelIndex TopologyModel::index(int row, int column, const QModelIndex &parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    const Item *p = parent.isValid() ? static_cast<Item *>(parent.internalPointer()) : m_root.get();
    if (parent.isValid() && parent.column() != 0)
        return {};
    if (row >= int(p->children.size()))
        return {};
    return createIndex(row, column, p->children[size_t(row)].get());
}

QModelIndex TopologyModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    const Item *item = static_cast<Item *>(child.internalPointer());
    return indexOf(item->parent);
}

int TopologyModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_root->children.size());
    if (parent.column() != 0)
        return 0;
    return int(static_cast<Item *>(parent.internalPointer())->children.size());
}

int TopologyModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant TopologyModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn: return tr("Name");
    case AddressColumn: return tr("Address");
    case HealthColumn: return tr("Health");
    case TagsColumn: return tr("Tags");
    default: return {};
    }
}

QVariant TopologyModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const Item *item = static_cast<Item *>(index.internalPointer());
    const int col = index.column();
    switch (item->kind) {
    case Kind::Datacenter: {
        const DatacenterInfo dc = m_cache->datacenters().value(item->key);
        if (role == KindRole)
            return int(Kind::Datacenter);
        if (role == Qt::DisplayRole) {
            if (col == NameColumn)
                return item->key;
            if (col == AddressColumn)
                return tr("%n node(s)", nullptr, int(item->children.size()));
            if (col == TagsColumn && !dc.leader.isEmpty())
                return tr("leader: %1").arg(dc.leader);
        }
        if (role == Qt::DecorationRole && col == NameColumn && qApp)
            return QApplication::style()->standardIcon(QStyle::SP_DriveNetIcon);
        if (role == Qt::FontRole && col == NameColumn) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    }
    case Kind::Node: {
        const model::Node n = m_cache->nodes().value(item->key);
        const Health h = m_cache->nodeHealth(item->key);
        switch (role) {
        case KindRole: return int(Kind::Node);
        case NodeNameRole: return n.node;
        case HealthRole: return int(h);
        case IsServerRole: return m_cache->isServer(n.node);
        case IsLeaderRole: return m_cache->isLeader(n.node);
        case TagsRole: return QStringList();
        case Qt::DisplayRole:
            if (col == NameColumn) {
                if (m_cache->isLeader(n.node))
                    return tr("%1 (leader)").arg(n.node);
                if (m_cache->isServer(n.node))
                    return tr("%1 (server)").arg(n.node);
                return n.node;
            }
            if (col == AddressColumn)
                return n.address;
            if (col == HealthColumn)
                return healthText(h);
            return {};
        case Qt::DecorationRole:
            if (col == NameColumn && qApp)
                return QApplication::style()->standardIcon(QStyle::SP_ComputerIcon);
            if (col == HealthColumn)
                return healthIcon(h);
            return {};
        case Qt::ToolTipRole:
            return tr("Node %1 in %2, %3").arg(n.node, n.datacenter, n.address);
        default:
            return {};
        }
    }
    case Kind::Service: {
        const ServiceRow row = m_cache->services().value(item->key);
        const model::Service &s = row.service;
        const Health h = m_cache->serviceHealth(row.node, s.id);
        switch (role) {
        case KindRole: return int(Kind::Service);
        case NodeNameRole: return row.node;
        case ServiceIdRole: return s.id;
        case HealthRole: return int(h);
        case TagsRole: return s.tags;
        case Qt::DisplayRole:
            if (col == NameColumn)
                return s.id == s.service ? s.service : QStringLiteral("%1 (%2)").arg(s.service, s.id);
            if (col == AddressColumn) {
                const QString addr = s.address.isEmpty() ? m_cache->nodes().value(row.node).address : s.address;
                return s.port ? QStringLiteral("%1:%2").arg(addr).arg(s.port) : addr;
            }
            if (col == HealthColumn)
                return healthText(h);
            if (col == TagsColumn)
                return s.tags.join(QStringLiteral(", "));
            return {};
        case Qt::DecorationRole:
            if (col == NameColumn && qApp)
                return QApplication::style()->standardIcon(QStyle::SP_FileDialogDetailedView);
            if (col == HealthColumn)
                return healthIcon(h);
            return {};
        default:
            return {};
        }
    }
    }
    return {};
}

}  // namespace conclave::gui
