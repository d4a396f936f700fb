#pragma once
// One HTTP API call in flight: the request, its parsed options, the responder, and helpers that
// give every answer Consul's headers. Shared-owned so that async work (a proposal waiting for
// commit, a parked blocking query) can keep it alive. Internal to the api module.

#include "api/http_api.h"
#include "core/state/command.h"

#include <QJsonValue>
#include <functional>
#include <memory>

namespace conclave::api {

/// The result of one run of a read: its index and the answer to send if it is final.
struct ReadResult {
    quint64 index = 1;
    net::HttpResponse response;
};
using ReadFn = std::function<ReadResult(state::WatchSet *ws)>;

class Call : public std::enable_shared_from_this<Call> {
public:
    Call(HttpApi &api, net::HttpRequest req, net::HttpResponder responder, QueryOptions opts, QString tail)
        : m_api(api), req(std::move(req)), responder(std::move(responder)), opts(opts), tail(std::move(tail)) {}

    ApiContext &ctx() { return m_api.m_ctx; }
    state::StateStore &store() { return *m_api.m_ctx.store; }

    // ---- building answers
    QByteArray encode(const QJsonValue &v) const;
    net::HttpResponse json(const QJsonValue &v, int status = 200) const;
    /// Adds X-Consul-Index (never 0), KnownLeader, LastContact, Effective-Consistency.
    void addReadHeaders(net::HttpResponse &r, quint64 index) const;

    // ---- sending
    void send(net::HttpResponse r) const;
    void replyText(int status, const QString &text) const;
    void replyJson(const QJsonValue &v, int status = 200) const { send(json(v, status)); }
    void replyEmpty() const;  // 200, empty body
    void replyBool(bool v) const;

    /// Runs a read as a blocking query (Consul blockingQuery): answers at once unless ?index is
    /// given and the result's index is not above it; then parks on the read's WatchSet until a
    /// change or the jittered wait deadline, re-running the read each time.
    void blockingRead(ReadFn read);
    /// A plain (non-blocking) read with read headers.
    void read(ReadFn read);
    /// Runs `then` once this server may answer the read under opts.consistency: at once for
    /// `stale` (unless max_stale is exceeded) and agent-local routes and on the leader for
    /// `default`; after a ReadIndex round with a quorum for `consistent` and on a follower (where
    /// Consul would forward the read to the leader). Without a leader in time: 500 "No cluster leader".
    void whenReadable(std::function<void()> then);

    /// Proposes a command; on success calls onApplied with the FSM's result, on a log error answers
    /// 500 with the error text (e.g. "No cluster leader") itself.
    void propose(const state::Command &cmd, std::function<void(const state::ApplyResult &)> onApplied);
    /// Proposes and answers Consul's boolean write result: `true`/`false` from the FSM, or the
    /// FSM's error text with `errorStatus`.
    void proposeAndReplyBool(const state::Command &cmd, int errorStatus);

    /// For routes whose path ends in a name (`/v1/catalog/service/<name>`): false, after answering
    /// 400 `missingText`, when the name is empty.
    bool requireTail(const QString &missingText) const;

    HttpApi &m_api;
    net::HttpRequest req;
    net::HttpResponder responder;
    QueryOptions opts;
    QString tail;  // the part of the path after the route prefix (decoded)
    bool localRoute = false;  // /v1/agent/...: answered by this agent, never by the leader
    bool m_readable = false;  // whenReadable() already passed for this call
};
using CallPtr = std::shared_ptr<Call>;

// Endpoint handlers (one file per group), called by the route table in routes.cpp.
void kvEndpoint(const CallPtr &c);
void operatorRaftConfiguration(const CallPtr &c);
void operatorRaftPeer(const CallPtr &c);
void operatorRaftTransferLeader(const CallPtr &c);
void catalogRegister(const CallPtr &c);
void catalogDeregister(const CallPtr &c);
void catalogDatacenters(const CallPtr &c);
void catalogNodes(const CallPtr &c);
void catalogServices(const CallPtr &c);
void catalogService(const CallPtr &c);
void catalogNode(const CallPtr &c);
void catalogNodeServices(const CallPtr &c);
void healthNode(const CallPtr &c);
void healthChecks(const CallPtr &c);
void healthService(const CallPtr &c);
void healthState(const CallPtr &c);
void agentSelf(const CallPtr &c);
void agentMembers(const CallPtr &c);
void agentServices(const CallPtr &c);
void agentService(const CallPtr &c);
void agentChecks(const CallPtr &c);
void agentServiceRegister(const CallPtr &c);
void agentServiceDeregister(const CallPtr &c);
void agentServiceMaintenance(const CallPtr &c);
void agentCheckRegister(const CallPtr &c);
void agentCheckDeregister(const CallPtr &c);
void agentCheckPass(const CallPtr &c);
void agentCheckWarn(const CallPtr &c);
void agentCheckFail(const CallPtr &c);
void agentCheckUpdate(const CallPtr &c);
void agentMaintenance(const CallPtr &c);
void snapshotEndpoint(const CallPtr &c);
void statusLeader(const CallPtr &c);
void statusPeers(const CallPtr &c);

}  // namespace conclave::api
