#include "gui/models/kv_tree_model.h"

#include <QApplication>
#include <QLocale>
#include <QStyle>

namespace conclave::gui {

struct KvTreeModel::Item {
    QString name;      // the segment, with its trailing '/' for folders
    QString fullKey;
    bool folder = false;
    bool hasValue = false;
    Item *parent = nullptr;
    std::vector<std::unique_ptr<Item>> children;  // folders first, then by name

    static bool less(const Item &a, bool folder, const QString &name)
    {
        if (a.folder != folder)
            return a.folder;  // folders sort before keys
        return a.name < name;
    }
    int posFor(bool folder, const QString &name) const
    {
        const auto it = std::lower_bound(children.begin(), children.end(), 0,
                                         [&](const std::unique_ptr<Item> &c, int) { return less(*c, folder, name); });
        return int(it - children.begin());
    }
    int row() const { return parent ? parent->posFor(folder, name) : 0; }
};

KvTreeModel::KvTreeModel(ClusterCache *cache, QObject *parent)
    : QAbstractItemModel(parent), m_cache(cache), m_root(std::make_unique<Item>())
{
    m_root->folder = true;
    connect(cache, &ClusterCache::topicReset, this, [this](stream::Topic t) {
        if (t == stream::Topic::Kv)
            reset();
    });
    connect(cache, &ClusterCache::topicChanged, this, &KvTreeModel::onTopicChanged);
    reset();
}

KvTreeModel::~KvTreeModel() = default;

QModelIndex KvTreeModel::indexOf(const Item *item, int column) const
{
    if (!item || item == m_root.get())
        return {};
    return createIndex(item->row(), column, const_cast<Item *>(item));
}

KvTreeModel::Item *KvTreeModel::child(Item *parent, const QString &segment, bool folder, bool create)
{
    const int pos = parent->posFor(folder, segment);
    if (pos < int(parent->children.size())) {
        Item *c = parent->children[size_t(pos)].get();
        if (c->folder == folder && c->name == segment)
            return c;
    }
    if (!create)
        return nullptr;
    auto item = std::make_unique<Item>();
    item->name = segment;
    item->folder = folder;
    item->fullKey = parent->fullKey + segment;
    item->parent = parent;
    Item *raw = item.get();
    beginInsertRows(indexOf(parent), pos, pos);
    parent->children.insert(parent->children.begin() + pos, std::move(item));
    endInsertRows();
    m_byKey.insert(raw->fullKey, raw);
    return raw;
}

void KvTreeModel::reset()
{
    beginResetModel();
    m_root = std::make_unique<Item>();
    m_root->folder = true;
    m_byKey.clear();
    // Build directly (no per-row signals inside a reset): keys arrive sorted, so appends suffice
    // except that folders sort before keys; a final sort per level fixes that.
    for (auto it = m_cache->kv().cbegin(); it != m_cache->kv().cend(); ++it) {
        const QString &key = it.key();
        Item *at = m_root.get();
        qsizetype start = 0;
        for (;;) {
            const qsizetype slash = key.indexOf(QLatin1Char('/'), start);
            const bool folder = slash >= 0;
            const QString segment = folder ? key.mid(start, slash - start + 1) : key.mid(start);
            if (segment.isEmpty())
                break;
            Item *next = nullptr;
            if (!at->children.empty() && at->children.back()->name == segment && at->children.back()->folder == folder)
                next = at->children.back().get();
            if (!next) {
                const QString full = at->fullKey + segment;
                next = m_byKey.value(full);
                if (!next) {
                    auto item = std::make_unique<Item>();
                    item->name = segment;
                    item->folder = folder;
                    item->fullKey = full;
                    item->parent = at;
                    next = item.get();
                    at->children.push_back(std::move(item));
                    m_byKey.insert(full, next);
                }
            }
            at = next;
            if (!folder || slash + 1 >= key.size())
                break;
            start = slash + 1;
        }
        at->hasValue = true;
    }
    std::function<void(Item *)> sortAll = [&](Item *item) {
        std::sort(item->children.begin(), item->children.end(), [](const auto &a, const auto &b) {
            return Item::less(*a, b->folder, b->name);
        });
        for (auto &c : item->children)
            sortAll(c.get());
    };
    sortAll(m_root.get());
    endResetModel();
}

void KvTreeModel::onTopicChanged(stream::Topic topic, const QStringList &upserted, const QStringList &deleted)
{
    if (topic != stream::Topic::Kv)
        return;
    for (const QString &key : deleted)
        remove(key);
    for (const QString &key : upserted)
        upsert(key);
}

void KvTreeModel::upsert(const QString &key)
{
    if (Item *existing = m_byKey.value(key)) {
        existing->hasValue = true;
        emit dataChanged(indexOf(existing, 0), indexOf(existing, ColumnCount - 1));
        return;
    }
    Item *at = m_root.get();
    qsizetype start = 0;
    while (start < key.size()) {
        const qsizetype slash = key.indexOf(QLatin1Char('/'), start);
        const bool folder = slash >= 0;
        const QString segment = folder ? key.mid(start, slash - start + 1) : key.mid(start);
        at = child(at, segment, folder, true);
        if (!folder)
            break;
        start = slash + 1;
    }
    if (at != m_root.get()) {
        at->hasValue = true;
        emit dataChanged(indexOf(at, 0), indexOf(at, ColumnCount - 1));
    }
}

void KvTreeModel::remove(const QString &key)
{
    Item *item = m_byKey.value(key);
    if (!item)
        return;
    item->hasValue = false;
    // Drop the item and every ancestor left with neither a value nor children.
    while (item && item != m_root.get() && !item->hasValue && item->children.empty()) {
        Item *parent = item->parent;
        const int row = item->row();
        m_byKey.remove(item->fullKey);
        beginRemoveRows(indexOf(parent), row, row);
        parent->children.erase(parent->children.begin() + row);
        endRemoveRows();
        item = parent;
    }
    if (item && item != m_root.get())
        emit dataChanged(indexOf(item, 0), indexOf(item, ColumnCount - 1));
}

QModelIndex KvTreeModel::indexForKey(const QString &fullKey) const
{
    return indexOf(m_byKey.value(fullKey));
}

int KvTreeModel::entryCountUnder(const QString &folderKey) const
{
    int n = 0;
    for (auto it = m_cache->kv().lowerBound(folderKey); it != m_cache->kv().cend() && it.key().startsWith(folderKey); ++it)
        ++n;
    return n;
}

QModelIndex KvTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount || (parent.isValid() && parent.column() != 0))
        return {};
    const Item *p = parent.isValid() ? static_cast<Item *>(parent.internalPointer()) : m_root.get();
    if (row >= int(p->children.size()))
        return {};
    return createIndex(row, column, p->children[size_t(row)].get());
}

