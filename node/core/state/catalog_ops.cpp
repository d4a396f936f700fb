#include "core/state/catalog_ops.h"

#include "core/state/store_access.h"

#include <QSet>
#include <algorithm>

namespace conclave::state {

namespace {

using ServiceKey = StoreAccess::ServiceKey;
using CheckKey = StoreAccess::CheckKey;

/// A service query's answer changed: raise its name's index and wake its watchers.
void touchServiceName(WriteTxn &txn, const QString &name)
{
    txn.touchTable(tables::serviceIndex(name));
    txn.touchKey(WatchSet::serviceName(name));
}

/// Service queries embed the node's fields and its node-level checks, so a change to either
/// touches every service on the node (Consul updateAllServiceIndexesOfNode).
void touchServicesOfNode(WriteTxn &txn, const QString &node)
{
    const auto &services = StoreAccess::services(txn.store());
    for (auto it = services.lower_bound(ServiceKey{node, QString()});
         it != services.end() && it->first.node == node; ++it)
        touchServiceName(txn, it->second.service);
}

void unindexInstance(StateStore &s, const QString &name, const ServiceKey &key)
{
    auto &instances = StoreAccess::serviceInstances(s);
    auto it = instances.find(name.toLower());
    if (it == instances.end())
        return;
    it->second.erase(key);
    if (it->second.empty())
        instances.erase(it);
}

/// Equal apart from the Raft indexes (Consul's IsSame checks).
template <typename T>
bool sameIgnoringIndex(const T &a, const T &b)
{
    T copy = a;
    copy.index = b.index;
    return copy == b;
}

QString validate(StateStore &store, const model::RegisterRequest &req,
                 const model::Service &service, const QList<model::Check> &checks)
{
    if (req.node.isEmpty())
        return QStringLiteral("Must provide node");
    if (req.address.isEmpty() && !req.skipNodeUpdate)
        return QStringLiteral("Must provide address");
    if (req.hasService && service.service.isEmpty())
        return QStringLiteral("Must provide service name");
    for (const model::Check &c : checks) {
        if (c.checkId.isEmpty())
            return QStringLiteral("Must provide check ID or name");
        if (c.node != req.node) {
            return QStringLiteral("Check node '%1' does not match register node '%2'")
                .arg(c.node, req.node);
        }
        if (c.serviceId.isEmpty())
            continue;
        const bool inRequest = req.hasService && service.id == c.serviceId;
        const bool inStore = StoreAccess::services(store).count(ServiceKey{req.node, c.serviceId}) > 0;
        if (!inRequest && !inStore) {
            return QStringLiteral("Unknown service ID '%1' for check ID '%2'")
                .arg(c.serviceId, c.checkId);
        }
    }
    return QString();
}

void ensureNode(WriteTxn &txn, const model::RegisterRequest &req)
{
    auto &nodes = StoreAccess::nodes(txn.store());
    auto it = nodes.find(req.node);
    if (it != nodes.end() && req.skipNodeUpdate)
        return;
    model::Node node;
    node.id = req.id;
    node.node = req.node;
    node.address = req.address;
    node.datacenter = req.datacenter;
    node.taggedAddresses = req.taggedAddresses;
    node.meta = req.nodeMeta;
    if (it != nodes.end()) {
        if (sameIgnoringIndex(node, it->second))
            return;  // anti-entropy re-registers constantly; an unchanged node must not wake anyone
        node.index = {it->second.index.createIndex, txn.index()};
        it->second = node;
    } else {
        node.index = {txn.index(), txn.index()};
        nodes.emplace(req.node, node);
    }
    txn.touchTable(tables::Nodes);
    txn.touchKey(WatchSet::nodeName(req.node));
    touchServicesOfNode(txn, req.node);
}

void ensureService(WriteTxn &txn, const QString &nodeName, model::Service service)
{
    StateStore &s = txn.store();
    auto &services = StoreAccess::services(s);
    const ServiceKey key{nodeName, service.id};
    auto it = services.find(key);
    if (it != services.end()) {
        if (sameIgnoringIndex(service, it->second))
            return;
        service.index = {it->second.index.createIndex, txn.index()};
        if (it->second.service.compare(service.service, Qt::CaseInsensitive) != 0) {
            unindexInstance(s, it->second.service, key);
            touchServiceName(txn, it->second.service);
        }
        it->second = service;
    } else {
        service.index = {txn.index(), txn.index()};
        services.emplace(key, service);
    }
    StoreAccess::serviceInstances(s)[service.service.toLower()].insert(key);
    txn.touchTable(tables::Services);
    txn.touchKey(WatchSet::nodeName(nodeName));
    touchServiceName(txn, service.service);
}

void ensureCheck(WriteTxn &txn, model::Check check)
{
    StateStore &s = txn.store();
    if (check.status.isEmpty())
        check.status = model::status::Critical;
    if (!check.serviceId.isEmpty()) {
        // Validated before any mutation: the service exists by now.
        const model::Service &svc = StoreAccess::services(s).at(ServiceKey{check.node, check.serviceId});
        check.serviceName = svc.service;
        check.serviceTags = svc.tags;
    }
    auto &checks = StoreAccess::checks(s);
    const CheckKey key{check.node, check.checkId};
    auto it = checks.find(key);
    if (it != checks.end()) {
        if (sameIgnoringIndex(check, it->second))
            return;
        check.index = {it->second.index.createIndex, txn.index()};
        it->second = check;
    } else {
        check.index = {txn.index(), txn.index()};
        checks.emplace(key, check);
    }
    txn.touchTable(tables::Checks);
    txn.touchKey(WatchSet::nodeName(check.node));
    touchServicesOfNode(txn, check.node);
}

}  // namespace

// ---- writes

QString catalogEnsureRegistration(WriteTxn &txn, const model::RegisterRequest &req)
{
    // Consul fills these defaults in the RPC endpoint before the request reaches the log; doing
    // it here keeps the FSM correct for any proposer.
    model::Service service = req.service;
    if (req.hasService && service.id.isEmpty())
        service.id = service.service;
    QList<model::Check> checks = req.checks;
    for (model::Check &c : checks) {
        if (c.checkId.isEmpty())
            c.checkId = c.name;
        if (c.node.isEmpty())
            c.node = req.node;
    }
    const QString error = validate(txn.store(), req, service, checks);
    if (!error.isEmpty())
        return error;

    ensureNode(txn, req);
    if (req.hasService)
        ensureService(txn, req.node, service);
    for (const model::Check &c : std::as_const(checks))
        ensureCheck(txn, c);
    return QString();
}

QString catalogDeregister(WriteTxn &txn, const model::DeregisterRequest &req)
{
    if (req.node.isEmpty())
        return QStringLiteral("Must provide node");
    // Same precedence as Consul's fsm applyDeregister.
    if (!req.serviceId.isEmpty())
        catalogDeleteService(txn, req.node, req.serviceId);
    else if (!req.checkId.isEmpty())
        catalogDeleteCheck(txn, req.node, req.checkId);
    else
        catalogDeleteNode(txn, req.node);
    return QString();
}

void catalogDeleteCheck(WriteTxn &txn, const QString &node, const QString &checkId)
{
    StateStore &s = txn.store();
    auto &checks = StoreAccess::checks(s);
    auto it = checks.find(CheckKey{node, checkId});
    if (it == checks.end())
        return;
    const QString serviceId = it->second.serviceId;
    checks.erase(it);
    txn.touchTable(tables::Checks);
    txn.touchKey(WatchSet::nodeName(node));
    if (serviceId.isEmpty()) {
        touchServicesOfNode(txn, node);
    } else {
        const auto &services = StoreAccess::services(s);
        auto svc = services.find(ServiceKey{node, serviceId});
        if (svc != services.end())
            touchServiceName(txn, svc->second.service);
    }
}

void catalogDeleteService(WriteTxn &txn, const QString &node, const QString &serviceId)
{
    StateStore &s = txn.store();
    auto &services = StoreAccess::services(s);
    const ServiceKey key{node, serviceId};
    auto it = services.find(key);
    if (it == services.end())
        return;
    const QString name = it->second.service;
    // The service's checks go with it.
    auto &checks = StoreAccess::checks(s);
    for (auto c = checks.lower_bound(CheckKey{node, QString()});
         c != checks.end() && c->first.node == node;) {
        if (c->second.serviceId == serviceId) {
            c = checks.erase(c);
            txn.touchTable(tables::Checks);
        } else {
            ++c;
        }
    }
    services.erase(it);
    unindexInstance(s, name, key);
    txn.touchTable(tables::Services);
    txn.touchKey(WatchSet::nodeName(node));
    touchServiceName(txn, name);
}

void catalogDeleteNode(WriteTxn &txn, const QString &node)
{
    StateStore &s = txn.store();
    auto &nodes = StoreAccess::nodes(s);
    auto it = nodes.find(node);
    if (it == nodes.end())
        return;
    auto &services = StoreAccess::services(s);
    QStringList serviceIds;
    for (auto svc = services.lower_bound(ServiceKey{node, QString()});
         svc != services.end() && svc->first.node == node; ++svc)
        serviceIds.append(svc->first.id);
    for (const QString &id : std::as_const(serviceIds))
        catalogDeleteService(txn, node, id);
    auto &checks = StoreAccess::checks(s);
    auto first = checks.lower_bound(CheckKey{node, QString()});
    auto last = first;
    while (last != checks.end() && last->first.node == node)
        ++last;
    if (first != last) {
        checks.erase(first, last);
        txn.touchTable(tables::Checks);
    }
    nodes.erase(it);
    txn.touchTable(tables::Nodes);
    txn.touchKey(WatchSet::nodeName(node));
}

// ---- reads

Result<QList<model::Node>> StateStore::nodes(WatchSet *ws) const
{
    if (ws)
        ws->add(WatchSet::table(tables::Nodes));
    Result<QList<model::Node>> r;
    r.value.reserve(qsizetype(m_nodes.size()));
    for (const auto &[name, node] : m_nodes)
        r.value.append(node);
    r.index = maxIndex({tables::Nodes});
    return r;
}

Result<std::optional<model::Node>> StateStore::node(const QString &name, WatchSet *ws) const
{
    if (ws)
        ws->add(WatchSet::nodeName(name));
    Result<std::optional<model::Node>> r;
    auto it = m_nodes.find(name);
    if (it != m_nodes.end())
        r.value = it->second;
    r.index = maxIndex({tables::Nodes});
    return r;
}

Result<QMap<QString, QStringList>> StateStore::services(WatchSet *ws) const
{
    if (ws)
        ws->add(WatchSet::table(tables::Services));
    QMap<QString, QSet<QString>> tags;
    for (const auto &[key, svc] : m_services) {
        QSet<QString> &set = tags[svc.service];
        for (const QString &t : svc.tags)
            set.insert(t);
    }
    Result<QMap<QString, QStringList>> r;
    for (auto it = tags.cbegin(); it != tags.cend(); ++it) {
        QStringList list(it.value().cbegin(), it.value().cend());
        list.sort();
        r.value.insert(it.key(), list);
    }
    r.index = maxIndex({tables::Services});
    return r;
}

namespace {

bool hasAllTags(const model::Service &svc, const QStringList &tags)
{
    for (const QString &want : tags) {
        const bool found = std::any_of(svc.tags.cbegin(), svc.tags.cend(), [&](const QString &t) {
            return t.compare(want, Qt::CaseInsensitive) == 0;
        });
        if (!found)
            return false;
    }
    return true;
}

}  // namespace

Result<QList<model::ServiceNode>> StateStore::serviceNodes(const QString &service,
                                                           const QStringList &tags,
                                                           WatchSet *ws) const
{
    if (ws)
        ws->add(WatchSet::serviceName(service));
    Result<QList<model::ServiceNode>> r;
    auto inst = m_serviceInstances.find(service.toLower());
    if (inst != m_serviceInstances.end()) {
        for (const ServiceKey &key : inst->second) {
            const model::Service &svc = m_services.at(key);
            if (!hasAllTags(svc, tags))
                continue;
            r.value.append(model::ServiceNode{m_nodes.at(key.node), svc});
        }
    }
    r.index = StoreAccess::serviceQueryIndex(*this, service);
    return r;
}

Result<std::optional<model::NodeServices>> StateStore::nodeServices(const QString &node,
                                                                    WatchSet *ws) const
{
    if (ws)
        ws->add(WatchSet::nodeName(node));
    Result<std::optional<model::NodeServices>> r;
    auto it = m_nodes.find(node);
    if (it != m_nodes.end()) {
        model::NodeServices ns{it->second, {}};
        for (auto svc = m_services.lower_bound(ServiceKey{node, QString()});
             svc != m_services.end() && svc->first.node == node; ++svc)
            ns.services.append(svc->second);
        r.value = ns;
    }
    r.index = maxIndex({tables::Nodes, tables::Services});
    return r;
}

}  // namespace conclave::state
