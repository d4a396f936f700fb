// /v1/kv/<key>: GET (recurse, keys, separator, raw), PUT (flags, cas), DELETE (recurse, cas).
// Semantics as Consul agent/kvs_endpoint.go; see consul-http-api.md §4.
#include "api/call.h"

#include <QJsonArray>

namespace conclave::api {

namespace {

/// Rejects path traversal and leading/trailing spaces (Consul's current key rule); any other UTF-8
/// key is accepted (Traefik probes with non-ASCII keys).
bool validKey(const QString &key)
{
    if (key != key.trimmed())
        return false;
    const QStringList parts = key.split(QLatin1Char('/'));
    for (const QString &p : parts)
        if (p == QLatin1String(".."))
            return false;
    return true;
}

/// Reads ?cas into a conditional verb; answers 400 and returns false when it is not a number.
bool parseCas(const CallPtr &c, state::KvVerb verb, state::KvCommand *kv)
{
    const auto cas = parseUnsigned(c->req.queryValue(QStringLiteral("cas")));
    if (!cas) {
        c->replyText(400, QStringLiteral("Invalid cas index"));
        return false;
    }
    kv->verb = verb;
    kv->entry.index.modifyIndex = *cas;
    return true;
}

void kvGet(const CallPtr &c)
{
    const QString key = c->tail;
    const bool recurse = c->req.hasQuery(QStringLiteral("recurse"));
    const bool keys = c->req.hasQuery(QStringLiteral("keys"));
    if (key.isEmpty() && !recurse && !keys) {
        c->replyText(400, QStringLiteral("Missing key name"));
        return;
    }
    state::StateStore *store = &c->store();
    Call *call = c.get();

    if (keys) {
        QString sep = c->req.queryValue(QStringLiteral("separator"));
        if (sep.isEmpty())
            sep = c->req.queryValue(QStringLiteral("seperator"));  // Consul still accepts the old spelling
        c->blockingRead([store, call, key, sep](state::WatchSet *ws) {
            auto r = store->kvKeys(key, sep, ws);
            ReadResult out{r.index, {}};
            if (r.value.isEmpty() && !key.isEmpty()) {
                out.response.status = 404;
                return out;
            }
            out.response = call->json(QJsonArray::fromStringList(r.value));
            return out;
        });
        return;
    }
    if (recurse) {
        c->blockingRead([store, call, key](state::WatchSet *ws) {
            auto r = store->kvList(key, ws);
            ReadResult out{r.index, {}};
            if (r.value.isEmpty()) {
                out.response.status = 404;
                return out;
            }
            QJsonArray arr;
            for (const auto &e : r.value)
                arr.append(json::kvEntryToJson(e));
            out.response = call->json(arr);
            return out;
        });
        return;
    }
    const bool raw = c->req.hasQuery(QStringLiteral("raw"));
    c->blockingRead([store, call, key, raw](state::WatchSet *ws) {
        auto r = store->kvGet(key, ws);
        ReadResult out{r.index, {}};
        if (!r.value) {
            out.response.status = 404;
            return out;
        }
        if (raw) {
            out.response.body = r.value->value;
            out.response.setHeader("Content-Type", "text/plain");
            out.response.setHeader("X-Content-Type-Options", "nosniff");
            out.response.setHeader("Content-Security-Policy", "sandbox");
            return out;
        }
        out.response = call->json(QJsonArray{json::kvEntryToJson(*r.value)});
        return out;
    });
}

void kvPut(const CallPtr &c)
{
    const QString key = c->tail;
    if (key.isEmpty()) {
        c->replyText(400, QStringLiteral("Missing key name"));
        return;
    }
    if (!validKey(key)) {
        c->replyText(400, QStringLiteral("Invalid key name: path traversal or leading/trailing spaces are not allowed"));
        return;
    }
    const bool hasCas = c->req.hasQuery(QStringLiteral("cas"));
    const bool acquire = c->req.hasQuery(QStringLiteral("acquire"));
    const bool release = c->req.hasQuery(QStringLiteral("release"));
    if (int(hasCas) + int(acquire) + int(release) > 1) {
        c->replyText(400, QStringLiteral("Conflicting flags: cas, acquire and release are mutually exclusive"));
        return;
    }
    if (acquire || release) {
        c->replyText(501, QStringLiteral("Sessions are not implemented yet: ?acquire and ?release are not supported"));
        return;
    }
    const qint64 limit = c->ctx().config.kvMaxValueSize;
    if (c->req.body.size() > limit) {
        c->replyText(413, QStringLiteral("Request body(%1 bytes) too large, max size: %2 bytes. See "
                                         "https://developer.hashicorp.com/consul/docs/agent/config/config-files#kv_max_value_size.")
                              .arg(c->req.body.size())
                              .arg(limit));
        return;
    }
    state::KvCommand kv;
    kv.verb = state::KvVerb::Set;
    kv.entry.key = key;
    kv.entry.value = c->req.body;
    if (c->req.hasQuery(QStringLiteral("flags"))) {
        const auto flags = parseUnsigned(c->req.queryValue(QStringLiteral("flags")));
        if (!flags) {
            c->replyText(400, QStringLiteral("Invalid flags"));
            return;
        }
        kv.entry.flags = *flags;
    }
    if (hasCas && !parseCas(c, state::KvVerb::Cas, &kv))
        return;
    c->proposeAndReplyBool(state::Command{state::CommandType::Kv, kv}, 500);
}

void kvDelete(const CallPtr &c)
{
    const QString key = c->tail;
    const bool recurse = c->req.hasQuery(QStringLiteral("recurse"));
    const bool hasCas = c->req.hasQuery(QStringLiteral("cas"));
    if (recurse && hasCas) {
        c->replyText(400, QStringLiteral("Conflicting flags: cas and recurse are mutually exclusive"));
        return;
    }
    if (key.isEmpty() && !recurse) {
        c->replyText(400, QStringLiteral("Missing key name"));
        return;
    }
    state::KvCommand kv;
    kv.entry.key = key;
    kv.verb = recurse ? state::KvVerb::DeleteTree : state::KvVerb::Delete;
    if (hasCas && !parseCas(c, state::KvVerb::DeleteCas, &kv))
        return;
    c->proposeAndReplyBool(state::Command{state::CommandType::Kv, kv}, 500);
}

}  // namespace

void kvEndpoint(const CallPtr &c)
{
    if (c->req.method == "PUT")
        kvPut(c);
    else if (c->req.method == "DELETE")
        kvDelete(c);
    else
        kvGet(c);
}

}  // namespace conclave::api
