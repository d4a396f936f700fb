#pragma once
// Internal to conclave_state: lets the *_ops.cpp translation units reach the StateStore's tables
// (Consul's ...Txn functions reach the memdb tables the same way). Not for use outside this folder.

#include "core/state/state_store.h"

namespace conclave::state {

struct StoreAccess {
    using ServiceKey = StateStore::ServiceKey;
    using CheckKey = StateStore::CheckKey;

    static std::map<QString, model::KvEntry> &kvs(StateStore &s) { return s.m_kvs; }
    static std::map<QString, quint64> &tombstones(StateStore &s) { return s.m_tombstones; }
    static std::map<QString, model::Node> &nodes(StateStore &s) { return s.m_nodes; }
    static std::map<ServiceKey, model::Service> &services(StateStore &s) { return s.m_services; }
    static std::map<CheckKey, model::Check> &checks(StateStore &s) { return s.m_checks; }
    static std::map<QString, std::set<ServiceKey>> &serviceInstances(StateStore &s)
    {
        return s.m_serviceInstances;
    }
    static QHash<QString, quint64> &tableIndex(StateStore &s) { return s.m_tableIndex; }
    static quint64 &lastIndex(StateStore &s) { return s.m_lastIndex; }

    /// Index of a per-service query (StateStore::serviceQueryIndex).
    static quint64 serviceQueryIndex(const StateStore &s, const QString &name) { return s.serviceQueryIndex(name); }
};

}  // namespace conclave::state
