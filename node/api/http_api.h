#pragma once
// The HTTP API: Consul's /v1 routes over the state store, the replicated log and the agent.
// Owns the route table (routes.cpp, one page, like Consul's http_register.go) and the parked
// blocking queries. Event-loop thread only; handlers never block.

#include "api/agent_delegate.h"
#include "api/raft_operator.h"
#include "api/query_options.h"
#include "core/state/fsm.h"
#include "core/state/state_store.h"
#include "net/http_server.h"
#include "server/replicated_log.h"

#include <QObject>
#include <functional>
#include <memory>

namespace conclave::api {

struct ApiConfig {
    QString datacenter = QStringLiteral("dc1");
    bool alwaysPretty = false;           // dev mode pretty-prints every JSON answer
    qint64 defaultQueryTimeMs = 300000;  // default_query_time
    qint64 maxQueryTimeMs = 600000;      // max_query_time
    qint64 kvMaxValueSize = 524288;      // limits.kv_max_value_size
};

struct ApiContext {
    ApiConfig config;
    state::StateStore *store = nullptr;
    state::Fsm *fsm = nullptr;  // the FSM over `store` (/v1/snapshot); null: snapshots answer 500
    server::ReplicatedLog *log = nullptr;
    AgentDelegate *agent = nullptr;
    RaftOperator *raft = nullptr;  // null on agents without a Raft log
    std::function<quint64(quint64 bound)> random;  // uniform in [0, bound); jitter for blocking waits
};

class HttpApi : public QObject {
    Q_OBJECT
public:
    explicit HttpApi(ApiContext ctx, QObject *parent = nullptr);
    ~HttpApi() override;

    /// The handler to give to net::HttpServer.
    void handle(const net::HttpRequest &req, net::HttpResponder responder);
    /// The body limit of one request, for net::HttpParserLimits::bodyLimit: `defaultLimit`, or
    /// state::kMaxSnapshotRestoreBytes + 1 for PUT /v1/snapshot (one byte over still reaches the
    /// route, which answers 413 naming the limit).
    static qint64 bodyLimit(const net::HttpRequest &head, qint64 defaultLimit);

    /// Number of blocking queries currently parked (for tests and stats).
    int parkedQueries() const;

    /// A parked blocking query (internal to http_api.cpp).
    struct Parked;

private:
    ApiContext m_ctx;
    int m_parked = 0;
    friend class Call;
    friend void finishParked(const std::shared_ptr<Parked> &p, HttpApi *api);
};

}  // namespace conclave::api
