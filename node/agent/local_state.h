#pragma once
// The agent's own services and checks (Consul agent/local): what was registered through
// /v1/agent/*, TTL timers, maintenance mode. Each change is written to the catalog through the
// replicated log as a catalog register/deregister of this node, and the HTTP answer waits for it.
//
// Owned by Agent; event-loop thread only. Running HTTP/TCP/script checks is the health-checking
// issue (#3): such checks are accepted and stay at their initial status, with an Output that says so.
// Anti-entropy (re-syncing after the catalog drifts) arrives with client agents (#5).

#include "api/agent_delegate.h"
#include "server/replicated_log.h"
#include "core/state/command.h"

#include <QMap>
#include <QObject>
#include <QTimer>
#include <memory>

namespace conclave::agent {

/// Who this agent is, as the catalog should show its node.
struct NodeIdentity {
    QString name;
    QString id;
    QString address;
    QString datacenter;
    QMap<QString, QString> meta;
};

class LocalState : public QObject, public api::AgentDelegate {
    Q_OBJECT
public:
    struct Options {
        NodeIdentity node;
        bool enableScriptChecks = false;
        int outputMaxSize = 4096;
    };
    using SelfFn = std::function<QJsonObject()>;
    using MembersFn = std::function<QList<model::Member>()>;

    LocalState(Options opts, server::ReplicatedLog &log, SelfFn self, MembersFn members, QObject *parent = nullptr);
    ~LocalState() override;

    // api::AgentDelegate
    QJsonObject self() const override { return m_self(); }
    QList<model::Member> members() const override { return m_members(); }
    QList<model::Service> localServices() const override;
    std::optional<model::Service> localService(const QString &id) const override;
    QList<model::Check> localChecks() const override;
    void registerService(const json::AgentServiceRegistration &reg, bool replaceExistingChecks, Done done) override;
    void deregisterService(const QString &id, Done done) override;
    void registerCheck(const json::AgentCheckRegistration &reg, Done done) override;
    void deregisterCheck(const QString &id, Done done) override;
    void updateTtlCheck(const QString &id, const QString &status, const QString &output, Done done) override;
    void setNodeMaintenance(bool enable, const QString &reason, Done done) override;
    void setServiceMaintenance(const QString &serviceId, bool enable, const QString &reason, Done done) override;

private:
    struct LocalCheck {
        model::Check check;
        std::unique_ptr<QTimer> ttlTimer;
    };

    /// Builds the catalog check for a registration (node, service name and tags, type, defaults).
    std::optional<model::Check> makeCheck(const json::AgentCheckRegistration &reg, QString *error, int *status) const;
    void addCheck(model::Check check);
    void armTtl(const QString &checkId);
    void onTtlExpired(const QString &checkId);

    /// Proposes the commands in order; `done` runs after the last one applied (or at the first error).
    void write(QList<state::Command> cmds, Done done);
    state::Command registerCommand(const std::optional<model::Service> &service, const QList<model::Check> &checks) const;
    state::Command deregisterServiceCommand(const QString &serviceId) const;
    state::Command deregisterCheckCommand(const QString &checkId) const;

    Options m_opts;
    server::ReplicatedLog &m_log;
    SelfFn m_self;
    MembersFn m_members;
    QMap<QString, model::Service> m_services;
    std::map<QString, LocalCheck> m_checks;
};

}  // namespace conclave::agent
