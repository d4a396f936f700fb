#pragma once
// The FSM's in-memory state: KV entries (+ tombstones), nodes, services and checks, each row with
// its Raft indexes, a per-table max index, and watch sets for blocking queries.
// Modelled on Consul's agent/consul/state (state_store.go, kvs.go, catalog.go).
//
// Single-threaded: owned by the agent, used on the event-loop thread only. Pure: no I/O, no clock.
// Writes happen only through a WriteTxn opened at a Raft index (see fsm.h); watches fire after
// commit(), never inside a transaction.

#include "core/state/watch.h"
#include "shared/model/types.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>
#include <functional>
#include <map>
#include <optional>
#include <set>

namespace conclave::state {

/// Table names, also used as WatchSet::table() keys and in the per-table index.
namespace tables {
inline const QString Kvs = QStringLiteral("kvs");
inline const QString Tombstones = QStringLiteral("tombstones");
inline const QString Nodes = QStringLiteral("nodes");
inline const QString Services = QStringLiteral("services");
inline const QString Checks = QStringLiteral("checks");
/// Per-service-name index (Consul's "service.<name>" index entries): raised whenever an instance
/// of that service, its node or a check on its node changes, so that service queries never see
/// their index go backwards when an instance disappears. Name is lower-cased.
inline QString serviceIndex(const QString &serviceName)
{
    return QStringLiteral("service.") + serviceName.toLower();
}
}  // namespace tables

/// A read result: the index that describes it (never below 1) and the value.
template <typename T>
struct Result {
    quint64 index = 1;
    T value;
};

class StateStore;

/// An open write at one Raft index. Ops in kv_ops.h / catalog_ops.h take it. commit() raises the
/// touched tables' indexes and then fires the watches; a txn destroyed without commit() still
/// commits (the FSM has no rollback: every op validates before it mutates).
class WriteTxn {
public:
    WriteTxn(StateStore &store, quint64 index);
    ~WriteTxn();
    WriteTxn(const WriteTxn &) = delete;
    WriteTxn &operator=(const WriteTxn &) = delete;

    quint64 index() const { return m_index; }
    StateStore &store() { return m_store; }

    /// Records that `table` changed (raises its index at commit) and which watch keys fire.
    void touchTable(const QString &table);
    void touchKey(const QString &watchKey);
    void touchKvKey(const QString &key);  // fires kvKey(key) and every kvPrefix that is a prefix of key

    void commit();

private:
    StateStore &m_store;
    quint64 m_index;
    bool m_committed = false;
    QSet<QString> m_tables;
    QSet<QString> m_keys;
    QSet<QString> m_kvKeys;
};

class StateStore {
public:
    StateStore() = default;

    // ---- KV reads (kv_ops.cpp). Index rules as Consul kvs.go.
    /// Exact key. Index = entry's ModifyIndex, or the KV table index (incl. tombstones) if absent.
    Result<std::optional<model::KvEntry>> kvGet(const QString &key, WatchSet *ws = nullptr) const;
    /// Every entry whose key starts with prefix, sorted by key. Index = max ModifyIndex under the
    /// prefix including tombstones; empty prefix = whole-table index.
    Result<QList<model::KvEntry>> kvList(const QString &prefix, WatchSet *ws = nullptr) const;
    /// Keys under prefix; with a separator each key is cut after the first separator that follows
    /// the prefix, and duplicates dropped. Same index as kvList.
    Result<QStringList> kvKeys(const QString &prefix, const QString &separator,
                               WatchSet *ws = nullptr) const;

