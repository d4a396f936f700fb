#pragma once
// What the /v1/agent endpoints need from the agent (Transmission's Mediator idea): the agent's own
// description, its gossip members, and its local services and checks. Implemented by
// agent/local_state; the API never reaches into the agent otherwise.
//
// Event-loop thread only. Every write calls `done` exactly once, after the change is in the
// catalog (or with an error).

#include "shared/json/codec.h"
#include "shared/model/types.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <functional>
#include <optional>

namespace conclave::api {

/// Outcome of an agent write: status 200 = success; otherwise the HTTP status and plain-text body.
struct AgentResult {
    int status = 200;
    QString error;
    static AgentResult ok() { return {}; }
};

class AgentDelegate {
public:
    using Done = std::function<void(const AgentResult &)>;
    virtual ~AgentDelegate() = default;

    /// `/v1/agent/self` body.
    virtual QJsonObject self() const = 0;
    virtual QList<model::Member> members() const = 0;

    virtual QList<model::Service> localServices() const = 0;
    virtual std::optional<model::Service> localService(const QString &id) const = 0;
    virtual QList<model::Check> localChecks() const = 0;

    virtual void registerService(const json::AgentServiceRegistration &reg, bool replaceExistingChecks,
                                 Done done) = 0;
    virtual void deregisterService(const QString &id, Done done) = 0;
    virtual void registerCheck(const json::AgentCheckRegistration &reg, Done done) = 0;
    virtual void deregisterCheck(const QString &id, Done done) = 0;
    /// pass/warn/fail/update of a TTL check. Unknown or non-TTL check → 500
    /// `CheckID "<id>" does not have associated TTL` (clients string-match it).
    virtual void updateTtlCheck(const QString &id, const QString &status, const QString &output,
                                Done done) = 0;
    virtual void setNodeMaintenance(bool enable, const QString &reason, Done done) = 0;
    virtual void setServiceMaintenance(const QString &serviceId, bool enable, const QString &reason,
                                       Done done) = 0;
};

}  // namespace conclave::api
