#pragma once
// Domain model shared by the agent and the viewer. Plain values, no behaviour: the state store
// (node/core/state) owns the rules, json/codec owns the wire spelling (Consul's field names).
//
// Durations are kept as nanoseconds (qint64), the unit Consul uses internally, so that a value
// read as "10s" or as 10000000000 round-trips unchanged.

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QtGlobal>

namespace conclave::model {

/// Raft indexes of a row: the log index that created it and the one that last changed it.
struct RaftIndex {
    quint64 createIndex = 0;
    quint64 modifyIndex = 0;
    bool operator==(const RaftIndex &) const = default;
};

/// One KV entry (`/v1/kv`). An empty `value` is reported as JSON null, as Consul does.
struct KvEntry {
    QString key;
    QByteArray value;
    quint64 flags = 0;
    quint64 lockIndex = 0;
    QString session;  // empty = not locked
    RaftIndex index;
    bool operator==(const KvEntry &) const = default;
};

/// A catalog node (`/v1/catalog/nodes`).
struct Node {
    QString id;          // UUID, may be empty for external nodes
    QString node;        // name, unique per datacenter
    QString address;
    QString datacenter;
    QMap<QString, QString> taggedAddresses;
    QMap<QString, QString> meta;
    RaftIndex index;
    bool operator==(const Node &) const = default;
};

struct Weights {
    int passing = 1;
    int warning = 1;
    bool operator==(const Weights &) const = default;
};

/// A service's tagged address (`{"Address": …, "Port": …}`).
struct ServiceAddress {
    QString address;
    int port = 0;
    bool operator==(const ServiceAddress &) const = default;
};

/// A service instance registered on a node (Consul's NodeService).
struct Service {
    QString kind;        // "" for a plain service
    QString id;          // defaults to `service` when registered without one
    QString service;     // the service name
    QStringList tags;
    QString address;     // "" = use the node's address
    QMap<QString, ServiceAddress> taggedAddresses;
    QMap<QString, QString> meta;
    int port = 0;
    QString socketPath;
    Weights weights;
    bool enableTagOverride = false;
    RaftIndex index;
    bool operator==(const Service &) const = default;
};

/// Check status strings as stored (`maintenance` is never stored, only aggregated).
namespace status {
inline const QString Passing = QStringLiteral("passing");
inline const QString Warning = QStringLiteral("warning");
inline const QString Critical = QStringLiteral("critical");
}  // namespace status

/// How a check is run (Consul's CheckType / HealthCheckDefinition). Which of `http`, `tcp`, `ttl`,
/// `scriptArgs` is set decides the type. Durations in nanoseconds; 0 = unset.
struct CheckDefinition {
    QString http;
    QString method;
    QString body;
    QMap<QString, QStringList> header;
    bool tlsSkipVerify = false;
    QString tlsServerName;
    bool disableRedirects = false;
    QString tcp;
    QStringList scriptArgs;
    qint64 ttl = 0;
    qint64 interval = 0;
    qint64 timeout = 0;
    qint64 deregisterCriticalServiceAfter = 0;
    int outputMaxSize = 0;
    int successBeforePassing = 0;
    int failuresBeforeWarning = 0;
    int failuresBeforeCritical = 0;
    bool operator==(const CheckDefinition &) const = default;
};

/// A health check in the catalog (Consul's HealthCheck).
struct Check {
    QString node;
    QString checkId;
    QString name;
    QString status = status::Critical;
    QString notes;
    QString output;
    QString serviceId;      // "" = node-level check
    QString serviceName;
    QStringList serviceTags;
    QString type;           // "http", "tcp", "ttl", "script", "" …
    CheckDefinition definition;
    RaftIndex index;
    bool operator==(const Check &) const = default;
};

/// Consul's ServiceNode: a service instance joined with its node (`/v1/catalog/service/<name>`).
struct ServiceNode {
    Node node;
    Service service;
};

/// Consul's CheckServiceNode (`/v1/health/service/<name>`).
struct CheckServiceNode {
    Node node;
    Service service;
    QList<Check> checks;  // node-level checks plus this instance's checks
};

/// `/v1/catalog/node/<node>`: a node and its services keyed by service ID.
struct NodeServices {
    Node node;
    QList<Service> services;
};

/// A gossip pool member (serf.Member). Status: 0 none, 1 alive, 2 leaving, 3 left, 4 failed.
struct Member {
    QString name;
    QString addr;
    int port = 0;
    QMap<QString, QString> tags;
    int status = 1;
    int protocolMin = 1, protocolMax = 5, protocolCur = 2;
    int delegateMin = 2, delegateMax = 5, delegateCur = 4;
};

/// The body of `PUT /v1/catalog/register` (Consul's RegisterRequest).
struct RegisterRequest {
    QString id;
    QString node;
    QString address;
    QString datacenter;
    QMap<QString, QString> taggedAddresses;
    QMap<QString, QString> nodeMeta;
    bool hasService = false;
    Service service;
    QList<Check> checks;  // `Check` and `Checks` merged
    bool skipNodeUpdate = false;
};

/// The body of `PUT /v1/catalog/deregister`.
struct DeregisterRequest {
    QString node;
    QString datacenter;
    QString serviceId;
    QString checkId;
};

}  // namespace conclave::model
