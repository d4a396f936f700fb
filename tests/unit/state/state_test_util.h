#pragma once
// Helpers shared by the state unit tests: run one op in its own WriteTxn, build requests.

#include "core/state/state_store.h"

#include <functional>

namespace conclave::state::test {

/// Runs `op` in a WriteTxn at `index` and commits it; returns what op returned.
template <typename Op>
auto inTxn(StateStore &store, quint64 index, Op op)
{
    WriteTxn txn(store, index);
    if constexpr (std::is_void_v<decltype(op(txn))>) {
        op(txn);
        txn.commit();
    } else {
        auto result = op(txn);
        txn.commit();
        return result;
    }
}

inline model::KvEntry kv(const QString &key, const QByteArray &value = {}, quint64 flags = 0,
                         quint64 casIndex = 0)
{
    model::KvEntry e;
    e.key = key;
    e.value = value;
    e.flags = flags;
    e.index.modifyIndex = casIndex;
    return e;
}

inline model::RegisterRequest reg(const QString &node, const QString &address = QStringLiteral("10.0.0.1"))
{
    model::RegisterRequest r;
    r.node = node;
    r.address = address;
    r.datacenter = QStringLiteral("dc1");
    return r;
}

inline model::RegisterRequest regService(const QString &node, const QString &name,
                                         const QString &id = {}, const QStringList &tags = {},
                                         int port = 80)
{
    model::RegisterRequest r = reg(node);
    r.hasService = true;
    r.service.service = name;
    r.service.id = id;
    r.service.tags = tags;
    r.service.port = port;
    return r;
}

inline model::Check check(const QString &name, const QString &status, const QString &serviceId = {})
{
    model::Check c;
    c.name = name;
    c.status = status;
    c.serviceId = serviceId;
    return c;
}

inline QStringList keysOf(const QList<model::KvEntry> &entries)
{
    QStringList keys;
    for (const auto &e : entries)
        keys.append(e.key);
    return keys;
}

}  // namespace conclave::state::test
