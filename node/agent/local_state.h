#pragma once
// The agent's own services and checks (Consul agent/local): what was registered through
// /v1/agent/*, TTL timers, maintenance mode. Each change is written to the catalog through the
// replicated log as a catalog register/deregister of this node, and the HTTP answer waits for it.
//
// HTTP/TCP/script checks are run by CheckRunners (check_runner.h), TTL checks expire on a timer.
// A check result reaches the catalog only when it changes something, and an output-only change
// waits up to check_update_interval (Consul's local state UpdateCheck), so a flapping check does
// not flood the log. Services whose check stays critical longer than DeregisterCriticalServiceAfter
// are removed by a reaper. API registrations are kept in the data dir (AgentPersistence) and
// restore() registers them again after a restart.
//
// Owned by Agent; event-loop thread only. Anti-entropy (re-syncing after the catalog drifts)
// arrives with client agents (#5).

#include "agent/agent_persistence.h"
#include "agent/check_runner.h"
#include "api/agent_delegate.h"
#include "server/replicated_log.h"
#include "core/state/command.h"

#include <QMap>
#include <QObject>
#include <memory>

class QNetworkAccessManager;

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
    /// Makes the probe for a check (HTTP, TCP or script); nullptr when the check is not run.
    using ProbeFactory = std::function<std::unique_ptr<CheckProbe>(const model::Check &check)>;

    struct Options {
        NodeIdentity node;
        bool enableScriptChecks = false;
        int outputMaxSize = 4096;               // check_output_max_size
        qint64 checkUpdateIntervalMs = 300000;  // check_update_interval; 0 = write every output change
        qint64 reapIntervalMs = 30000;          // check_reap_interval
        qint64 deregisterIntervalMinMs = 60000; // check_deregister_interval_min
        QString dataDir;                        // where registrations persist; "" = nowhere

        // Environment, injected for tests. Defaults: a QtTimerMaker, the real probes,
        // QRandomGenerator.
        TimerMaker *timers = nullptr;           // must outlive the LocalState
        ProbeFactory probes;
        std::function<qint64(qint64 bound)> random;  // uniform in [0, bound)
    };
    using SelfFn = std::function<QJsonObject()>;
    using MembersFn = std::function<QList<model::Member>()>;

    LocalState(Options opts, server::ReplicatedLog &log, SelfFn self, MembersFn members, QObject *parent = nullptr);
    ~LocalState() override;

    /// Registers again what the data dir holds (services, their checks, node checks, maintenance,
    /// TTL state) and starts their checks. Call once at start, before the HTTP API serves.
    /// Returns one warning per file that was skipped.
    QStringList restore();
    /// Waits for pending data-dir writes (shutdown and tests).
    void flushPersistence() { m_persist.flush(); }

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
        std::unique_ptr<CheckTimer> ttlTimer;
        std::unique_ptr<CheckRunner> runner;
        std::unique_ptr<CheckTimer> deferTimer;  // pending write of an output-only change
        qint64 criticalSinceMs = -1;              // monotonic ms; -1 while not critical
    };

    /// Builds the catalog check for a registration (node, service name and tags, type, defaults).
    std::optional<model::Check> makeCheck(const json::AgentCheckRegistration &reg, QString *error, int *status) const;
    /// Stores the check and starts running it (TTL timer or runner).
    void addCheck(model::Check check);
    void removeLocalCheck(const QString &checkId);
    /// Wraps an API answer so that it also waits for the data-dir writes queued so far.
    Done whenSaved(Done done);
    void armTtl(const QString &checkId);
    void onTtlExpired(const QString &checkId);
    /// Consul's State.UpdateCheck: no write when nothing changed; an output-only change is kept
    /// locally and written within check_update_interval; a status change is written now.
    void updateCheck(const QString &checkId, const QString &status, const QString &output, Done done);
    void writeCheck(const QString &checkId, Done done);
    void trackCritical(LocalCheck &lc);
    void reap();
    std::unique_ptr<CheckProbe> makeProbe(const model::Check &check);
    qint64 random(qint64 bound) const;

    /// Proposes the commands in order; `done` runs after the last one applied (or at the first error).
    void write(QList<state::Command> cmds, Done done);
    state::Command registerCommand(const std::optional<model::Service> &service, const QList<model::Check> &checks) const;
    state::Command deregisterServiceCommand(const QString &serviceId) const;
    state::Command deregisterCheckCommand(const QString &checkId) const;

    Options m_opts;
    std::unique_ptr<TimerMaker> m_ownTimers;
    TimerMaker *m_timers;
    std::unique_ptr<QNetworkAccessManager> m_nam;  // created on the first HTTP check
    AgentPersistence m_persist;
    std::unique_ptr<CheckTimer> m_reapTimer;
    server::ReplicatedLog &m_log;
    SelfFn m_self;
    MembersFn m_members;
    QMap<QString, model::Service> m_services;
    std::map<QString, LocalCheck> m_checks;
};

}  // namespace conclave::agent
