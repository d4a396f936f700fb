#pragma once
// KvTreeModel: the mirrored KV keys as a tree split on '/', over a ClusterCache. "a/b/c" appears as
// folder "a/" → folder "b/" → key "c"; a key that itself ends in '/' is a folder that also holds a
// value. Updates in place (insert, dataChanged, remove and prune empty folders); a Snapshot resets.
//
// Owned by the KV editor; GUI thread only.

#include "gui/state/cluster_cache.h"

#include <QAbstractItemModel>
#include <memory>
#include <vector>

namespace conclave::gui {

class KvTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { KeyColumn, SizeColumn, IndexColumn, ColumnCount };
    enum Role {
        FullKeyRole = Qt::UserRole + 1,  // "a/b/" for folders, "a/b/c" for keys
        IsFolderRole,
        HasValueRole,  // an entry exists for FullKeyRole
    };

    explicit KvTreeModel(ClusterCache *cache, QObject *parent = nullptr);
    ~KvTreeModel() override;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// Column-0 index of a key or folder ("a/b/"), invalid if absent.
    QModelIndex indexForKey(const QString &fullKey) const;
    /// Number of entries at or under a folder (for the recursive-delete confirmation).
    int entryCountUnder(const QString &folderKey) const;

    struct Item;

private:
    void reset();
    void onTopicChanged(stream::Topic topic, const QStringList &upserted, const QStringList &deleted);
    void upsert(const QString &key);
    void remove(const QString &key);
    Item *child(Item *parent, const QString &segment, bool folder, bool create);
    QModelIndex indexOf(const Item *item, int column = 0) const;

    ClusterCache *m_cache;
    std::unique_ptr<Item> m_root;
    QHash<QString, Item *> m_byKey;
};

}  // namespace conclave::gui
