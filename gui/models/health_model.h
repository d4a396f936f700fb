#pragma once
// HealthModel: every check of the cluster as a flat table (node, service, check, status, output,
// last change), over a ClusterCache. Changed checks emit dataChanged for their row only; new
// checks are inserted and gone ones removed in place. Sorting and filtering are left to a
// QSortFilterProxyModel in the view (SortRole gives sortable values).
//
// Owned by the main window; GUI thread only.

#include "gui/state/cluster_cache.h"

#include <QAbstractTableModel>

namespace conclave::gui {

class HealthModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { NodeColumn, ServiceColumn, CheckColumn, StatusColumn, OutputColumn, ChangedColumn, ColumnCount };
    enum Role { HealthRole = Qt::UserRole + 1, SortRole, NodeNameRole };

    explicit HealthModel(ClusterCache *cache, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void reset();
    void onTopicChanged(stream::Topic topic, const QStringList &upserted, const QStringList &deleted);
    int rowOf(const QString &id) const;

    ClusterCache *m_cache;
    QStringList m_ids;  // sorted check row ids "<node>/<CheckID>"
};

}  // namespace conclave::gui
