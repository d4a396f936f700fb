#pragma once
// HealthView: the table of every check, sortable by any column and filtered by text and state.
// Owned by the main window; GUI thread only.

#include "gui/models/health_model.h"

#include <QWidget>

class QLineEdit;
class QComboBox;
class QTableView;
class QSortFilterProxyModel;

namespace conclave::gui {

class HealthFilterProxy;

class HealthView : public QWidget {
    Q_OBJECT
public:
    explicit HealthView(ClusterCache *cache, QWidget *parent = nullptr);

    QTableView *table() const { return m_table; }
    HealthModel *model() const { return m_model; }
    QSortFilterProxyModel *proxy() const;
    void setTextFilter(const QString &text);
    /// Health::Unknown = every state.
    void setStateFilter(Health state);

signals:
    void nodeActivated(const QString &node);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();

    HealthModel *m_model;
    HealthFilterProxy *m_proxy;
    QLineEdit *m_search;
    QComboBox *m_state;
    QTableView *m_table;
};

}  // namespace conclave::gui
