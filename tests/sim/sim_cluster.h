#pragma once
// SimCluster: 3 or 5 RaftCores in one process over SimNetwork and a virtual clock, each with an
// in-memory disk (MemoryLog) and a tiny KV state machine (put/get/cas), driven like the real
// server/raft_node will be: Ready → persist (after a simulated disk delay) → send → apply →
// advance. Crashes lose whatever was not yet persisted; restarts load only the disk. Clients
// issue operations through whoever they think leads, with timeouts and retries; reads use
// ReadIndex. Invariants run after every event and the client history goes through the
// linearizability checker at the end. One seed reproduces a whole run.
// Owned by the sim test; single-threaded; no real time, sockets or files.

#include "linearizability.h"
#include "sim_network.h"

#include "core/raft/invariants.h"
#include "core/raft/memory_log.h"
#include "core/raft/raft_core.h"

#include <QStringList>

#include <deque>
#include <map>
#include <memory>
#include <queue>
#include <random>

namespace conclave::sim {

struct SimConfig {
    quint64 seed = 1;
    int nodes = 3;
    int clients = 3;
    qint64 tickMs = 10;        // one RaftCore tick of virtual time
    qint64 faultyMs = 1200;    // nemesis active (partitions, crashes, loss)
    qint64 settleMs = 600;    // then everything healed: a leader must emerge
    qint64 clientTimeoutMs = 400;
    quint64 snapshotEvery = 24;  // compact when this many entries were applied since the last
    bool verbose = false;        // print every event
};

struct SimResult {
    bool ok = true;
    QString failure;
    QStringList lastEvents;  // the tail of the transcript, for a failing seed
    int elections = 0;       // distinct leader terms
    qint64 firstLeaderTicks = -1;
    int opsOk = 0;
    int opsUnknown = 0;
    int crashes = 0;
    int snapshotsInstalled = 0;
    quint64 events = 0;
    quint64 maxCommit = 0;
};

class SimCluster {
public:
    explicit SimCluster(const SimConfig &config);
    ~SimCluster();
    SimResult run();

private:
    enum class Kind { Tick, Deliver, PersistDone, ClientIssue, ClientRequest, ClientReply,
                      ClientTimeout, Nemesis, Restart, EndFaults };
    enum class ReplyKind { Ok, Retry };
    struct Event {
        qint64 time = 0;
        quint64 seq = 0;
        Kind kind = Kind::Tick;
        int node = -1;
        int incarnation = 0;
        int client = -1;
        quint64 opId = 0;
        raft::Message msg;
        QByteArray payload;
        ReplyKind reply = ReplyKind::Ok;
        int hint = -1;
        QString output;
        bool casOk = false;
    };
    struct Later {
        bool operator()(const Event &a, const Event &b) const
        {
            return a.time != b.time ? a.time > b.time : a.seq > b.seq;
        }
    };
    struct Call {
        int client = -1;
        quint64 opId = 0;
    };
    struct Node;
    struct Client;
    struct TraceLine {
        qint64 time;
        Kind kind;
        int node;
        int client;
        raft::MessageType type;
        int from;
        int to;
        quint64 term;
        quint64 index;
        int entries;
        bool reject;
        QString note;
    };

    void schedule(Event e);
    void handle(const Event &e);
    void pump(Node &n);
    void handleReady(Node &n, const raft::Ready &rd);
    void applyEntry(Node &n, const raft::Entry &e);
    void serveReads(Node &n);
    void sendReply(int client, quint64 opId, ReplyKind kind, int hint, const QString &output,
                   bool casOk);
    void clientIssue(Client &c);
    void clientSend(Client &c);
    void onClientRequest(Node &n, const Event &e);
    void onClientReply(const Event &e);
    void nemesis();
    void crash(Node &n);
    void restart(Node &n);
    void checkInvariants();
    void fail(const QString &why);
    void trace(const Event &e, const QString &note = QString());
    QString format(const TraceLine &t) const;
    int nodeIndex(const raft::NodeId &id) const;
    raft::Config nodeConfig(int i) const;

    SimConfig m_cfg;
    std::mt19937_64 m_rng;
    SimNetwork m_net;
    std::vector<std::unique_ptr<Node>> m_nodes;
    std::vector<std::unique_ptr<Client>> m_clients;
    std::priority_queue<Event, std::vector<Event>, Later> m_queue;
    quint64 m_seq = 0;
    qint64 m_now = 0;
    bool m_faultsOn = true;
    raft::Invariants m_inv;
    std::vector<Operation> m_history;
    std::map<quint64, std::size_t> m_opIndex;  // opId → history position
    quint64 m_nextOp = 1;
    std::deque<TraceLine> m_trace;
    std::map<int, QString> m_lastState;  // verbose: role/term/leader last printed per server
    SimResult m_result;
};

}  // namespace conclave::sim
