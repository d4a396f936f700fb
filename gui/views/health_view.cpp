#include "gui/views/health_view.h"

#include "gui/models/health_style.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace conclave::gui {

/// Text over node, service, check and output; state by HealthRole.
class HealthFilterProxy : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setText(const QString &t)
    {
        m_text = t;
        invalidateFilter();
    }
    void setState(Health h)
    {
        m_state = h;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex &parent) const override
    {
        const QAbstractItemModel *m = sourceModel();
        if (m_state != Health::Unknown && m->index(row, 0, parent).data(HealthModel::HealthRole).toInt() != int(m_state))
            return false;
        if (m_text.isEmpty())
            return true;
        for (int c : {HealthModel::NodeColumn, HealthModel::ServiceColumn, HealthModel::CheckColumn, HealthModel::OutputColumn})
            if (m->index(row, c, parent).data().toString().contains(m_text, Qt::CaseInsensitive))
                return true;
        return false;
    }

private:
    QString m_text;
    Health m_state = Health::Unknown;
};

HealthView::HealthView(ClusterCache *cache, QWidget *parent)
    : QWidget(parent), m_model(new HealthModel(cache, this)), m_proxy(new HealthFilterProxy(this))
{
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(HealthModel::SortRole);
    m_proxy->setDynamicSortFilter(true);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    auto *bar = new QHBoxLayout;
    m_search = new QLineEdit;
    m_search->setClearButtonEnabled(true);
    m_state = new QComboBox;
    for (int i = 0; i < 4; ++i)
        m_state->addItem(QString());
    m_state->setItemIcon(1, healthIcon(Health::Passing));
    m_state->setItemIcon(2, healthIcon(Health::Warning));
    m_state->setItemIcon(3, healthIcon(Health::Critical));
    bar->addWidget(m_search, 1);
    bar->addWidget(m_state);
    layout->addLayout(bar);

    m_table = new QTableView;
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(HealthModel::StatusColumn, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 10);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(HealthModel::OutputColumn, QHeaderView::Stretch);
    m_table->setColumnWidth(HealthModel::NodeColumn, 160);
    m_table->setColumnWidth(HealthModel::ServiceColumn, 130);
    m_table->setColumnWidth(HealthModel::CheckColumn, 190);
    m_table->setColumnWidth(HealthModel::StatusColumn, 110);
    m_table->setColumnWidth(HealthModel::ChangedColumn, 170);
    layout->addWidget(m_table, 1);

    connect(m_search, &QLineEdit::textChanged, this, &HealthView::setTextFilter);
    connect(m_state, &QComboBox::currentIndexChanged, this, [this](int i) { m_proxy->setState(Health(i)); });
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &i) {
        emit nodeActivated(i.data(HealthModel::NodeNameRole).toString());
    });
    retranslate();
}

QSortFilterProxyModel *HealthView::proxy() const
{
    return m_proxy;
}

void HealthView::setTextFilter(const QString &text)
{
    if (m_search->text() != text)
        m_search->setText(text);
    m_proxy->setText(text);
}

void HealthView::setStateFilter(Health state)
{
    m_state->setCurrentIndex(int(state));
}

void HealthView::retranslate()
{
    m_search->setPlaceholderText(tr("Filter by node, service, check or output"));
    m_state->setItemText(0, tr("All states"));
    m_state->setItemText(1, healthText(Health::Passing));
    m_state->setItemText(2, healthText(Health::Warning));
    m_state->setItemText(3, healthText(Health::Critical));
}

void HealthView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

}  // namespace conclave::gui
