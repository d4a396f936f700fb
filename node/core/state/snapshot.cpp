// StateStore::snapshot() / restore(): the whole store as one CBOR map (format below). Restore
// decodes and cross-checks everything into fresh tables first and swaps them in only when all of
// it is valid, so a torn or corrupt snapshot leaves the store untouched.

#include "core/state/cbor_model.h"
#include "core/state/state_store.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborStreamReader>

namespace conclave::state {

namespace {

// {Version: 1, LastIndex: n, TableIndex: {name: index}, Kvs: [entry], Tombstones: [[key, index]],
//  Nodes: [node], Services: [[node, service]], Checks: [check]}
namespace snapkey {
enum : int {
    Version = 0, LastIndex = 1, TableIndex = 2, Kvs = 3, Tombstones = 4, Nodes = 5, Services = 6,
    Checks = 7
};
}
constexpr qint64 kFormatVersion = 1;

QCborArray arrayOf(const QCborMap &m, int key, bool &ok, QString &error, const char *what)
{
    const QCborValue v = m.value(key);
    if (!v.isArray()) {
        ok = false;
        error = QStringLiteral("snapshot: %1 is not an array").arg(QLatin1String(what));
        return {};
    }
    return v.toArray();
}

}  // namespace

// What snapshot() reads, by reference (snapshot()) or as a copy (snapshotTask()).
struct StateStore::Tables {
    const std::map<QString, model::KvEntry> &kvs;
    const std::map<QString, quint64> &tombstones;
    const std::map<QString, model::Node> &nodes;
    const std::map<ServiceKey, model::Service> &services;
    const std::map<CheckKey, model::Check> &checks;
    const QHash<QString, quint64> &tableIndex;
    quint64 lastIndex;
};

QByteArray StateStore::snapshot() const
{
    return encodeSnapshot(Tables{m_kvs, m_tombstones, m_nodes, m_services, m_checks, m_tableIndex, m_lastIndex});
}

std::function<QByteArray()> StateStore::snapshotTask() const
{
    struct Copy {
        std::map<QString, model::KvEntry> kvs;
        std::map<QString, quint64> tombstones;
        std::map<QString, model::Node> nodes;
        std::map<ServiceKey, model::Service> services;
        std::map<CheckKey, model::Check> checks;
        QHash<QString, quint64> tableIndex;
        quint64 lastIndex;
    };
    auto copy = std::make_shared<const Copy>(
        Copy{m_kvs, m_tombstones, m_nodes, m_services, m_checks, m_tableIndex, m_lastIndex});
    return [copy] {
        return encodeSnapshot(Tables{copy->kvs, copy->tombstones, copy->nodes, copy->services, copy->checks,
                                     copy->tableIndex, copy->lastIndex});
    };
}

QByteArray StateStore::encodeSnapshot(const Tables &t)
{
    // Sorted, so that equal stores give identical bytes whatever QHash's seed.
    QStringList names = t.tableIndex.keys();
    names.sort();
    QCborMap indexes;
    for (const QString &name : std::as_const(names))
        indexes.insert(name, cbormodel::u64(t.tableIndex.value(name)));
    QCborArray kvs;
    for (const auto &[key, e] : t.kvs)
        kvs.append(cbormodel::encode(e));
    QCborArray tombs;
    for (const auto &[key, idx] : t.tombstones)
        tombs.append(QCborArray{key, cbormodel::u64(idx)});
    QCborArray nodes;
    for (const auto &[name, n] : t.nodes)
        nodes.append(cbormodel::encode(n));
    QCborArray services;
    for (const auto &[key, svc] : t.services)
        services.append(QCborArray{key.node, cbormodel::encode(svc)});
    QCborArray checks;
    for (const auto &[key, c] : t.checks)
        checks.append(cbormodel::encode(c));

    QCborMap m;
    m.insert(snapkey::Version, kFormatVersion);
    m.insert(snapkey::LastIndex, cbormodel::u64(t.lastIndex));
    m.insert(snapkey::TableIndex, indexes);
    m.insert(snapkey::Kvs, kvs);
    m.insert(snapkey::Tombstones, tombs);
    m.insert(snapkey::Nodes, nodes);
    m.insert(snapkey::Services, services);
    m.insert(snapkey::Checks, checks);
    return m.toCborValue().toCbor();
}

bool StateStore::restore(const QByteArray &cbor, QString *error)
{
    QString why;
    auto fail = [&](const QString &text) {
        if (error)
            *error = text;
        return false;
    };

    QCborStreamReader reader(cbor);
    const QCborValue top = QCborValue::fromCbor(reader);
    if (reader.lastError() != QCborError::NoError)
        return fail(QStringLiteral("snapshot: malformed CBOR: %1").arg(reader.lastError().toString()));
    if (reader.currentOffset() != cbor.size())
        return fail(QStringLiteral("snapshot: trailing bytes"));
    if (!top.isMap())
        return fail(QStringLiteral("snapshot: expected a map"));
    const QCborMap m = top.toMap();
    const QCborValue version = m.value(snapkey::Version);
    if (!version.isInteger() || version.toInteger() != kFormatVersion)
        return fail(QStringLiteral("snapshot: unsupported format version"));
    const QCborValue lastIndex = m.value(snapkey::LastIndex);
    if (!lastIndex.isInteger())
        return fail(QStringLiteral("snapshot: missing last index"));

    // Decode into fresh tables; nothing of *this changes until every row has passed.
    QHash<QString, quint64> tableIndex;
    const QCborValue indexes = m.value(snapkey::TableIndex);
    if (!indexes.isMap())
        return fail(QStringLiteral("snapshot: table indexes are not a map"));
    const QCborMap indexMap = indexes.toMap();
    for (auto it = indexMap.cbegin(); it != indexMap.cend(); ++it) {
        if (!it.key().isString() || !it.value().isInteger())
            return fail(QStringLiteral("snapshot: bad table index entry"));
        tableIndex.insert(it.key().toString(), quint64(it.value().toInteger()));
    }

    bool ok = true;
    std::map<QString, model::KvEntry> kvs;
    for (const QCborValue &v : arrayOf(m, snapkey::Kvs, ok, why, "kvs")) {
        model::KvEntry e;
        if (!cbormodel::decode(v, e, &why))
            return fail(QStringLiteral("snapshot: ") + why);
        // What no write could have stored: a restore must not bring it in either.
        if (e.key.isEmpty())
            return fail(QStringLiteral("snapshot: a KV entry with an empty key"));
        if (e.index.createIndex == 0 || e.index.modifyIndex < e.index.createIndex)
            return fail(QStringLiteral("snapshot: KV entry '%1' has impossible indexes (create %2, modify %3)")
                            .arg(e.key)
                            .arg(e.index.createIndex)
                            .arg(e.index.modifyIndex));
        if (!kvs.emplace(e.key, e).second)
            return fail(QStringLiteral("snapshot: duplicate key '%1'").arg(e.key));
    }
    if (!ok)
        return fail(why);

    std::map<QString, quint64> tombstones;
    for (const QCborValue &v : arrayOf(m, snapkey::Tombstones, ok, why, "tombstones")) {
        const QCborArray pair = v.toArray();
        if (!v.isArray() || pair.size() != 2 || !pair.at(0).isString() || !pair.at(1).isInteger())
            return fail(QStringLiteral("snapshot: bad tombstone"));
        tombstones[pair.at(0).toString()] = quint64(pair.at(1).toInteger());
    }
    if (!ok)
        return fail(why);

    std::map<QString, model::Node> nodes;
    for (const QCborValue &v : arrayOf(m, snapkey::Nodes, ok, why, "nodes")) {
        model::Node n;
        if (!cbormodel::decode(v, n, &why))
            return fail(QStringLiteral("snapshot: ") + why);
        if (n.node.isEmpty() || !nodes.emplace(n.node, n).second)
            return fail(QStringLiteral("snapshot: empty or duplicate node '%1'").arg(n.node));
    }
    if (!ok)
        return fail(why);

    std::map<ServiceKey, model::Service> services;
    std::map<QString, std::set<ServiceKey>> instances;
    for (const QCborValue &v : arrayOf(m, snapkey::Services, ok, why, "services")) {
        const QCborArray pair = v.toArray();
        if (!v.isArray() || pair.size() != 2 || !pair.at(0).isString())
            return fail(QStringLiteral("snapshot: bad service row"));
        model::Service svc;
        if (!cbormodel::decode(pair.at(1), svc, &why))
            return fail(QStringLiteral("snapshot: ") + why);
        const ServiceKey key{pair.at(0).toString(), svc.id};
        if (!nodes.count(key.node))
            return fail(QStringLiteral("snapshot: service '%1' on unknown node '%2'").arg(svc.id, key.node));
        if (!services.emplace(key, svc).second)
            return fail(QStringLiteral("snapshot: duplicate service '%1' on node '%2'").arg(svc.id, key.node));
        instances[svc.service.toLower()].insert(key);
    }
    if (!ok)
        return fail(why);

    std::map<CheckKey, model::Check> checks;
    for (const QCborValue &v : arrayOf(m, snapkey::Checks, ok, why, "checks")) {
        model::Check c;
        if (!cbormodel::decode(v, c, &why))
            return fail(QStringLiteral("snapshot: ") + why);
        if (!nodes.count(c.node))
            return fail(QStringLiteral("snapshot: check '%1' on unknown node '%2'").arg(c.checkId, c.node));
        if (!c.serviceId.isEmpty() && !services.count(ServiceKey{c.node, c.serviceId}))
            return fail(QStringLiteral("snapshot: check '%1' of unknown service '%2'").arg(c.checkId, c.serviceId));
        if (!checks.emplace(CheckKey{c.node, c.checkId}, c).second)
            return fail(QStringLiteral("snapshot: duplicate check '%1' on node '%2'").arg(c.checkId, c.node));
    }
    if (!ok)
        return fail(why);

    m_kvs = std::move(kvs);
    m_tombstones = std::move(tombstones);
    m_nodes = std::move(nodes);
    m_services = std::move(services);
    m_serviceInstances = std::move(instances);
    m_checks = std::move(checks);
    m_tableIndex = std::move(tableIndex);
    m_lastIndex = quint64(lastIndex.toInteger());
    ++m_epoch;
    // Consul's abandon channel: the whole store changed, every parked reader re-runs.
    m_watches.fireAll();
    return true;
}

}  // namespace conclave::state
