#include "api/http_api.h"

#include "api/call.h"

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTimer>
#include <QUrl>

Q_LOGGING_CATEGORY(lcHttp, "conclave.http")

namespace conclave::api {

namespace {

enum Method : unsigned { Get = 1, Put = 2, Delete = 4, Post = 8 };

/// Endpoint groups that later issues bring answer 501 with a sentence, never a silent 404.
void notImplemented(const CallPtr &c)
{
    const QString group = c->req.path.section(QLatin1Char('/'), 0, 2);  // "/v1/session"
    c->replyText(501, QStringLiteral("%1 is not implemented yet in Conclave").arg(group));
}

/// One row of the route table. `prefix` routes match any path that starts with `path` and pass the
/// rest on as Call::tail; exact routes match the path alone. `local` routes are answered by this
/// agent and ignore ?dc (Consul's /v1/agent/*).
struct Route {
    const char *path;
    bool prefix;
    unsigned methods;
    bool local;
    void (*handler)(const CallPtr &);
};

// The whole API on one page (Consul agent/http_register.go). Longer prefixes first where they overlap.
const Route kRoutes[] = {
    {"/v1/kv/", true, Get | Put | Delete, false, kvEndpoint},

    {"/v1/catalog/register", false, Put, false, catalogRegister},
    {"/v1/catalog/deregister", false, Put, false, catalogDeregister},
    {"/v1/catalog/datacenters", false, Get, false, catalogDatacenters},
    {"/v1/catalog/nodes", false, Get, false, catalogNodes},
    {"/v1/catalog/services", false, Get, false, catalogServices},
    {"/v1/catalog/service/", true, Get, false, catalogService},
    {"/v1/catalog/node/", true, Get, false, catalogNode},
    {"/v1/catalog/node-services/", true, Get, false, catalogNodeServices},

    {"/v1/health/node/", true, Get, false, healthNode},
    {"/v1/health/checks/", true, Get, false, healthChecks},
    {"/v1/health/service/", true, Get, false, healthService},
    {"/v1/health/state/", true, Get, false, healthState},

    {"/v1/agent/self", false, Get, true, agentSelf},
    {"/v1/agent/members", false, Get, true, agentMembers},
    {"/v1/agent/services", false, Get, true, agentServices},
    {"/v1/agent/service/register", false, Put, true, agentServiceRegister},
    {"/v1/agent/service/deregister/", true, Put, true, agentServiceDeregister},
    {"/v1/agent/service/maintenance/", true, Put, true, agentServiceMaintenance},
    {"/v1/agent/service/", true, Get, true, agentService},
    {"/v1/agent/checks", false, Get, true, agentChecks},
    {"/v1/agent/check/register", false, Put, true, agentCheckRegister},
    {"/v1/agent/check/deregister/", true, Put, true, agentCheckDeregister},
    // Consul accepts only PUT here; old Java/Python clients still GET, a harmless leniency.
    {"/v1/agent/check/pass/", true, Put | Get, true, agentCheckPass},
    {"/v1/agent/check/warn/", true, Put | Get, true, agentCheckWarn},
    {"/v1/agent/check/fail/", true, Put | Get, true, agentCheckFail},
    {"/v1/agent/check/update/", true, Put, true, agentCheckUpdate},
    {"/v1/agent/maintenance", false, Put, true, agentMaintenance},

    {"/v1/status/leader", false, Get, false, statusLeader},
    {"/v1/status/peers", false, Get, false, statusPeers},

    {"/v1/snapshot", false, Get | Put, false, snapshotEndpoint},

    // Consul endpoint groups that later issues bring: a clear 501, never a silent 404.
    {"/v1/session/", true, Get | Put, false, notImplemented},
    {"/v1/txn", false, Put, false, notImplemented},
    {"/v1/event/", true, Get | Put, false, notImplemented},
    {"/v1/coordinate/", true, Get | Put, false, notImplemented},
    {"/v1/operator/raft/configuration", false, Get, false, operatorRaftConfiguration},
    {"/v1/operator/raft/peer", false, Delete, false, operatorRaftPeer},
    {"/v1/operator/raft/transfer-leader", false, Post, false, operatorRaftTransferLeader},
    {"/v1/operator/", true, Get | Put | Post | Delete, false, notImplemented},
    {"/v1/acl/", true, Get | Put | Post | Delete, false, notImplemented},
    {"/v1/query", true, Get | Put | Post | Delete, false, notImplemented},
};

unsigned methodBit(const QByteArray &m)
{
    if (m == "GET" || m == "HEAD")
        return Get;
    if (m == "PUT")
        return Put;
    if (m == "DELETE")
        return Delete;
    if (m == "POST")
        return Post;
    return 0;
}

QByteArray allowHeader(unsigned methods)
{
    QByteArray a = "OPTIONS";
    if (methods & Get)
        a += ",GET";
    if (methods & Put)
        a += ",PUT";
    if (methods & Post)
        a += ",POST";
    if (methods & Delete)
        a += ",DELETE";
    return a;
}

const Route *findRoute(const QString &path, QString *tail)
{
    for (const Route &r : kRoutes) {
        const QLatin1String p(r.path);
        if (r.prefix ? path.startsWith(p) : path == p) {
            *tail = r.prefix ? path.mid(p.size()) : QString();
            return &r;
        }
    }
    return nullptr;
}

/// Go's ServeMux cleans paths with `//`, `/./` or `/../` and redirects (301) to the clean form.
QString cleanPath(const QString &path)
{
    QStringList out;
    const QStringList parts = path.split(QLatin1Char('/'));
    for (int i = 0; i < parts.size(); ++i) {
        const QString &p = parts[i];
        if (p.isEmpty() || p == QLatin1String(".")) {
            if (i == parts.size() - 1 && !out.isEmpty())
                out.append(QString());  // keep a trailing slash
            continue;
        }
        if (p == QLatin1String("..")) {
            if (!out.isEmpty())
                out.removeLast();
            continue;
        }
        out.append(p);
    }
    return QLatin1Char('/') + out.join(QLatin1Char('/'));
}

}  // namespace

HttpApi::HttpApi(ApiContext ctx, QObject *parent) : QObject(parent), m_ctx(std::move(ctx)) {}

HttpApi::~HttpApi() = default;

int HttpApi::parkedQueries() const
{
    return m_parked;
}

void HttpApi::handle(const net::HttpRequest &req, net::HttpResponder responder)
{
    auto plain = [&](int status, const QByteArray &text) {
        net::HttpResponse r = net::HttpResponse::text(status, text);
        r.setHeader("X-Consul-Default-Acl-Policy", "allow");
        responder.send(r);
    };

    const QString clean = cleanPath(req.path);
    if (clean != req.path) {
        net::HttpResponse r = net::HttpResponse::text(301, "Moved Permanently\n");
        QByteArray location = QUrl::toPercentEncoding(clean, "/");
        const int q = req.target.indexOf('?');
        if (q >= 0)
            location += req.target.mid(q);
        r.setHeader("Location", location);
        responder.send(r);
        return;
    }

    QString tail;
    const Route *route = findRoute(req.path, &tail);
    if (!route) {
        plain(404, "Invalid URL path: not a recognized HTTP API endpoint");
        return;
    }
    if (req.method == "OPTIONS") {
        net::HttpResponse r;
        r.setHeader("Allow", allowHeader(route->methods));
        responder.send(r);
        return;
    }
    const unsigned bit = methodBit(req.method);
    if (!(route->methods & bit)) {
        net::HttpResponse r = net::HttpResponse::text(405, "method " + req.method + " not allowed");
        r.setHeader("Allow", allowHeader(route->methods));
        responder.send(r);
        return;
    }
    QString error;
    auto opts = parseQueryOptions(req, &error);
    if (!opts) {
        plain(400, error.toUtf8());
        return;
    }
    if (m_ctx.config.alwaysPretty)
        opts->pretty = true;
    if (!route->local && !opts->datacenter.isEmpty() && opts->datacenter != m_ctx.config.datacenter) {
        // Multi-datacenter forwarding arrives with WAN gossip; until then only the local DC exists.
        plain(500, "No path to datacenter");
        return;
    }
    auto call = std::make_shared<Call>(*this, req, std::move(responder), *opts, tail);
    call->localRoute = route->local;
    route->handler(call);
}

// ---- Call

QByteArray Call::encode(const QJsonValue &v) const
{
    return json::encode(v, opts.pretty);
}

net::HttpResponse Call::json(const QJsonValue &v, int status) const
{
    return net::HttpResponse::json(status, encode(v));
}

void Call::addReadHeaders(net::HttpResponse &r, quint64 index) const
{
    const server::ReplicatedLog &log = *m_api.m_ctx.log;
    r.setHeader("X-Consul-Index", QByteArray::number(index < 1 ? 1 : index));
    r.setHeader("X-Consul-Knownleader", log.hasLeader() ? "true" : "false");
    r.setHeader("X-Consul-Lastcontact", QByteArray::number(log.lastContactMs()));
    r.setHeader("X-Consul-Effective-Consistency", consistencyName(opts.consistency));
}

void Call::send(net::HttpResponse r) const
{
    r.setHeader("X-Consul-Default-Acl-Policy", "allow");
    responder.send(r);
}

void Call::replyText(int status, const QString &text) const
{
    send(net::HttpResponse::text(status, text.toUtf8()));
}

void Call::replyEmpty() const
{
    send(net::HttpResponse{});
}

void Call::replyBool(bool v) const
{
    send(net::HttpResponse::json(200, v ? "true" : "false"));
}

void Call::whenReadable(std::function<void()> then)
{
    server::ReplicatedLog &log = *ctx().log;
    bool barrier = false;
    if (!localRoute && !log.isLeader()) {
        switch (opts.consistency) {
        case Consistency::Stale:
            // As Consul: the local store answers while it heard from a leader within max_stale,
            // even if there is no leader right now (that is what max_stale is for).
            barrier = opts.maxStaleMs > 0 && log.lastContactMs() > opts.maxStaleMs;
            break;
        case Consistency::Default:
        case Consistency::Consistent:
            barrier = true;
            break;
        }
    } else if (!localRoute && opts.consistency == Consistency::Consistent) {
        barrier = true;  // a leader confirms it still is one before answering
    }
    if (!barrier) {
        then();
        return;
    }
    CallPtr self = shared_from_this();
    log.readBarrier([self, then = std::move(then)](bool ok) {
        if (!ok) {
            self->replyText(500, QStringLiteral("No cluster leader"));
            return;
        }
        then();
    });
}

void Call::read(ReadFn fn)
{
    if (!m_readable) {
        whenReadable([self = shared_from_this(), fn = std::move(fn)]() mutable {
            self->m_readable = true;
            self->read(std::move(fn));
        });
        return;
    }
    ReadResult r = fn(nullptr);
    addReadHeaders(r.response, r.index);
    send(r.response);
}

/// A parked blocking query: the call, its read, the watch registration and the deadline.
struct HttpApi::Parked {
    CallPtr call;
    ReadFn read;
    state::WatchRegistry::Handle watch = 0;
    QTimer *deadline = nullptr;
    bool finished = false;
    quint64 epoch = 0;  // the store's epoch when the query parked
};

void finishParked(const std::shared_ptr<HttpApi::Parked> &p, HttpApi *api)
{
    if (p->finished)
        return;
    p->finished = true;
    --api->m_parked;
    if (p->watch)
        p->call->store().watches().cancel(p->watch);
    p->watch = 0;
    if (p->deadline) {
        p->deadline->stop();
        p->deadline->deleteLater();
        p->deadline = nullptr;
    }
}

void Call::blockingRead(ReadFn fn)
{
    if (!m_readable) {
        whenReadable([self = shared_from_this(), fn = std::move(fn)]() mutable {
            self->m_readable = true;
            self->blockingRead(std::move(fn));
        });
        return;
    }
    if (opts.minIndex == 0) {
        read(std::move(fn));
        return;
    }
    const ApiConfig &cfg = ctx().config;
    qint64 wait = opts.waitMs > 0 ? opts.waitMs : cfg.defaultQueryTimeMs;
    wait = std::min(wait, cfg.maxQueryTimeMs);
    // Consul adds up to wait/16 of jitter so that many watchers do not return in lockstep.
    if (ctx().random && wait >= 16)
        wait += qint64(ctx().random(quint64(wait / 16)));

    auto parked = std::make_shared<HttpApi::Parked>();
    parked->call = shared_from_this();
    parked->read = std::move(fn);
    HttpApi *api = &m_api;
    ++api->m_parked;

    // One attempt: run the read; answer if its index moved past ?index (Consul blocks while
    // index <= ?index), else register on what it read. `final` answers whatever it finds. After a
    // snapshot restore replaced the store it answers at once whatever the index, as Consul's
    // blockingQuery does when its store is abandoned: indexes may have gone backwards, and the
    // client resets to the lower index it is given (consul-http-api.md, blocking queries).
    parked->epoch = store().epoch();
    auto attempt = std::make_shared<std::function<void(bool)>>();
    std::weak_ptr<std::function<void(bool)>> weakAttempt = attempt;
    *attempt = [parked, api, weakAttempt](bool final) {
        if (parked->finished)
            return;
        Call &c = *parked->call;
        state::WatchSet ws;
        ReadResult r = parked->read(&ws);
        const bool restored = c.store().epoch() != parked->epoch;
        if (final || restored || r.index > c.opts.minIndex || ws.isEmpty()) {
            finishParked(parked, api);
            c.addReadHeaders(r.response, r.index);
            c.send(r.response);
            return;
        }
        auto again = weakAttempt.lock();
        parked->watch = c.store().watches().watch(ws, [parked, api, again]() {
            parked->watch = 0;
            // Re-run on the next loop turn: watches fire from inside the FSM's commit.
            QMetaObject::invokeMethod(api, [again]() { (*again)(false); }, Qt::QueuedConnection);
        });
    };

    parked->deadline = new QTimer(api);
    parked->deadline->setSingleShot(true);
    QObject::connect(parked->deadline, &QTimer::timeout, api, [parked, attempt]() { (*attempt)(true); });
    parked->deadline->start(int(std::min<qint64>(wait, std::numeric_limits<int>::max())));
    responder.onClosed([parked, api]() { finishParked(parked, api); });
    // The attempt function must outlive the watch callbacks; the deadline's lambda owns it.
    (*attempt)(false);
}

void Call::propose(const state::Command &cmd, std::function<void(const state::ApplyResult &)> onApplied)
{
    auto self = shared_from_this();
    ctx().log->propose(state::encodeCommand(cmd), [self, onApplied = std::move(onApplied)](
                                                      const server::ProposeResult &pr) {
        if (pr.error != server::LogError::None) {
            self->replyText(500, pr.errorText.isEmpty() ? QStringLiteral("No cluster leader") : pr.errorText);
            return;
        }
        onApplied(pr.result);
    });
}

void Call::proposeAndReplyBool(const state::Command &cmd, int errorStatus)
{
    auto self = shared_from_this();
    propose(cmd, [self, errorStatus](const state::ApplyResult &r) {
        if (!r.error.isEmpty())
            self->replyText(errorStatus, r.error);
        else
            self->replyBool(r.ok);
    });
}

bool Call::requireTail(const QString &missingText) const
{
    if (!tail.isEmpty())
        return true;
    replyText(400, missingText);
    return false;
}

}  // namespace conclave::api
