#include "gui/models/health_model.h"

#include "gui/models/health_style.h"

#include <QFontDatabase>

namespace conclave::gui {

HealthModel::HealthModel(ClusterCache *cache, QObject *parent) : QAbstractTableModel(parent), m_cache(cache)
{
    connect(cache, &ClusterCache::topicReset, this, [this](stream::Topic t) {
        if (t == stream::Topic::Checks)
            reset();
    });
    connect(cache, &ClusterCache::topicChanged, this, &HealthModel::onTopicChanged);
    reset();
}

void HealthModel::reset()
{
    beginResetModel();
    m_ids = m_cache->checks().keys();  // QMap keys are sorted
    endResetModel();
}

int HealthModel::rowOf(const QString &id) const
{
    const auto it = std::lower_bound(m_ids.cbegin(), m_ids.cend(), id);
    return (it != m_ids.cend() && *it == id) ? int(it - m_ids.cbegin()) : -1;
}

void HealthModel::onTopicChanged(stream::Topic topic, const QStringList &upserted, const QStringList &deleted)
{
    if (topic != stream::Topic::Checks)
        return;
    for (const QString &id : deleted) {
        const int row = rowOf(id);
        if (row < 0)
            continue;
        beginRemoveRows({}, row, row);
        m_ids.removeAt(row);
        endRemoveRows();
    }
    for (const QString &id : upserted) {
        const int row = rowOf(id);
        if (row >= 0) {
            emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
            continue;
        }
        const int pos = int(std::lower_bound(m_ids.cbegin(), m_ids.cend(), id) - m_ids.cbegin());
        beginInsertRows({}, pos, pos);
        m_ids.insert(pos, id);
        endInsertRows();
    }
}

int HealthModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_ids.size());
}

int HealthModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant HealthModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NodeColumn: return tr("Node");
    case ServiceColumn: return tr("Service");
    case CheckColumn: return tr("Check");
    case StatusColumn: return tr("Status");
    case OutputColumn: return tr("Output");
    case ChangedColumn: return tr("Last change");
    default: return {};
    }
}

QVariant HealthModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_ids.size()))
        return {};
    const QString &id = m_ids[index.row()];
    const auto it = m_cache->checks().constFind(id);
    if (it == m_cache->checks().cend())
        return {};
    const model::Check &c = *it;
    const Health h = healthFromStatus(c.status);
    if (role == HealthRole)
        return int(h);
    if (role == NodeNameRole)
        return c.node;
    if (role == SortRole) {
        if (index.column() == StatusColumn)
            return int(h);
        if (index.column() == ChangedColumn)
            return double(c.index.modifyIndex);
        return data(index, Qt::DisplayRole);
    }
    const int col = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (col) {
        case NodeColumn: return c.node;
        case ServiceColumn: return c.serviceName;
        case CheckColumn: return c.name.isEmpty() ? c.checkId : c.name;
        case StatusColumn: return healthText(h);
        case OutputColumn: return c.output.simplified();
        case ChangedColumn: {
            const QDateTime at = m_cache->checkChangedAt(id);
            return at.isValid() ? tr("%1 (index %2)").arg(at.toString(QStringLiteral("HH:mm:ss"))).arg(c.index.modifyIndex)
                                : tr("index %1").arg(c.index.modifyIndex);
        }
        default: return {};
        }
    case Qt::DecorationRole:
        return col == StatusColumn ? QVariant(healthIcon(h)) : QVariant();
    case Qt::ForegroundRole:
        return col == StatusColumn ? QVariant(healthColor(h).darker(115)) : QVariant();
    case Qt::ToolTipRole:
        return col == OutputColumn ? QVariant(c.output) : QVariant(c.checkId);
    case Qt::FontRole:
        return col == OutputColumn ? QVariant(QFontDatabase::systemFont(QFontDatabase::FixedFont)) : QVariant();
    default:
        return {};
    }
}

}  // namespace conclave::gui
