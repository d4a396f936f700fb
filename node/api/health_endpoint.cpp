// /v1/health/*: node/<node>, checks/<service>, service/<service> (passing, tag), state/<state>.
// Semantics as Consul agent/health_endpoint.go; consul-http-api.md §7.
#include "api/read_filters.h"

#include <QJsonArray>

namespace conclave::api {

namespace {

QJsonArray checksToJson(const QList<model::Check> &checks)
{
    QJsonArray arr;
    for (const auto &ch : checks)
        arr.append(json::checkToJson(ch));
    return arr;
}

}  // namespace

void healthNode(const CallPtr &c)
{
    if (!c->requireTail(QStringLiteral("Missing node name")))
        return;
    ReadFilters f;
    if (!parseReadFilters(c, &f))
        return;
    state::StateStore *store = &c->store();
    Call *call = c.get();
    const QString node = c->tail;
    c->blockingRead([store, call, node](state::WatchSet *ws) {
        auto r = store->nodeChecks(node, ws);
        return ReadResult{r.index, call->json(checksToJson(r.value))};
    });
}

void healthChecks(const CallPtr &c)
{
    if (!c->requireTail(QStringLiteral("Missing service name")))
        return;
    ReadFilters f;
    if (!parseReadFilters(c, &f))
        return;
    state::StateStore *store = &c->store();
    Call *call = c.get();
    const QString service = c->tail;
    c->blockingRead([store, call, service, f](state::WatchSet *ws) {
        auto r = store->serviceChecks(service, ws);
        QList<model::Check> checks;
        if (f.nodeMeta.isEmpty()) {
            checks = r.value;
        } else {
            for (const auto &ch : r.value) {
                auto n = store->node(ch.node, ws);
                if (n.value && f.matchesNodeMeta(n.value->meta))
                    checks.append(ch);
            }
        }
        return ReadResult{r.index, call->json(checksToJson(checks))};
    });
}

void healthService(const CallPtr &c)
{
    if (!c->requireTail(QStringLiteral("Missing service name")))
        return;
    ReadFilters f;
    if (!parseReadFilters(c, &f))
        return;
    const auto passing = parseBoolParam(c->req, QStringLiteral("passing"), false);
    if (!passing) {
        c->replyText(400, QStringLiteral("Invalid value for ?passing"));
        return;
    }
    state::StateStore *store = &c->store();
    Call *call = c.get();
    const QString service = c->tail;
    const bool passingOnly = *passing;
    c->blockingRead([store, call, service, f, passingOnly](state::WatchSet *ws) {
        auto r = store->checkServiceNodes(service, f.tags, passingOnly, ws);
        QJsonArray arr;
        for (const auto &csn : r.value)
            if (f.matchesNodeMeta(csn.node.meta))
                arr.append(json::checkServiceNodeToJson(csn));
        return ReadResult{r.index, call->json(arr)};
    });
}

void healthState(const CallPtr &c)
{
    if (!c->requireTail(QStringLiteral("Missing check state")))
        return;
    const QString state = c->tail;
    if (state != QLatin1String("any") && state != model::status::Passing && state != model::status::Warning &&
        state != model::status::Critical) {
        c->replyText(400, QStringLiteral("Invalid check state '%1'").arg(state));
        return;
    }
    ReadFilters f;
    if (!parseReadFilters(c, &f))
        return;
    state::StateStore *store = &c->store();
    Call *call = c.get();
    c->blockingRead([store, call, state, f](state::WatchSet *ws) {
        auto r = store->checksInState(state, ws);
        QList<model::Check> checks;
        for (const auto &ch : r.value) {
            if (!f.nodeMeta.isEmpty()) {
                auto n = store->node(ch.node, ws);
                if (!n.value || !f.matchesNodeMeta(n.value->meta))
                    continue;
            }
            checks.append(ch);
        }
        return ReadResult{r.index, call->json(checksToJson(checks))};
    });
}

}  // namespace conclave::api
