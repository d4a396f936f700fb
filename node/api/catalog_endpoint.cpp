// /v1/catalog/*: register, deregister, datacenters, nodes, services, service/<name>, node/<node>,
// node-services/<node>. Semantics as Consul agent/catalog_endpoint.go; consul-http-api.md §6.
#include "api/call.h"
#include "api/read_filters.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace conclave::api {

namespace {

/// Parses a JSON object body; on failure answers 400 "Request decode failed: …" and returns nullopt.
std::optional<QJsonObject> decodeBody(const CallPtr &c)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(c->req.body, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject()) {
        c->replyText(400, QStringLiteral("Request decode failed: %1")
                              .arg(err.error != QJsonParseError::NoError ? err.errorString()
                                                                         : QStringLiteral("body is not a JSON object")));
        return std::nullopt;
    }
    return doc.object();
}

}  // namespace

std::optional<QJsonObject> decodeJsonBody(const CallPtr &c)
{
    return decodeBody(c);
}

namespace {

/// Decodes a catalog write body with `parse` and checks its Datacenter; answers 400 / 500 itself
/// and returns nullopt when the request cannot go on.
template <typename T, typename Parse>
std::optional<T> decodeCatalogRequest(const CallPtr &c, Parse parse)
{
    const auto body = decodeBody(c);
    if (!body)
        return std::nullopt;
    QString error;
    std::optional<T> req = parse(*body, &error);
    if (!req) {
        c->replyText(400, error.startsWith(QLatin1String("Request decode failed"))
                              ? error
                              : QStringLiteral("Request decode failed: %1").arg(error));
        return std::nullopt;
    }
    if (!req->datacenter.isEmpty() && req->datacenter != c->ctx().config.datacenter) {
        c->replyText(500, QStringLiteral("No path to datacenter"));
        return std::nullopt;
    }
    return req;
}

}  // namespace

void catalogRegister(const CallPtr &c)
{
    auto req = decodeCatalogRequest<model::RegisterRequest>(c, json::registerRequestFromJson);
    if (!req)
        return;
    req->datacenter = c->ctx().config.datacenter;
    if (req->node.isEmpty()) {
        c->replyText(400, QStringLiteral("Must provide node"));
        return;
    }
    if (req->address.isEmpty() && !req->skipNodeUpdate) {
        c->replyText(400, QStringLiteral("Must provide address if SkipNodeUpdate is not set"));
        return;
    }
    if (req->hasService && req->service.service.isEmpty()) {
        c->replyText(400, QStringLiteral("Must provide service name with ID"));
        return;
    }
    c->proposeAndReplyBool(state::Command{state::CommandType::CatalogRegister, *req}, 400);
}

void catalogDeregister(const CallPtr &c)
{
    auto req = decodeCatalogRequest<model::DeregisterRequest>(c, json::deregisterRequestFromJson);
    if (!req)
        return;
    if (req->node.isEmpty()) {
        c->replyText(400, QStringLiteral("Must provide node"));
        return;
    }
    c->proposeAndReplyBool(state::Command{state::CommandType::CatalogDeregister, *req}, 400);
}

void catalogDatacenters(const CallPtr &c)
{
    c->replyJson(QJsonArray{c->ctx().config.datacenter});
}

void catalogNodes(const CallPtr &c)
{
    ReadFilters f;
    if (!parseReadFilters(c, &f))
        return;
    state::StateStore *store = &c->store();
    Call *call = c.get();
    c->blockingRead([store, call, f](state::WatchSet *ws) {
        auto r = store->nodes(ws);
        QJsonArray arr;
        for (const auto &n : r.value)
            if (f.matchesNodeMeta(n.meta))
                arr.append(json::nodeToJson(n));
        return ReadResult{r.index, call->json(arr)};
    });
}

void catalogServices(const CallPtr &c)
{
    ReadFilters f;
    if (!parseReadFilters(c, &f))
        return;
    state::StateStore *store = &c->store();
    Call *call = c.get();
    c->blockingRead([store, call, f](state::WatchSet *ws) {
        QJsonObject obj;
        quint64 index = 1;
        if (f.nodeMeta.isEmpty()) {
            auto r = store->services(ws);
            index = r.index;
            for (auto it = r.value.cbegin(); it != r.value.cend(); ++it)
                obj.insert(it.key(), QJsonArray::fromStringList(it.value()));
        } else {
            // node-meta filtering: only services on matching nodes.
            auto nodes = store->nodes(ws);
            index = nodes.index;
            QMap<QString, QStringList> tags;
            for (const auto &n : nodes.value) {
                if (!f.matchesNodeMeta(n.meta))
                    continue;
                auto ns = store->nodeServices(n.node, ws);
                index = std::max(index, ns.index);
                if (!ns.value)
                    continue;
                for (const auto &s : ns.value->services) {
                    QStringList &t = tags[s.service];
                    for (const auto &tag : s.tags)
                        if (!t.contains(tag))
                            t.append(tag);
                }
            }
            for (auto it = tags.begin(); it != tags.end(); ++it) {
                it.value().sort();
                obj.insert(it.key(), QJsonArray::fromStringList(it.value()));
            }
        }
        return ReadResult{index, call->json(obj)};
    });
}

void catalogService(const CallPtr &c)
{
    if (!c->requireTail(QStringLiteral("Missing service name")))
        return;
    ReadFilters f;
    if (!parseReadFilters(c, &f))
        return;
    state::StateStore *store = &c->store();
    Call *call = c.get();
    const QString name = c->tail;
    c->blockingRead([store, call, f, name](state::WatchSet *ws) {
        auto r = store->serviceNodes(name, f.tags, ws);
        QJsonArray arr;
        for (const auto &sn : r.value)
            if (f.matchesNodeMeta(sn.node.meta))
                arr.append(json::serviceNodeToJson(sn));
        return ReadResult{r.index, call->json(arr)};
    });
}

void catalogNode(const CallPtr &c)
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
        auto r = store->nodeServices(node, ws);
        return ReadResult{r.index, call->json(json::catalogNodeToJson(r.value))};
    });
}

void catalogNodeServices(const CallPtr &c)
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
        auto r = store->nodeServices(node, ws);
        if (!r.value)
            return ReadResult{r.index, call->json(QJsonValue(QJsonValue::Null))};
        return ReadResult{r.index, call->json(json::nodeServicesToJson(*r.value))};
    });
}

}  // namespace conclave::api
