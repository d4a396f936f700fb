#pragma once
// Consul's JSON shapes for the model types (conclave::model), both ways. This is the only code
// that spells Consul's field names (they live in json/keys.h). Pure functions, any thread.
//
// Output follows Consul's encoding/json output field by field: empty lists as [], empty maps as
// {}, `omitempty` fields dropped. Input parsers accept what Consul's decoder accepts: PascalCase
// keys matched case-insensitively (Go's encoding/json rule), snake_case spellings
// ("deregister_critical_service_after"), "Args"/"ScriptArgs" aliases, durations as Go strings or
// integer nanoseconds. On failure a parser returns nullopt and sets *error to the complete text
// Consul sends as the 400 body (e.g. "Missing service name", "Request decode failed: …").

#include "shared/model/types.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <optional>

namespace conclave::json {

// ---- Output -----------------------------------------------------------------------------------

/// A KV entry (`GET /v1/kv/<key>` array element). Value is base64, or null when empty.
QJsonObject kvEntryToJson(const model::KvEntry &entry);

/// structs.Node (`/v1/catalog/nodes`, "Node" inside other shapes).
QJsonObject nodeToJson(const model::Node &node);

/// structs.NodeService (`/v1/catalog/node/<n>` values, health "Service").
QJsonObject nodeServiceToJson(const model::Service &service);

/// AgentService (`/v1/agent/services` values, `/v1/agent/service/<id>`).
QJsonObject agentServiceToJson(const model::Service &service, const QString &datacenter);

/// structs.ServiceNode, flattened (`/v1/catalog/service/<name>` elements).
QJsonObject serviceNodeToJson(const model::ServiceNode &row);

/// structs.HealthCheck (`/v1/health/*`, `/v1/agent/checks` values).
QJsonObject checkToJson(const model::Check &check);

/// {"Node", "Service", "Checks"} (`/v1/health/service/<name>` elements).
QJsonObject checkServiceNodeToJson(const model::CheckServiceNode &row);

/// `/v1/catalog/node/<node>`: {"Node", "Services": {"<id>": NodeService}}, or null if absent.
QJsonValue catalogNodeToJson(const std::optional<model::NodeServices> &node);

/// `/v1/catalog/node-services/<node>`: {"Node", "Services": [NodeService]}.
QJsonObject nodeServicesToJson(const model::NodeServices &node);

/// serf.Member (`/v1/agent/members` elements).
QJsonObject memberToJson(const model::Member &member);

/// `consul kv export`: [{"key", "flags", "value"(base64)}].
QJsonArray kvExportToJson(const QList<model::KvEntry> &entries);

/// Bytes as Go's encoding/json writes them: compact, or (pretty) indented by 4 spaces with a
/// trailing "\n" as Consul's ?pretty. Strings escape <, >, & and U+2028/9 as Go does.
QByteArray encode(const QJsonValue &value, bool pretty);

// ---- Input ------------------------------------------------------------------------------------

/// Parses a request body; error "Request decode failed: …" when it is not JSON.
std::optional<QJsonValue> decodeBody(const QByteArray &body, QString *error);

/// `PUT /v1/catalog/register`. Check and Checks merged; Service.ID defaults to Service.Service;
/// a check's CheckID defaults to its Name, Node to the request's Node, Status to critical.
std::optional<model::RegisterRequest> registerRequestFromJson(const QJsonObject &object,
                                                             QString *error);

/// `PUT /v1/catalog/deregister`.
std::optional<model::DeregisterRequest> deregisterRequestFromJson(const QJsonObject &object,
                                                                 QString *error);

/// A check as registered on an agent (`/v1/agent/check/register`, or embedded in a service).
/// `status` is "" when the request gave none (the agent then starts it critical).
struct AgentCheckRegistration {
    QString id, name, notes, serviceId, status;
    model::CheckDefinition definition;
};

/// `PUT /v1/agent/service/register`: the service and its embedded checks, IDs and names
/// defaulted as Consul does.
struct AgentServiceRegistration {
    model::Service service;
    QList<AgentCheckRegistration> checks;
};

std::optional<AgentServiceRegistration> agentServiceRegistrationFromJson(
    const QJsonObject &object, QString *error);

std::optional<AgentCheckRegistration> agentCheckRegistrationFromJson(const QJsonObject &object,
                                                                     QString *error);

/// The check type a definition implies: "http", "tcp", "ttl", "script", or "" if none.
QString checkTypeOf(const model::CheckDefinition &definition);

/// `consul kv import` input (the export format). Error names the bad element.
std::optional<QList<model::KvEntry>> kvImportFromJson(const QJsonArray &array, QString *error);

// Readers of our own output, for clients (the CLI). Lenient: missing fields keep defaults.
model::KvEntry kvEntryFromJson(const QJsonObject &object);
model::Node nodeFromJson(const QJsonObject &object);
model::Member memberFromJson(const QJsonObject &object);

}  // namespace conclave::json
