#pragma once
// The composition root of `conclave agent`: builds the state store, FSM, replicated log, local
// state, HTTP API and server, connects them and owns their lifetimes. No protocol logic here.
//
// Event-loop thread. start() may block briefly (it opens the data dir) and must run before the
// event loop serves anything.

#include "agent/config.h"
#include "shared/model/types.h"

#include <QLockFile>
#include <QObject>
#include <QTemporaryDir>
#include <functional>
#include <memory>

namespace conclave::state {
class StateStore;
class Fsm;
}
namespace conclave::server {
class ReplicatedLog;
class SingleNodeLog;
class RaftNode;
class ServerDiscovery;
class FsmStateMachine;
}
namespace conclave::net {
class HttpServer;
class DnsServer;
class PeerTransport;
}
namespace conclave::dns {
class Resolver;
}
namespace conclave::api {
class HttpApi;
class RaftOperator;
class ViewerStream;
}

namespace conclave::agent {

class LocalState;

class Agent : public QObject {
    Q_OBJECT
public:
    explicit Agent(AgentConfig config, QObject *parent = nullptr);
    ~Agent() override;

    /// Opens the data dir, restores state, registers this node and starts listening. On failure
    /// `error` holds one sentence for the user.
    bool start(QString *error);
    /// Stops listening and flushes the log. Idempotent.
    void shutdown();
    /// Before a graceful shutdown: a Raft leader hands leadership to its most caught-up voter
    /// (bounded by an election timeout) so the cluster need not wait for an election; `done`
    /// runs afterwards, at once on any other agent.
    void prepareShutdown(std::function<void()> done);

    const AgentConfig &config() const { return m_config; }
    quint16 httpPort() const;
    /// The DNS port (UDP and TCP) once listening; 0 when DNS is disabled (ports.dns = -1).
    quint16 dnsPort() const;
    QString nodeId() const { return m_nodeId; }

signals:
    /// Storage failed or another fatal condition; the agent should exit non-zero.
    void fatal(const QString &text);

private:
    bool prepareDataDir(QString *error);
    QJsonObject selfJson() const;
    QList<model::Member> membersList() const;
    void registerSelf();
    bool startDns(QString *error);
    /// Opens the replicated log: SingleNodeLog for -dev and a lone -bootstrap server, otherwise
    /// RaftNode on the server port with ServerDiscovery (bootstrap_expect, retry_join).
    bool openLog(QString *error);
    bool clusterMode() const;

    AgentConfig m_config;
    QString m_nodeId;
    std::unique_ptr<QTemporaryDir> m_devDir;
    std::unique_ptr<QLockFile> m_lock;
    std::unique_ptr<state::StateStore> m_store;
    std::unique_ptr<state::Fsm> m_fsm;
    std::unique_ptr<server::FsmStateMachine> m_machine;
    std::unique_ptr<server::SingleNodeLog> m_single;
    std::unique_ptr<net::PeerTransport> m_transport;
    std::unique_ptr<server::RaftNode> m_raft;  // after the transport: destroyed first
    std::unique_ptr<server::ServerDiscovery> m_discovery;
    server::ReplicatedLog *m_log = nullptr;  // m_single or m_raft
    std::unique_ptr<LocalState> m_local;
    std::unique_ptr<api::RaftOperator> m_raftOperator;
    std::unique_ptr<api::HttpApi> m_api;
    std::unique_ptr<net::HttpServer> m_http;
    std::unique_ptr<api::ViewerStream> m_stream;  // after m_http: goes first, with the sockets it took
    // Declared after the store: destroyed first, as the resolver reads the store.
    std::unique_ptr<dns::Resolver> m_resolver;
    std::unique_ptr<net::DnsServer> m_dns;
    qint64 m_startedMs = 0;
};

}  // namespace conclave::agent
