#pragma once
// TopologyModel: datacenters → nodes → services as a tree, over a ClusterCache. Updates in place:
// a changed node or service emits dataChanged for its row, new rows are inserted at their sorted
// position and gone rows removed, so views keep their selection and scroll position. Only a
// Snapshot (connect, resync) resets the model.
//
// Owned by the main window; GUI thread only; reads the cache, never the network.

#include "gui/state/cluster_cache.h"

#include <QAbstractItemModel>
#include <memory>
#include <vector>

namespace conclave::gui {

class TopologyModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, AddressColumn, HealthColumn, TagsColumn, ColumnCount };
    enum class Kind { Datacenter, Node, Service };
    enum Role {
        KindRole = Qt::UserRole + 1,  // int(Kind)
        NodeNameRole,                 // the node of a node or service row
        ServiceIdRole,
        HealthRole,                   // int(Health)
        TagsRole,                     // QStringList (services)
        IsServerRole,
        IsLeaderRole,
    };

    explicit TopologyModel(ClusterCache *cache, QObject *parent = nullptr);
    ~TopologyModel() override;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// The row of a node (column 0), invalid if unknown.
    QModelIndex nodeIndex(const QString &node) const;

    struct Item;

    /// Runs a rebuild that a Snapshot scheduled, now (tests, benchmarks).
    void flushPendingRebuild();

private:
    void rebuild();
    void scheduleRebuild();
    void onTopicChanged(stream::Topic topic, const QStringList &upserted, const QStringList &deleted);
    void nodesChanged(const QStringList &upserted, const QStringList &deleted);
    void syncServices(const QString &node);
    void refreshNodeRows(const QString &node);
    Item *ensureDc(const QString &dc);
    QModelIndex indexOf(const Item *item, int column = 0) const;
    void insertChild(Item *parent, std::unique_ptr<Item> child);
    void removeChild(Item *parent, int row);

    ClusterCache *m_cache;
    std::unique_ptr<Item> m_root;
    QHash<QString, Item *> m_nodeItems;
    bool m_rebuildPending = false;
};

}  // namespace conclave::gui
