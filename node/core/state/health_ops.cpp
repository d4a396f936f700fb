// Health reads on the StateStore (Consul agent/consul/state/catalog.go: NodeChecks, ServiceChecks,
// CheckServiceNodes, ChecksInState). Writes to checks live in catalog_ops.cpp.

#include "core/state/store_access.h"

namespace conclave::state {

namespace {
using ServiceKey = StoreAccess::ServiceKey;
using CheckKey = StoreAccess::CheckKey;
}  // namespace

Result<QList<model::Check>> StateStore::nodeChecks(const QString &node, WatchSet *ws) const
{
    if (ws)
        ws->add(WatchSet::nodeName(node));
    Result<QList<model::Check>> r;
    for (auto it = m_checks.lower_bound(CheckKey{node, QString()});
         it != m_checks.end() && it->first.node == node; ++it)
        r.value.append(it->second);
    r.index = maxIndex({tables::Checks});
    return r;
}

Result<QList<model::Check>> StateStore::serviceChecks(const QString &service, WatchSet *ws) const
{
    if (ws)
        ws->add(WatchSet::serviceName(service));
    Result<QList<model::Check>> r;
    auto inst = m_serviceInstances.find(service.toLower());
    if (inst != m_serviceInstances.end()) {
        for (const ServiceKey &key : inst->second) {
            for (auto it = m_checks.lower_bound(CheckKey{key.node, QString()});
                 it != m_checks.end() && it->first.node == key.node; ++it) {
                if (it->second.serviceId == key.id)
                    r.value.append(it->second);
            }
        }
    }
    r.index = StoreAccess::serviceQueryIndex(*this, service);
    return r;
}

Result<QList<model::CheckServiceNode>> StateStore::checkServiceNodes(const QString &service,
                                                                     const QStringList &tags,
                                                                     bool passingOnly,
                                                                     WatchSet *ws) const
{
    if (ws)
        ws->add(WatchSet::serviceName(service));
    Result<QList<model::CheckServiceNode>> r;
    // The same instances (and tag filter) as the catalog query, joined with their checks.
    const QList<model::ServiceNode> instances = serviceNodes(service, tags).value;
    for (const model::ServiceNode &sn : instances) {
        model::CheckServiceNode csn{sn.node, sn.service, {}};
        bool passing = true;
        for (auto it = m_checks.lower_bound(CheckKey{sn.node.node, QString()});
             it != m_checks.end() && it->first.node == sn.node.node; ++it) {
            const model::Check &c = it->second;
            if (!c.serviceId.isEmpty() && c.serviceId != sn.service.id)
                continue;
            passing = passing && c.status == model::status::Passing;
            csn.checks.append(c);
        }
        // ?passing: warning counts as failing too (Consul health_endpoint filterNonPassing).
        if (passingOnly && !passing)
            continue;
        r.value.append(csn);
    }
    r.index = StoreAccess::serviceQueryIndex(*this, service);
    return r;
}

Result<QList<model::Check>> StateStore::checksInState(const QString &state, WatchSet *ws) const
{
    if (ws)
        ws->add(WatchSet::table(tables::Checks));
    Result<QList<model::Check>> r;
    const bool any = state == QLatin1String("any");
    for (const auto &[key, check] : m_checks) {
        if (any || check.status == state)
            r.value.append(check);
    }
    r.index = maxIndex({tables::Checks});
    return r;
}

}  // namespace conclave::state
