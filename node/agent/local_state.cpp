#include "agent/local_state.h"

#include <QLoggingCategory>

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
    : QObject(parent), m_opts(std::move(opts)), m_log(log), m_self(std::move(self)), m_members(std::move(members))
{
}

LocalState::~LocalState() = default;

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
        *error = QStringLiteral("Scripts are disabled on this agent from remote calls; to enable, configure "
                                "'enable_script_checks' to true");
        return std::nullopt;
    }
    if (c.type != QLatin1String("ttl") && c.definition.interval <= 0) {
        *error = QStringLiteral("Interval must be > 0 for Script, HTTP, or TCP checks");
        return std::nullopt;
    }
    c.status = reg.status.isEmpty() ? model::status::Critical : reg.status;
    if (c.type != QLatin1String("ttl")) {
        // Check runners are issue #3; say so rather than pretend the check is being run.
        c.output = QStringLiteral("%1 checks are not run by this version of Conclave yet; the status stays as registered")
                       .arg(c.type.toUpper());
        qCWarning(lcLocal) << "check" << c.checkId << "of type" << c.type << "registered but not run: check runners are not implemented yet";
    }
    return c;
}

void LocalState::addCheck(model::Check check)
{
    const QString id = check.checkId;
    LocalCheck &lc = m_checks[id];
    lc.check = std::move(check);
    lc.ttlTimer.reset();
    if (lc.check.type == QLatin1String("ttl"))
        armTtl(id);
}

void LocalState::armTtl(const QString &checkId)
{
    auto it = m_checks.find(checkId);
    if (it == m_checks.end() || it->second.check.definition.ttl <= 0)
        return;
    LocalCheck &lc = it->second;
    if (!lc.ttlTimer) {
        lc.ttlTimer = std::make_unique<QTimer>();
        lc.ttlTimer->setSingleShot(true);
        connect(lc.ttlTimer.get(), &QTimer::timeout, this, [this, checkId]() { onTtlExpired(checkId); });
    }
    const qint64 ms = std::max<qint64>(1, lc.check.definition.ttl / 1000000);
    lc.ttlTimer->start(int(std::min<qint64>(ms, std::numeric_limits<int>::max())));
}

void LocalState::onTtlExpired(const QString &checkId)
{
    auto it = m_checks.find(checkId);
    if (it == m_checks.end())
        return;
    model::Check &c = it->second.check;
    if (c.status == model::status::Critical && c.output == QLatin1String("TTL expired"))
        return;
    qCInfo(lcLocal) << "check" << checkId << "TTL expired; marking critical";
    c.status = model::status::Critical;
    c.output = QStringLiteral("TTL expired");
    std::optional<model::Service> svc;
    write({registerCommand(std::nullopt, {c})}, [checkId](const api::AgentResult &r) {
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
            m_checks.erase(id);
            cmds.append(deregisterCheckCommand(id));
        }
    }
    // Existing checks keep their current status unless the registration gives one.
    for (model::Check &c : checks) {
        auto existing = m_checks.find(c.checkId);
        if (existing != m_checks.end() && c.type == QLatin1String("ttl") && existing->second.check.type == c.type) {
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
    write(cmds, std::move(done));
}

void LocalState::deregisterService(const QString &id, Done done)
{
    if (!m_services.contains(id)) {
        done(api::AgentResult::ok());  // Consul: a no-op when absent
        return;
    }
    m_services.remove(id);
    for (auto it = m_checks.begin(); it != m_checks.end();) {
        if (it->second.check.serviceId == id)
            it = m_checks.erase(it);
        else
            ++it;
    }
    write({deregisterServiceCommand(id)}, std::move(done));
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
    addCheck(*c);
    std::optional<model::Service> svc;
    if (!c->serviceId.isEmpty())
        svc = m_services.value(c->serviceId);
    write({registerCommand(svc, {*c})}, std::move(done));
}

void LocalState::deregisterCheck(const QString &id, Done done)
{
    if (m_checks.erase(id) == 0) {
        done(api::AgentResult::ok());
        return;
    }
    write({deregisterCheckCommand(id)}, std::move(done));
}

void LocalState::updateTtlCheck(const QString &id, const QString &status, const QString &output, Done done)
{
    auto it = m_checks.find(id);
    if (it == m_checks.end() || it->second.check.type != QLatin1String("ttl")) {
        done(fail(500, QStringLiteral("CheckID \"%1\" does not have associated TTL").arg(id)));
        return;
    }
    model::Check &c = it->second.check;
    int limit = m_opts.outputMaxSize;
    if (c.definition.outputMaxSize > 0)
        limit = std::min(limit, c.definition.outputMaxSize);
    QString out = output;
    if (out.toUtf8().size() > limit)
        out = QString::fromUtf8(output.toUtf8().left(limit));
    armTtl(id);
    if (c.status == status && c.output == out) {
        done(api::AgentResult::ok());  // nothing changed: no write to the log
        return;
    }
    c.status = status;
    c.output = out;
    std::optional<model::Service> svc;
    write({registerCommand(std::nullopt, {c})}, std::move(done));
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
    addCheck(c);
    write({registerCommand(std::nullopt, {c})}, std::move(done));
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
    addCheck(c);
    write({registerCommand(*svc, {c})}, std::move(done));
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
