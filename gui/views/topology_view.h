#pragma once
// TopologyView: the cluster as a picture (QGraphicsView): one frame per datacenter holding a tile
// per node, tiles tinted by the node's worst check, servers and the leader badged, services drawn
// as chips coloured by their own health. Tiles are updated in place and glide to new places when
// the layout changes, so selection and scroll position survive every update.
//
// Owned by the main window; GUI thread only; reads the ClusterCache (never JSON, never the
// network).

#include "gui/state/cluster_cache.h"

#include <QGraphicsView>
#include <QHash>
#include <QSet>
#include <QTimer>

namespace conclave::gui {

class NodeTile;

/// What the picture and the tree show; empty fields match everything.
struct TopologyFilter {
    QString text;             // node name, address or service name contains it (case-insensitive)
    QString tag;              // some service carries this tag
    QSet<Health> health;      // worst check state is one of these; empty = any
    bool operator==(const TopologyFilter &) const = default;
};

class TopologyView : public QGraphicsView {
    Q_OBJECT
public:
    explicit TopologyView(ClusterCache *cache, QWidget *parent = nullptr);
    ~TopologyView() override;

    void setFilter(const TopologyFilter &filter);
    /// True when the node passes the current filter (shared with the tree's proxy).
    bool matches(const QString &node) const;
    static bool matches(const ClusterCache &cache, const QString &node, const TopologyFilter &filter);

    QString selectedNode() const;
    void selectNode(const QString &node);
    int tileCount() const { return int(m_tiles.size()); }
    int visibleTileCount() const;
    /// Lays out now instead of on the next timer tick (tests, screenshots).
    void relayoutNow();

signals:
    void nodeSelected(const QString &node);

protected:
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void rebuild();
    void onTopicChanged(stream::Topic topic, const QStringList &upserted, const QStringList &deleted);
    void refreshTile(const QString &node);
    void scheduleLayout();
    void layoutTiles(bool animate);

    ClusterCache *m_cache;
    QGraphicsScene *m_scene;
    QHash<QString, NodeTile *> m_tiles;
    QList<QGraphicsItem *> m_frames;  // datacenter frames and titles, rebuilt by each layout
    TopologyFilter m_filter;
    QTimer m_layoutTimer;
    bool m_firstLayout = true;
    bool m_rebuildPending = false;
};

}  // namespace conclave::gui
