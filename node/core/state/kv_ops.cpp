#include "core/state/kv_ops.h"

#include "core/state/store_access.h"

#include <algorithm>

namespace conclave::state {

namespace {

void removeEntry(WriteTxn &txn, std::map<QString, model::KvEntry>::iterator it)
{
    StateStore &s = txn.store();
    const QString key = it->first;
    StoreAccess::kvs(s).erase(it);
    StoreAccess::tombstones(s)[key] = txn.index();
    txn.touchKvKey(key);
}

/// Max index of the entries and tombstones under prefix (0 if none). Consul kvs.go kvsListTxn.
template <typename Map, typename IndexOf>
quint64 maxUnderPrefix(const Map &map, const QString &prefix, IndexOf indexOf)
{
    quint64 idx = 0;
    for (auto it = map.lower_bound(prefix); it != map.end() && it->first.startsWith(prefix); ++it)
        idx = std::max(idx, indexOf(it->second));
    return idx;
}

}  // namespace

// ---- writes

void kvSet(WriteTxn &txn, const model::KvEntry &entry)
{
    auto &kvs = StoreAccess::kvs(txn.store());
    auto [it, inserted] = kvs.try_emplace(entry.key);
    model::KvEntry &row = it->second;
    const quint64 createIndex = inserted ? txn.index() : row.index.createIndex;
    const quint64 lockIndex = inserted ? 0 : row.lockIndex;
    const QString session = inserted ? QString() : row.session;
    row = entry;
    // A plain set never takes or drops a lock (Consul kvsSetTxn with updateSession=false).
    row.lockIndex = lockIndex;
    row.session = session;
    row.index = {createIndex, txn.index()};
    txn.touchTable(tables::Kvs);
    txn.touchKvKey(entry.key);
}

bool kvCas(WriteTxn &txn, const model::KvEntry &entry)
{
    const auto &kvs = StoreAccess::kvs(txn.store());
    auto it = kvs.find(entry.key);
    const quint64 want = entry.index.modifyIndex;
    if (want == 0 ? it != kvs.end() : (it == kvs.end() || it->second.index.modifyIndex != want))
        return false;
    kvSet(txn, entry);
    return true;
}

void kvDelete(WriteTxn &txn, const QString &key)
{
    auto &kvs = StoreAccess::kvs(txn.store());
    auto it = kvs.find(key);
    if (it == kvs.end())
        return;
    removeEntry(txn, it);
    txn.touchTable(tables::Kvs);
    txn.touchTable(tables::Tombstones);
}

void kvDeleteTree(WriteTxn &txn, const QString &prefix)
{
    auto &kvs = StoreAccess::kvs(txn.store());
    bool any = false;
    auto it = kvs.lower_bound(prefix);
    while (it != kvs.end() && it->first.startsWith(prefix)) {
        auto next = std::next(it);
        removeEntry(txn, it);
        it = next;
        any = true;
    }
    if (any) {
        txn.touchTable(tables::Kvs);
        txn.touchTable(tables::Tombstones);
    }
}

bool kvDeleteCas(WriteTxn &txn, const QString &key, quint64 modifyIndex)
{
    const auto &kvs = StoreAccess::kvs(txn.store());
    auto it = kvs.find(key);
    if (it == kvs.end())
        return true;  // Consul kvsDeleteCASTxn: nothing to delete counts as success
    if (it->second.index.modifyIndex != modifyIndex)
        return false;
    kvDelete(txn, key);
    return true;
}

void kvReapTombstones(WriteTxn &txn, quint64 uptoIndex)
{
    auto &tombs = StoreAccess::tombstones(txn.store());
    bool any = false;
    for (auto it = tombs.begin(); it != tombs.end();) {
        if (it->second <= uptoIndex) {
            it = tombs.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    if (any)
        txn.touchTable(tables::Tombstones);
}

// ---- reads

Result<std::optional<model::KvEntry>> StateStore::kvGet(const QString &key, WatchSet *ws) const
{
    if (ws)
        ws->add(WatchSet::kvKey(key));
    Result<std::optional<model::KvEntry>> r;
    auto it = m_kvs.find(key);
    if (it != m_kvs.end()) {
        r.value = it->second;
        r.index = std::max<quint64>(it->second.index.modifyIndex, 1);
    } else {
        r.index = maxIndex({tables::Kvs, tables::Tombstones});
    }
    return r;
}

namespace {

quint64 listIndex(const StateStore &s, const std::map<QString, model::KvEntry> &kvs,
                  const std::map<QString, quint64> &tombs, const QString &prefix)
{
    const QStringList kvTables{tables::Kvs, tables::Tombstones};
    if (prefix.isEmpty())
        return s.maxIndex(kvTables);
    const quint64 idx = std::max(
        maxUnderPrefix(kvs, prefix, [](const model::KvEntry &e) { return e.index.modifyIndex; }),
        maxUnderPrefix(tombs, prefix, [](quint64 i) { return i; }));
    return idx ? idx : s.maxIndex(kvTables);
}

}  // namespace

Result<QList<model::KvEntry>> StateStore::kvList(const QString &prefix, WatchSet *ws) const
{
    if (ws)
        ws->add(WatchSet::kvPrefix(prefix));
    Result<QList<model::KvEntry>> r;
    for (auto it = m_kvs.lower_bound(prefix); it != m_kvs.end() && it->first.startsWith(prefix); ++it)
        r.value.append(it->second);
    r.index = listIndex(*this, m_kvs, m_tombstones, prefix);
    return r;
}

Result<QStringList> StateStore::kvKeys(const QString &prefix, const QString &separator,
                                       WatchSet *ws) const
{
    if (ws)
        ws->add(WatchSet::kvPrefix(prefix));
    Result<QStringList> r;
    const qsizetype prefixLen = prefix.size();
    for (auto it = m_kvs.lower_bound(prefix); it != m_kvs.end() && it->first.startsWith(prefix); ++it) {
        const QString &key = it->first;
        QString out = key;
        if (!separator.isEmpty()) {
            const qsizetype sep = key.indexOf(separator, prefixLen);
            if (sep >= 0)
                out = key.left(sep + separator.size());
        }
        // Keys are sorted and a cut key's group is contiguous, so comparing with the last suffices.
        if (r.value.isEmpty() || r.value.constLast() != out)
            r.value.append(out);
    }
    r.index = listIndex(*this, m_kvs, m_tombstones, prefix);
    return r;
}

}  // namespace conclave::state
