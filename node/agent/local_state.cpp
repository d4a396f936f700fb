#include "agent/local_state.h"

#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QRandomGenerator>

Q_LOGGING_CATEGORY(lcLocal, "conclave.agent")

namespace conclave::agent {

namespace {

const QString kNodeMaintenance = QStringLiteral("_node_maintenance");
const QString kServiceMaintenancePrefix = QStringLiteral("_service_maintenance:");

api::AgentResult fail(int status, const QString &text)
{
    return api::AgentResult{status, text};
}

}  // namespace

LocalState::LocalState(Options opts, server::ReplicatedLog &log, SelfFn self, MembersFn members, QObject *parent)
    : QObject(parent), m_opts(std::move(opts)),
      m_ownTimers(m_opts.timers ? nullptr : std::make_unique<QtTimerMaker>()),
      m_timers(m_opts.timers ? m_opts.timers : m_ownTimers.get()), m_persist(m_opts.dataDir), m_log(log),
      m_self(std::move(self)), m_members(std::move(members))
{
    m_reapTimer = m_timers->makeTimer([this]() {
        reap();
        m_reapTimer->start(m_opts.reapIntervalMs);
    });
    m_reapTimer->start(m_opts.reapIntervalMs);
}

LocalState::~LocalState()
{
    // Runners and probes first: they hold sockets of m_nam and timers of m_timers.
    m_checks.clear();
}

qint64 LocalState::random(qint64 bound) const
{
    if (bound <= 0)
        return 0;
    if (m_opts.random)
        return m_opts.random(bound);
    return qint64(QRandomGenerator::global()->bounded(quint64(bound)));
}

std::unique_ptr<CheckProbe> LocalState::makeProbe(const model::Check &c)
{
    if (m_opts.probes)
        return m_opts.probes(c);
    const qint64 timeoutMs = checkTimeoutMs(c.type, c.definition);
    const int limit = checkOutputLimit(m_opts.outputMaxSize, c.definition);
    if (c.type == QLatin1String("http")) {
        if (!m_nam)
            m_nam = std::make_unique<QNetworkAccessManager>();
        return makeHttpProbe(c.definition, timeoutMs, limit, *m_timers, *m_nam);
    }
    if (c.type == QLatin1String("tcp"))
        return makeTcpProbe(c.definition.tcp, timeoutMs, *m_timers);
    if (c.type == QLatin1String("script"))
        return makeScriptProbe(c.definition.scriptArgs, timeoutMs, limit, *m_timers);
    return nullptr;
}

QList<model::Service> LocalState::localServices() const
{
    return m_services.values();
}

std::optional<model::Service> LocalState::localService(const QString &id) const
{
    auto it = m_services.find(id);
    if (it == m_services.end())
        return std::nullopt;
    return *it;
}

QList<model::Check> LocalState::localChecks() const
{
    QList<model::Check> out;
    for (const auto &[id, lc] : m_checks)
        out.append(lc.check);
    return out;
}

std::optional<model::Check> LocalState::makeCheck(const json::AgentCheckRegistration &reg, QString *error,
                                                  int *status) const
{
    model::Check c;
    c.node = m_opts.node.name;
    c.checkId = reg.id.isEmpty() ? reg.name : reg.id;
    c.name = reg.name;
    c.notes = reg.notes;
    c.serviceId = reg.serviceId;
    c.definition = reg.definition;
    c.type = json::checkTypeOf(reg.definition);
    if (!reg.serviceId.isEmpty()) {
        auto svc = m_services.find(reg.serviceId);
        if (svc == m_services.end()) {
            *status = 404;
            *error = QStringLiteral("ServiceID \"%1\" does not exist").arg(reg.serviceId);
            return std::nullopt;
        }
        c.serviceName = svc->service;
        c.serviceTags = svc->tags;
    }
    *status = 400;
    if (c.type.isEmpty()) {
        *error = QStringLiteral("Must provide TTL or Args (script), HTTP or TCP for check '%1'").arg(c.checkId);
        return std::nullopt;
    }
    if (c.type == QLatin1String("script") && !m_opts.enableScriptChecks) {
        *status = 500;  // a plain error from agent.addCheck: Consul's HTTP layer answers 500
        *error = QStringLiteral("Scripts are disabled on this agent from remote calls; to enable, configure "
                                "'enable_script_checks' to true");
        return std::nullopt;
    }
    if (c.type != QLatin1String("ttl") && c.definition.interval <= 0) {
        *error = QStringLiteral("Interval must be > 0 for Script, HTTP, or TCP checks");
        return std::nullopt;
    }
    c.status = reg.status.isEmpty() ? model::status::Critical : reg.status;
    return c;
}

void LocalState::addCheck(model::Check check)
{
    const QString id = check.checkId;
    removeLocalCheck(id);  // a re-registration restarts the check from scratch
    LocalCheck &lc = m_checks[id];
    lc.check = std::move(check);
    trackCritical(lc);
    if (lc.check.type == QLatin1String("ttl")) {
        armTtl(id);
        return;
    }
    const QString &type = lc.check.type;
    if (type != QLatin1String("http") && type != QLatin1String("tcp") && type != QLatin1String("script"))
        return;  // maintenance checks are set, never run
    std::unique_ptr<CheckProbe> probe = makeProbe(lc.check);
    if (!probe)
        return;
    const model::CheckDefinition &d = lc.check.definition;
    const qint64 intervalMs = std::max<qint64>(1000, d.interval / 1000000);
    lc.runner = std::make_unique<CheckRunner>(
        std::move(probe), intervalMs,
        StatusHandler(d.successBeforePassing, d.failuresBeforeWarning, d.failuresBeforeCritical), *m_timers,
        [this, id](const ProbeResult &r) {
            updateCheck(id, r.status, r.output, [id](const api::AgentResult &res) {
                if (res.status != 200)
                    qCWarning(lcLocal) << "could not record the result of check" << id << ":" << res.error;
            });
        });
    // Consul staggers the first run randomly within the interval so checks do not run in step.
    lc.runner->start(random(intervalMs));
}

LocalState::Done LocalState::whenSaved(Done done)
{
    if (!m_persist.enabled())
        return done;
    // The API answers only once both the catalog write and the data-dir files are done, so an
    // acknowledged registration survives a crash.
    struct Join {
        int left = 2;
        api::AgentResult result;
        Done done;
    };
    auto join = std::make_shared<Join>();
    join->done = std::move(done);
    m_persist.whenWritten(this, [join]() {
        if (--join->left == 0)
            join->done(join->result);
    });
    return [join](const api::AgentResult &r) {
        join->result = r;
        if (--join->left == 0)
            join->done(join->result);
    };
}

void LocalState::removeLocalCheck(const QString &checkId)
{
    auto it = m_checks.find(checkId);
    if (it == m_checks.end())
        return;
    // Moved out first: destroying a runner may run callbacks that look the check up.
    LocalCheck gone = std::move(it->second);
    m_checks.erase(it);
}

void LocalState::trackCritical(LocalCheck &lc)
{
    if (lc.check.status != model::status::Critical)
        lc.criticalSinceMs = -1;
    else if (lc.criticalSinceMs < 0)
        lc.criticalSinceMs = m_timers->nowMs();
}

void LocalState::updateCheck(const QString &checkId, const QString &status, const QString &output, Done done)
{
    auto it = m_checks.find(checkId);
    if (it == m_checks.end()) {
        done(api::AgentResult::ok());
        return;
    }
    LocalCheck &lc = it->second;
    model::Check &c = lc.check;
    if (c.status == status && c.output == output) {
        done(api::AgentResult::ok());  // nothing changed: no write to the log
        return;
    }
    if (m_opts.checkUpdateIntervalMs > 0 && c.status == status) {
        c.output = output;
        if (!lc.deferTimer)
            lc.deferTimer = m_timers->makeTimer([this, checkId]() {
                writeCheck(checkId, [checkId](const api::AgentResult &r) {
                    if (r.status != 200)
                        qCWarning(lcLocal) << "could not record the output of check" << checkId << ":" << r.error;
                });
            });
        if (!lc.deferTimer->isActive()) {
            // Consul: interval/2 + a random stagger within the interval.
            const qint64 d = m_opts.checkUpdateIntervalMs;
            lc.deferTimer->start(d / 2 + random(d));
        }
        done(api::AgentResult::ok());
        return;
    }
    qCInfo(lcLocal).noquote() << QStringLiteral("check \"%1\" is now %2").arg(checkId, status);
    c.status = status;
    c.output = output;
    trackCritical(lc);
    writeCheck(checkId, std::move(done));
}

void LocalState::writeCheck(const QString &checkId, Done done)
{
    auto it = m_checks.find(checkId);
    if (it == m_checks.end()) {
        done(api::AgentResult::ok());
        return;
    }
    if (it->second.deferTimer)
        it->second.deferTimer->stop();  // this write carries the latest output too
    write({registerCommand(std::nullopt, {it->second.check})}, std::move(done));
}

void LocalState::reap()
{
    // agent.reapServicesInternal: a service goes once one of its checks has been critical for
    // longer than DeregisterCriticalServiceAfter (raised to check_deregister_interval_min).
    QStringList doomed;
    const qint64 now = m_timers->nowMs();
    for (const auto &[id, lc] : m_checks) {
        const qint64 afterNs = lc.check.definition.deregisterCriticalServiceAfter;
        if (lc.check.serviceId.isEmpty() || afterNs <= 0 || lc.criticalSinceMs < 0)
            continue;
        const qint64 afterMs = std::max(afterNs / 1000000, m_opts.deregisterIntervalMinMs);
        if (now - lc.criticalSinceMs > afterMs && !doomed.contains(lc.check.serviceId))
            doomed.append(lc.check.serviceId);
    }
    for (const QString &serviceId : doomed) {
        qCInfo(lcLocal).noquote() << QStringLiteral("removed service \"%1\": a check was critical for too long").arg(serviceId);
        deregisterService(serviceId, [serviceId](const api::AgentResult &r) {
            if (r.status != 200)
                qCWarning(lcLocal) << "could not deregister critical service" << serviceId << ":" << r.error;
        });
    }
}

void LocalState::armTtl(const QString &checkId)
{
    auto it = m_checks.find(checkId);
    if (it == m_checks.end() || it->second.check.definition.ttl <= 0)
        return;
    LocalCheck &lc = it->second;
    if (!lc.ttlTimer)
        lc.ttlTimer = m_timers->makeTimer([this, checkId]() { onTtlExpired(checkId); });
    lc.ttlTimer->start(std::max<qint64>(1, lc.check.definition.ttl / 1000000));
}

void LocalState::onTtlExpired(const QString &checkId)
{
    auto it = m_checks.find(checkId);
    if (it == m_checks.end())
        return;
    const model::Check &c = it->second.check;
    // checks.CheckTTL.getExpiredOutput: the last output is kept after the notice.
    QString output = QStringLiteral("TTL expired");
    if (!c.output.isEmpty() && !c.output.startsWith(output))
        output = QStringLiteral("TTL expired (last output before timeout follows): ") + c.output;
    else if (c.output.startsWith(output))
        output = c.output;
    if (c.status != model::status::Critical)
        qCInfo(lcLocal) << "check" << checkId << "TTL expired; marking critical";
    updateCheck(checkId, model::status::Critical, output, [checkId](const api::AgentResult &r) {
        if (r.status != 200)
            qCWarning(lcLocal) << "could not record TTL expiry of" << checkId << ":" << r.error;
    });
}

void LocalState::registerService(const json::AgentServiceRegistration &reg, bool replaceExistingChecks, Done done)
{
    model::Service svc = reg.service;
    if (svc.id.isEmpty())
        svc.id = svc.service;
    // Validate every embedded check before changing anything.
    auto previous = m_services.find(svc.id);
    std::optional<model::Service> old = previous != m_services.end() ? std::optional(*previous) : std::nullopt;
    m_services.insert(svc.id, svc);  // makeCheck needs the service to exist
    QList<model::Check> checks;
    for (const auto &cr : reg.checks) {
        json::AgentCheckRegistration r = cr;
        r.serviceId = svc.id;
        QString error;
        int status = 400;
        auto c = makeCheck(r, &error, &status);
        if (!c) {
            if (old)
                m_services.insert(svc.id, *old);
            else
                m_services.remove(svc.id);
            done(fail(status, error));
            return;
        }
        checks.append(*c);
    }

    QList<state::Command> cmds;
    // Checks of this service that the new registration no longer has.
    if (replaceExistingChecks) {
        QStringList stale;
        for (const auto &[id, lc] : m_checks) {
            if (lc.check.serviceId != svc.id)
                continue;
            const bool kept = std::any_of(checks.begin(), checks.end(), [&](const model::Check &c) { return c.checkId == id; });
            if (!kept && !id.startsWith(kServiceMaintenancePrefix))
                stale.append(id);
        }
        for (const QString &id : stale) {
            removeLocalCheck(id);
            m_persist.removeCheck(id);
            cmds.append(deregisterCheckCommand(id));
        }
    }
    m_persist.saveService(svc);
    // A check registered again keeps its current status and output (agent.addServiceInternal's
    // snapshot), so re-registering a service does not flap it to critical.
    for (model::Check &c : checks) {
        m_persist.saveCheck(c);
        auto existing = m_checks.find(c.checkId);
        if (existing != m_checks.end() && existing->second.check.type == c.type) {
            c.status = existing->second.check.status;
            c.output = existing->second.check.output;
        }
        addCheck(c);
    }
    // Service tags changed: the checks of this service carry them too.
    QList<model::Check> all = checks;
    for (auto &[id, lc] : m_checks) {
        if (lc.check.serviceId == svc.id) {
            lc.check.serviceName = svc.service;
            lc.check.serviceTags = svc.tags;
            if (!std::any_of(all.begin(), all.end(), [&](const model::Check &c) { return c.checkId == id; }))
                all.append(lc.check);
        }
    }
    cmds.append(registerCommand(svc, all));
    write(cmds, whenSaved(std::move(done)));
}

void LocalState::deregisterService(const QString &id, Done done)
{
    if (!m_services.contains(id)) {
        done(api::AgentResult::ok());  // Consul: a no-op when absent
        return;
    }
    m_services.remove(id);
    m_persist.removeService(id);
    QStringList gone;
    for (const auto &[checkId, lc] : m_checks) {
        if (lc.check.serviceId == id)
            gone.append(checkId);
    }
    for (const QString &checkId : gone) {
        removeLocalCheck(checkId);
        m_persist.removeCheck(checkId);
    }
    write({deregisterServiceCommand(id)}, whenSaved(std::move(done)));
}

void LocalState::registerCheck(const json::AgentCheckRegistration &reg, Done done)
{
    QString error;
    int status = 400;
    auto c = makeCheck(reg, &error, &status);
    if (!c) {
        done(fail(status, error));
        return;
    }
    m_persist.saveCheck(*c);
    addCheck(*c);
    std::optional<model::Service> svc;
    if (!c->serviceId.isEmpty())
        svc = m_services.value(c->serviceId);
    write({registerCommand(svc, {*c})}, whenSaved(std::move(done)));
}

void LocalState::deregisterCheck(const QString &id, Done done)
{
    if (m_checks.find(id) == m_checks.end()) {
        done(api::AgentResult::ok());
        return;
    }
    removeLocalCheck(id);
    m_persist.removeCheck(id);
    write({deregisterCheckCommand(id)}, whenSaved(std::move(done)));
}

void LocalState::updateTtlCheck(const QString &id, const QString &status, const QString &output, Done done)
{
    auto it = m_checks.find(id);
    if (it == m_checks.end() || it->second.check.type != QLatin1String("ttl")) {
        done(fail(500, QStringLiteral("CheckID \"%1\" does not have associated TTL").arg(id)));
        return;
    }
    const model::Check &c = it->second.check;
    const int limit = checkOutputLimit(m_opts.outputMaxSize, c.definition);
    QString out = output;
    if (out.toUtf8().size() > limit)
        out = QString::fromUtf8(output.toUtf8().left(limit));
    armTtl(id);
    // The TTL state outlives a restart (checks/state/).
    model::Check next = c;
    next.status = status;
    next.output = out;
    m_persist.saveCheckState(next, c.definition.ttl / 1000000);
    updateCheck(id, status, out, whenSaved(std::move(done)));
}

void LocalState::setNodeMaintenance(bool enable, const QString &reason, Done done)
{
    if (!enable) {
        deregisterCheck(kNodeMaintenance, std::move(done));
        return;
    }
    model::Check c;
    c.node = m_opts.node.name;
    c.checkId = kNodeMaintenance;
    c.name = QStringLiteral("Node Maintenance Mode");
    c.notes = reason.isEmpty()
                  ? QStringLiteral("Maintenance mode is enabled for this node, but no reason was provided. This is a default message.")
                  : reason;
    c.status = model::status::Critical;
    c.type = QStringLiteral("maintenance");
    m_persist.saveCheck(c);
    addCheck(c);
    write({registerCommand(std::nullopt, {c})}, whenSaved(std::move(done)));
}

void LocalState::setServiceMaintenance(const QString &serviceId, bool enable, const QString &reason, Done done)
{
    auto svc = m_services.find(serviceId);
    if (svc == m_services.end()) {
        done(fail(404, QStringLiteral("Unknown service ID \"%1\"").arg(serviceId)));
        return;
    }
    const QString checkId = kServiceMaintenancePrefix + serviceId;
    if (!enable) {
        deregisterCheck(checkId, std::move(done));
        return;
    }
    model::Check c;
    c.node = m_opts.node.name;
    c.checkId = checkId;
    c.name = QStringLiteral("Service Maintenance Mode");
    c.notes = reason.isEmpty()
                  ? QStringLiteral("Maintenance mode is enabled for this service, but no reason was provided. This is a default message.")
                  : reason;
    c.status = model::status::Critical;
    c.serviceId = serviceId;
    c.serviceName = svc->service;
    c.serviceTags = svc->tags;
    c.type = QStringLiteral("maintenance");
    m_persist.saveCheck(c);
    addCheck(c);
    write({registerCommand(*svc, {c})}, whenSaved(std::move(done)));
}

QStringList LocalState::restore()
{
    AgentPersistence::Loaded loaded = m_persist.load();
    QStringList warnings = loaded.warnings;
    for (model::Service &svc : loaded.services)
        m_services.insert(svc.id, svc);
    QMap<QString, QList<model::Check>> byService;  // "" = node-level checks
    for (model::Check &c : loaded.checks) {
        if (!c.serviceId.isEmpty() && !m_services.contains(c.serviceId)) {
            warnings.append(QStringLiteral("check \"%1\" belongs to the unknown service \"%2\"; ignored")
                                .arg(c.checkId, c.serviceId));
            continue;
        }
        if (c.type == QLatin1String("script") && !m_opts.enableScriptChecks) {
            warnings.append(QStringLiteral("check \"%1\" is a script check and scripts are disabled; ignored").arg(c.checkId));
            continue;
        }
        // The node may have been renamed; the service may have new tags.
        c.node = m_opts.node.name;
        if (!c.serviceId.isEmpty()) {
            c.serviceName = m_services.value(c.serviceId).service;
            c.serviceTags = m_services.value(c.serviceId).tags;
        }
        byService[c.serviceId].append(c);
        addCheck(c);
    }
    QList<state::Command> cmds;
    for (const model::Service &svc : std::as_const(m_services))
        cmds.append(registerCommand(svc, byService.value(svc.id)));
    if (byService.contains(QString()))
        cmds.append(registerCommand(std::nullopt, byService.value(QString())));
    const qsizetype services = m_services.size(), checks = m_checks.size();
    write(cmds, [services, checks](const api::AgentResult &r) {
        if (r.status != 200)
            qCWarning(lcLocal).noquote() << "could not restore the saved services and checks:" << r.error;
        else if (services + checks > 0)
            qCInfo(lcLocal).noquote() << QStringLiteral("restored %1 services and %2 checks from the data dir").arg(services).arg(checks);
    });
    for (const QString &w : std::as_const(warnings))
        qCWarning(lcLocal).noquote() << w;
    return warnings;
}

state::Command LocalState::registerCommand(const std::optional<model::Service> &service,
                                           const QList<model::Check> &checks) const
{
    model::RegisterRequest req;
    req.id = m_opts.node.id;
    req.node = m_opts.node.name;
    req.address = m_opts.node.address;
    req.datacenter = m_opts.node.datacenter;
    req.taggedAddresses = {{QStringLiteral("lan"), m_opts.node.address},
                           {QStringLiteral("lan_ipv4"), m_opts.node.address},
                           {QStringLiteral("wan"), m_opts.node.address},
                           {QStringLiteral("wan_ipv4"), m_opts.node.address}};
    req.nodeMeta = m_opts.node.meta;
    if (service) {
        req.hasService = true;
        req.service = *service;
    }
    req.checks = checks;
    return state::Command{state::CommandType::CatalogRegister, req};
}

state::Command LocalState::deregisterServiceCommand(const QString &serviceId) const
{
    model::DeregisterRequest req;
    req.node = m_opts.node.name;
    req.datacenter = m_opts.node.datacenter;
    req.serviceId = serviceId;
    return state::Command{state::CommandType::CatalogDeregister, req};
}

state::Command LocalState::deregisterCheckCommand(const QString &checkId) const
{
    model::DeregisterRequest req;
    req.node = m_opts.node.name;
    req.datacenter = m_opts.node.datacenter;
    req.checkId = checkId;
    return state::Command{state::CommandType::CatalogDeregister, req};
}

void LocalState::write(QList<state::Command> cmds, Done done)
{
    if (cmds.isEmpty()) {
        done(api::AgentResult::ok());
        return;
    }
    // All proposals go out at once (they share a batch and apply in order); the answer waits for all.
    struct Pending {
        int left;
        api::AgentResult result;
        Done done;
    };
    auto pending = std::make_shared<Pending>(Pending{int(cmds.size()), {}, std::move(done)});
    for (const auto &cmd : cmds) {
        m_log.propose(state::encodeCommand(cmd), [pending](const server::ProposeResult &pr) {
            if (pr.error != server::LogError::None && pending->result.status == 200)
                pending->result = fail(500, pr.errorText.isEmpty() ? QStringLiteral("No cluster leader") : pr.errorText);
            else if (!pr.result.error.isEmpty() && pending->result.status == 200)
                pending->result = fail(400, pr.result.error);
            if (--pending->left == 0)
                pending->done(pending->result);
        });
    }
}

}  // namespace conclave::agent