QModelIndex KvTreeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    return indexOf(static_cast<Item *>(child.internalPointer())->parent);
}

int KvTreeModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_root->children.size());
    if (parent.column() != 0)
        return 0;
    return int(static_cast<Item *>(parent.internalPointer())->children.size());
}

int KvTreeModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant KvTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case KeyColumn: return tr("Key");
    case SizeColumn: return tr("Size");
    case IndexColumn: return tr("Modify index");
    default: return {};
    }
}

QVariant KvTreeModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const Item *item = static_cast<Item *>(index.internalPointer());
    switch (role) {
    case FullKeyRole: return item->fullKey;
    case IsFolderRole: return item->folder;
    case HasValueRole: return item->hasValue;
    case Qt::DisplayRole: {
        if (index.column() == KeyColumn)
            return item->name;
        if (!item->hasValue)
            return index.column() == SizeColumn && item->folder ? tr("%n item(s)", nullptr, int(item->children.size())) : QVariant();
        const auto it = m_cache->kv().constFind(item->fullKey);
        if (it == m_cache->kv().cend())
            return {};
        if (index.column() == SizeColumn)
            return QLocale().formattedDataSize(it->value.size(), 1, QLocale::DataSizeTraditionalFormat);
        if (index.column() == IndexColumn)
            return QString::number(it->index.modifyIndex);
        return {};
    }
    case Qt::DecorationRole:
        if (index.column() == KeyColumn && qApp)
            return QApplication::style()->standardIcon(item->folder ? QStyle::SP_DirIcon : QStyle::SP_FileIcon);
        return {};
    case Qt::TextAlignmentRole:
        return index.column() == KeyColumn ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    case Qt::ToolTipRole:
        return item->fullKey;
    default:
        return {};
    }
}

}  // namespace conclave::gui