    // ---- catalog and health reads (catalog_ops.cpp, health_ops.cpp)
    // Indexes: nodes()/node() = nodes table; services() = services table; nodeServices() = max of
    // nodes and services; nodeChecks()/checksInState() = checks table; serviceNodes(),
    // checkServiceNodes() and serviceChecks() = the service name's own index (tables::serviceIndex),
    // or the services table for a name never registered. Watches: the table read, or
    // WatchSet::nodeName(node) (node row, its services or checks changed) or
    // WatchSet::serviceName(name) (an instance, its node or a check on its node changed).
    Result<QList<model::Node>> nodes(WatchSet *ws = nullptr) const;  // sorted by name
    Result<std::optional<model::Node>> node(const QString &name, WatchSet *ws = nullptr) const;
    /// Service name → union of tags (sorted, unique), over all nodes.
    Result<QMap<QString, QStringList>> services(WatchSet *ws = nullptr) const;
    /// Instances of a service (name case-insensitive) having every tag in `tags` (case-insensitive).
    Result<QList<model::ServiceNode>> serviceNodes(const QString &service, const QStringList &tags,
                                                   WatchSet *ws = nullptr) const;
    /// A node with its services; nullopt when the node is unknown.
    Result<std::optional<model::NodeServices>> nodeServices(const QString &node,
                                                            WatchSet *ws = nullptr) const;
    Result<QList<model::Check>> nodeChecks(const QString &node, WatchSet *ws = nullptr) const;
    Result<QList<model::Check>> serviceChecks(const QString &service, WatchSet *ws = nullptr) const;
    /// Instances with node-level checks plus the instance's checks. `passingOnly` drops an instance
    /// if any of those checks is not passing.
    Result<QList<model::CheckServiceNode>> checkServiceNodes(const QString &service,
                                                             const QStringList &tags, bool passingOnly,
                                                             WatchSet *ws = nullptr) const;
    /// Checks in a state: "any", "passing", "warning" or "critical".
    Result<QList<model::Check>> checksInState(const QString &state, WatchSet *ws = nullptr) const;

    /// Max index of the named tables (>= 1).
    quint64 maxIndex(const QStringList &tables) const;
    /// The index serviceNodes(), checkServiceNodes() and serviceChecks() report for `service`,
    /// without reading any row: it changes whenever their answer for that name may have changed
    /// (Consul maxIndexAndWatchChForService).
    quint64 serviceQueryIndex(const QString &service) const;
    /// Raised each time restore() replaces the whole store. Indexes identify a state only within
    /// one epoch (a restored snapshot may bring an older or an unrelated history).
    quint64 epoch() const { return m_epoch; }
    /// Highest index ever committed to this store (0 for an empty store).
    quint64 lastIndex() const { return m_lastIndex; }

    WatchRegistry &watches() { return m_watches; }

    /// Whole-store snapshot as CBOR (tables, tombstones, indexes). restore() replaces the store
    /// and fires every watch; on a malformed snapshot it returns false, sets error and changes nothing.
    QByteArray snapshot() const;
    bool restore(const QByteArray &cbor, QString *error);
    /// snapshot() in two steps, for encoding off the event loop: copies the tables now (rows share
    /// their strings and values with the store, so this is much cheaper than encoding) and returns
    /// a callable that encodes that copy, once, on any thread. Later writes do not show in it.
    std::function<QByteArray()> snapshotTask() const;

private:
    friend class WriteTxn;
    friend struct StoreAccess;  // the *_ops.cpp translation units

    struct ServiceKey {
        QString node, id;
        bool operator<(const ServiceKey &o) const { return node != o.node ? node < o.node : id < o.id; }
    };
    struct CheckKey {
        QString node, id;
        bool operator<(const CheckKey &o) const { return node != o.node ? node < o.node : id < o.id; }
    };

    struct Tables;
    static QByteArray encodeSnapshot(const Tables &tables);

    std::map<QString, model::KvEntry> m_kvs;
    std::map<QString, quint64> m_tombstones;  // deleted key → index of the delete
    std::map<QString, model::Node> m_nodes;
    std::map<ServiceKey, model::Service> m_services;
    std::map<CheckKey, model::Check> m_checks;
    // Secondary index: lower-cased service name → instances, so service queries skip the scan.
    std::map<QString, std::set<ServiceKey>> m_serviceInstances;
    QHash<QString, quint64> m_tableIndex;
    quint64 m_lastIndex = 0;
    quint64 m_epoch = 0;
    WatchRegistry m_watches;
};

}  // namespace conclave::state
