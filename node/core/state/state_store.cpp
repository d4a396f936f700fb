#include "core/state/state_store.h"

#include <algorithm>

namespace conclave::state {

WriteTxn::WriteTxn(StateStore &store, quint64 index) : m_store(store), m_index(index) {}

WriteTxn::~WriteTxn()
{
    // No rollback in the FSM: ops validate before they mutate, so an abandoned txn still holds
    // a consistent change that readers must be told about.
    if (!m_committed)
        commit();
}

void WriteTxn::touchTable(const QString &table)
{
    m_tables.insert(table);
}

void WriteTxn::touchKey(const QString &watchKey)
{
    m_keys.insert(watchKey);
}

void WriteTxn::touchKvKey(const QString &key)
{
    m_kvKeys.insert(key);
}

void WriteTxn::commit()
{
    if (m_committed)
        return;
    m_committed = true;
    QSet<QString> changed = m_keys;
    for (const QString &table : std::as_const(m_tables)) {
        quint64 &idx = m_store.m_tableIndex[table];
        idx = std::max(idx, m_index);
        changed.insert(WatchSet::table(table));
    }
    m_store.m_lastIndex = std::max(m_store.m_lastIndex, m_index);
    // Data and indexes are in place: only now may parked readers run.
    if (!changed.isEmpty() || !m_kvKeys.isEmpty())
        m_store.m_watches.notify(changed, m_kvKeys);
}

quint64 StateStore::maxIndex(const QStringList &tables) const
{
    quint64 idx = 0;
    for (const QString &t : tables)
        idx = std::max(idx, m_tableIndex.value(t, 0));
    return std::max<quint64>(idx, 1);
}

// The service name's own index, or the services table's index for a name never registered.
// Never below 1.
quint64 StateStore::serviceQueryIndex(const QString &service) const
{
    const quint64 idx = m_tableIndex.value(tables::serviceIndex(service), 0);
    return idx ? idx : maxIndex({tables::Services});
}

}  // namespace conclave::state
