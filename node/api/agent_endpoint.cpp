// /v1/agent/*: answered by this agent from its local state, never forwarded, ?dc ignored.
// Semantics as Consul agent/agent_endpoint.go; consul-http-api.md §8.
#include "api/read_filters.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonObject>

namespace conclave::api {

namespace {

AgentDelegate &agent(const CallPtr &c)
{
    return *c->ctx().agent;
}

/// Answers an agent write: empty 200, or the delegate's status and text.
AgentDelegate::Done replyDone(const CallPtr &c)
{
    return [c](const AgentResult &r) {
        if (r.status == 200)
            c->replyEmpty();
        else
            c->replyText(r.status, r.error);
    };
}

/// The required `enable` parameter of the maintenance endpoints; answers 400 when absent or invalid.
std::optional<bool> requireEnable(const CallPtr &c)
{
    const QString name = QStringLiteral("enable");
    if (!c->req.hasQuery(name)) {
        c->replyText(400, QStringLiteral("Missing value for enable"));
        return std::nullopt;
    }
    const auto enable = parseBoolParam(c->req, name, false);
    if (!enable || c->req.queryValue(name).isEmpty()) {
        c->replyText(400, QStringLiteral("Invalid value for enable: \"%1\"").arg(c->req.queryValue(name)));
        return std::nullopt;
    }
    return enable;
}

}  // namespace

void agentSelf(const CallPtr &c)
{
    c->replyJson(agent(c).self());
}

void agentMembers(const CallPtr &c)
{
    QJsonArray arr;
    // Until WAN gossip exists the WAN pool holds nothing but this is a server's own entry.
    for (const auto &m : agent(c).members())
        arr.append(json::memberToJson(m));
    c->replyJson(arr);
}

void agentServices(const CallPtr &c)
{
    ReadFilters f;
    if (!parseReadFilters(c, &f))
        return;
    QJsonObject obj;
    const QString dc = c->ctx().config.datacenter;
    for (const auto &s : agent(c).localServices())
        obj.insert(s.id, json::agentServiceToJson(s, dc));
    c->replyJson(obj);
}

void agentService(const CallPtr &c)
{
    const auto s = agent(c).localService(c->tail);
    if (!s) {
        c->replyText(404, QStringLiteral("unknown service ID: %1").arg(c->tail));
        return;
    }
    QJsonObject obj = json::agentServiceToJson(*s, c->ctx().config.datacenter);
    const QByteArray hash =
        QCryptographicHash::hash(json::encode(obj, false), QCryptographicHash::Sha256).toHex().left(16);
    obj.insert(QStringLiteral("ContentHash"), QString::fromLatin1(hash));
    net::HttpResponse r = c->json(obj);
    r.setHeader("X-Consul-Contenthash", hash);
    c->send(r);
}

void agentChecks(const CallPtr &c)
{
    ReadFilters f;
    if (!parseReadFilters(c, &f))
        return;
    QJsonObject obj;
    for (const auto &ch : agent(c).localChecks())
        obj.insert(ch.checkId, json::checkToJson(ch));
    c->replyJson(obj);
}

void agentServiceRegister(const CallPtr &c)
{
    const auto body = decodeJsonBody(c);
    if (!body)
        return;
    QString error;
    auto reg = json::agentServiceRegistrationFromJson(*body, &error);
    if (!reg) {
        c->replyText(400, error);
        return;
    }
    const auto replace = parseBoolParam(c->req, QStringLiteral("replace-existing-checks"), false);
    if (!replace) {
        c->replyText(400, QStringLiteral("Invalid value for ?replace-existing-checks"));
        return;
    }
    agent(c).registerService(*reg, *replace, replyDone(c));
}

void agentServiceDeregister(const CallPtr &c)
{
    agent(c).deregisterService(c->tail, replyDone(c));
}

void agentServiceMaintenance(const CallPtr &c)
{
    if (!c->requireTail(QStringLiteral("Missing service ID")))
        return;
    const auto enable = requireEnable(c);
    if (!enable)
        return;
    agent(c).setServiceMaintenance(c->tail, *enable, c->req.queryValue(QStringLiteral("reason")), replyDone(c));
}

void agentMaintenance(const CallPtr &c)
{
    const auto enable = requireEnable(c);
    if (!enable)
        return;
    agent(c).setNodeMaintenance(*enable, c->req.queryValue(QStringLiteral("reason")), replyDone(c));
}

void agentCheckRegister(const CallPtr &c)
{
    const auto body = decodeJsonBody(c);
    if (!body)
        return;
    QString error;
    auto reg = json::agentCheckRegistrationFromJson(*body, &error);
    if (!reg) {
        c->replyText(400, error);
        return;
    }
    agent(c).registerCheck(*reg, replyDone(c));
}

void agentCheckDeregister(const CallPtr &c)
{
    agent(c).deregisterCheck(c->tail, replyDone(c));
}

void agentCheckPass(const CallPtr &c)
{
    agent(c).updateTtlCheck(c->tail, model::status::Passing, c->req.queryValue(QStringLiteral("note")), replyDone(c));
}

void agentCheckWarn(const CallPtr &c)
{
    agent(c).updateTtlCheck(c->tail, model::status::Warning, c->req.queryValue(QStringLiteral("note")), replyDone(c));
}

void agentCheckFail(const CallPtr &c)
{
    agent(c).updateTtlCheck(c->tail, model::status::Critical, c->req.queryValue(QStringLiteral("note")), replyDone(c));
}

void agentCheckUpdate(const CallPtr &c)
{
    const auto body = decodeJsonBody(c);
    if (!body)
        return;
    const QString status = body->value(QStringLiteral("Status")).toString();
    if (status != model::status::Passing && status != model::status::Warning && status != model::status::Critical) {
        c->replyText(400, QStringLiteral("Invalid check status: '%1'").arg(status));
        return;
    }
    agent(c).updateTtlCheck(c->tail, status, body->value(QStringLiteral("Output")).toString(), replyDone(c));
}

}  // namespace conclave::api
