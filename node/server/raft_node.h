#pragma once
// RaftNode: the ReplicatedLog of a multi-server cluster. Drives raft::RaftCore (core/raft) with a
// QTimer tick, persists through storage::StorageThread, talks to the other servers through
// net::PeerTransport and feeds committed commands to the StateMachine. STYLE.md §3: this is the
// only place that knows the order of a Ready: persist (snapshot, entries, term/vote, fsync'd) →
// send → apply → advance.
//
// Writes proposed on a follower are forwarded to the leader (ForwardRequest frames) and answered
// once the leader applied them and this server applied that index too (read-your-writes). With no
// leader a write waits up to rpcHoldTimeoutMs (Consul's rpc_hold_timeout) and then fails NoLeader.
// readBarrier() gives `consistent` reads (Raft thesis §6.4 ReadIndex).
//
// Timing (Consul raft_multiplier = 1): 100 ms tick, election after a random 10–20 ticks (1–2 s,
// Consul's HeartbeatTimeout/ElectionTimeout 1000 ms), heartbeat every tick.
//
// Owned by the agent, which also owns the StateMachine and the PeerTransport (both must outlive
// it). Event-loop thread; storage work runs on the StorageThread it owns. open() and shutdown()
// block (startup/shutdown only).

#include "core/raft/raft_core.h"
#include "net/peer_transport.h"
#include "server/forwarder.h"
#include "server/raft_messages.h"
#include "server/replicated_log.h"
#include "server/state_machine.h"
#include "storage/storage_thread.h"

#include <QElapsedTimer>
#include <QHash>
#include <QThreadPool>
#include <QTimer>

#include <deque>
#include <map>
#include <memory>
#include <optional>

namespace conclave::server {

class RaftNode : public ReplicatedLog {
    Q_OBJECT
public:
    struct Peer {
        QString id;       // the server's node ID (raft::NodeId)
        QString address;  // "ip:port" of its server port
    };
    struct Config {
        QString nodeId;
        QString advertiseAddress;  // our own server port, "ip:port"
        /// The initial voters, this server included (bootstrap_expect: every server is started
        /// with the same list). Used to bootstrap an empty data dir and to address peers.
        QList<Peer> peers;
        /// False for a server that joined an existing cluster: the initial voters above are the
        /// cluster's, and this server was added later through the log.
        bool selfIsInitialVoter = true;
        /// The leader promotes a non-voter to voter once it has every committed entry.
        bool promoteLearners = true;
        int tickMs = 100;
        int electionTicks = 10;
        int heartbeatTicks = 1;
        quint64 snapshotThreshold = 16384;  // Consul's raft_snapshot_threshold
        quint64 trailingLogs = 10240;       // Consul's raft_trailing_logs (kept on disk)
        int rpcHoldTimeoutMs = 7000;        // Consul's rpc_hold_timeout
        int snapshotChunkBytes = 512 * 1024;
        qint64 maxDatabasePages = 0;
        quint64 randomSeed = 0;  // 0: random
    };

    RaftNode(StateMachine &stateMachine, net::PeerTransport &transport, Config config, QObject *parent = nullptr);
    ~RaftNode() override;

    /// Opens `<dataDir>`: restores the newest snapshot, then hard state and log; an empty dir
    /// bootstraps config.peers as the voters. Starts ticking. One-sentence `error` on failure.
    /// An empty dir with no config.peers waits for bootstrap() (bootstrap_expect): until then
    /// Raft frames are ignored and proposals are held (failing NoLeader after rpcHoldTimeoutMs).
    bool open(const QString &dataDir, QString *error);
    /// Gives a waiting server its initial voters (this server is added to them). Every server of
    /// the new cluster must be given the same list. False if not waiting.
    bool bootstrap(const QList<Peer> &peers, QString *error);
    /// A waiting server joins an existing cluster whose initial voters are `clusterVoters`: it
    /// follows the leader and waits to be added (as a non-voter first) through the log.
    bool joinExisting(const QList<Peer> &clusterVoters, QString *error);
    bool awaitingBootstrap() const { return m_state == State::AwaitingBootstrap; }
    /// Learns or changes the server-port address of server `id` (also from PeerTransport's
    /// peerIntroduced). Restarts need this: the initial voters' addresses are not in the log.
    void setPeerAddress(const QString &id, const QString &address);
    /// Fails everything pending with ShuttingDown, finishes storage work and stops. Idempotent.
    void shutdown();
    /// Graceful leave: a leader hands leadership to its most caught-up voter (Raft thesis
    /// §3.10) and `done` runs once leadership moved or after an election timeout; a follower
    /// runs `done` at once. Call shutdown() afterwards.
    void transferLeadership(std::function<void()> done);

    void propose(const QByteArray &command, Done done) override;
    /// Linearizable read barrier (`consistent`): `done(true)` once this server applied the commit
    /// index a quorum confirmed after the call; `done(false)` after rpcHoldTimeoutMs without one.
    void readBarrier(std::function<void(bool ok)> done) override;
    /// Proposes a single-server membership change on the leader (context: the server's address
    /// for additions). `done` runs once it is committed, or with an error (NoLeader on a
    /// follower, Rejected when another change is in progress or it does not apply).
    void changeMembership(const raft::ConfChange &change, Done done);
    /// Learner ids (non-voters catching up) of the current membership.
    QStringList learnerIds() const;
    /// The log index the leader knows `id` has (0 if unknown or not the leader).
    quint64 matchIndex(const QString &id) const;

