#pragma once
// NodeDetail: everything about one node: address, datacenter, ID, gossip status, meta, its
// services and its checks. Follows the ClusterCache and refreshes (throttled) when that node moves.
//
// Owned by the main window; GUI thread only.

#include "gui/state/cluster_cache.h"

#include <QTimer>
#include <QWidget>

class QLabel;
class QTreeWidget;
class QFormLayout;
class QGroupBox;

namespace conclave::gui {

class NodeDetail : public QWidget {
    Q_OBJECT
public:
    explicit NodeDetail(ClusterCache *cache, QWidget *parent = nullptr);

    void showNode(const QString &node);
    QString node() const { return m_node; }

protected:
    void changeEvent(QEvent *event) override;

private:
    void refresh();
    void retranslate();

    ClusterCache *m_cache;
    QString m_node;
    QTimer m_throttle;
    QLabel *m_title;
    QLabel *m_badges;
    QFormLayout *m_form;
    QLabel *m_address, *m_dc, *m_id, *m_gossip;
    QGroupBox *m_metaBox, *m_servicesBox, *m_checksBox;
    QTreeWidget *m_meta, *m_services, *m_checks;
};

}  // namespace conclave::gui