    bool isLeader() const override;
    bool hasLeader() const override;
    QString leaderAddress() const override;
    QStringList peers() const override;
    qint64 lastContactMs() const override;
    quint64 appliedIndex() const override { return m_appliedIndex; }
    quint64 commitIndex() const override;

    QString nodeId() const { return m_config.nodeId; }
    QString leaderId() const;
    quint64 currentTerm() const override;
    quint64 lastSnapshotIndex() const { return m_lastSnapshot.meta.index.value; }
    /// Voter ids of the current membership.
    QStringList voterIds() const;
    /// "ip:port" of server `id` ("" if unknown).
    QString addressOf(const QString &id) const;
    /// Index of the newest membership change applied here (1 for the initial membership).
    quint64 membershipIndex() const { return m_membershipIndex; }

signals:
    void leaderChanged(const QString &leaderId);
    void snapshotTaken(quint64 index);
    void membershipChanged();

private:
    enum class State { Closed, AwaitingBootstrap, Open, Failed, ShutDown };
    struct Held {
        QByteArray command;
        Done done;
        qint64 deadline = 0;
    };
    struct Pending {
        raft::Term term;
        Done done;
        qint64 deadline = 0;
    };
    struct Read {
        std::function<void(bool)> done;
        qint64 deadline = 0;
        bool asked = false;
        QString askedLeader;  // the leader when asked ("" if we were a candidate or had none)
        quint64 index = 0;  // the read index, once confirmed
        bool confirmed = false;
    };
    struct SnapshotData {
        raft::SnapshotMeta meta;
        QByteArray payload;
    };
    struct PostedSnapshot {
        bool install = false;  // received from a leader (part of a Ready) or our own
        SnapshotData data;
    };
    struct Assembly {
        quint64 index = 0;
        quint64 term = 0;
        QByteArray data;
    };

    raft::Membership initialMembership();
    void startCore(const raft::InitialState &init, bool fresh);
    void scheduleReady();
    void processReady();
    void maybeFinishReady();
    void finishReady();
    void onTick();
    void onFrame(const QString &from, net::PeerTransport::Channel channel, const net::Frame &frame);
    void onMessage(const raft::Message &m);
    void onSnapshotChunk(const QString &from, const SnapshotChunk &chunk);
    void sendMessage(const raft::Message &m);
    void sendSnapshot(const raft::Message &m);
    void onConfChangeApplied(const raft::Entry &e);
    bool leaveWaiting(const QList<Peer> &peers, bool selfIsVoter, QString *error);
    void promoteCaughtUpLearners();
    bool tryProposeHere(const QByteArray &command, Done &done);
    void tryAskRead(quint64 id);
    void completeWaiting();
    void expire();
    void maybeSnapshot();
    /// The snapshot maybeSnapshot() had encoded off the loop: written unless we shut down since.
    void onSnapshotEncoded(const raft::SnapshotMeta &meta, QByteArray payload);
    void onSnapshotDone(bool ok, const QString &text);
    void fail(const QString &text);
    void failAll(LogError error, const QString &text);
    void deferError(Done done, LogError error, const QString &text);
    qint64 now() const { return m_clock.elapsed(); }

    StateMachine &m_stateMachine;
    net::PeerTransport &m_transport;
    Config m_config;
    State m_state = State::Closed;
    std::unique_ptr<storage::StorageThread> m_storage;
    std::unique_ptr<raft::RaftCore> m_core;
    QTimer m_tick;
    QElapsedTimer m_clock;
    qint64 m_lastContact = 0;
    QHash<QString, QString> m_addresses;
    QString m_lastLeader;
    QString m_failure;
    QString m_dataDir;
    std::vector<Held> m_held;  // proposals made while waiting to bootstrap
    bool m_promoting = false;
    quint64 m_membershipIndex = 1;  // a Promote we proposed is not answered yet

    // The Ready being persisted; persistence is done when every sequence number below caught up.
    std::optional<raft::Ready> m_ready;
    bool m_readyScheduled = false;
    quint64 m_appendsPosted = 0, m_appendsDone = 0, m_waitAppends = 0;
    quint64 m_hardStatesPosted = 0, m_hardStatesDone = 0, m_waitHardStates = 0;
    quint64 m_snapshotsPosted = 0, m_snapshotsDone = 0, m_waitSnapshots = 0;
    raft::HardState m_savedHardState;
    std::deque<PostedSnapshot> m_postedSnapshots;
    std::optional<raft::SnapshotMeta> m_pendingCompact;

    quint64 m_appliedIndex = 0;
    std::map<quint64, Pending> m_pending;  // by log index, leader side
    std::unique_ptr<Forwarder> m_forwarder;  // follower → leader writes
    std::map<quint64, Read> m_reads;  // by read id (the ReadIndex context)
    quint64 m_nextReadId = 1;

    SnapshotData m_lastSnapshot;  // newest snapshot on disk (sent to lagging followers)
    bool m_snapshotInFlight = false;
    // One worker that encodes snapshots, so a large state does not stall the event loop (and with
    // it heartbeats and client requests). shutdown() waits for it.
    QThreadPool m_snapshotPool;
    quint64 m_previousSnapshotIndex = 0;
    quint64 m_compactedIndex = 0;
    QHash<QString, Assembly> m_assemblies;         // incoming snapshot chunks by sender
    std::map<quint64, QByteArray> m_receivedSnapshots;  // complete payloads by snapshot index

    std::function<void()> m_transferDone;
    qint64 m_transferDeadline = 0;
};

}  // namespace conclave::server
