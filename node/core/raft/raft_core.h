#pragma once
// RaftCore: the Raft consensus protocol as a deterministic state machine (Raft paper and thesis;
// etcd-io/raft's raft.go + rawnode.go are the model). Inputs: tick(), step(message), propose(),
// proposeConfChange(), transferLeadership(), readIndex(), compact(). Output: a Ready batch taken
// with ready() and acknowledged with advance(). It never does I/O, reads no clock (time is the
// number of tick() calls) and draws randomness only from the seed it is given, so the same
// config, initial state, calls and seed always give the same Ready batches.
//
// Owner: the driver (server/raft_node in the product, SimCluster in tests). Not thread-safe:
// one thread calls everything. Caller duties and the state diagram are in README.md.
// Deliberately not here: storage, transport, snapshot payloads, the state machine itself.

#include "core/raft/progress.h"
#include "core/raft/raft_log.h"
#include "core/raft/types.h"

#include <deque>
#include <map>
#include <random>

namespace conclave::raft {

/// Timings are in ticks; the driver chooses the tick length. With a 100 ms tick the defaults
/// match Consul's raft_multiplier = 1 (HeartbeatTimeout 1000 ms → election after a random
/// [10, 20) ticks; the leader heartbeats every tick like hashicorp/raft's timeout/10).
struct Config {
    NodeId id;
    int electionTicks = 10;
    int heartbeatTicks = 1;
    bool preVote = true;      // Raft thesis §9.6
    bool checkQuorum = true;  // Raft thesis §6.2: the leader steps down without a live quorum
    std::size_t maxEntriesPerMsg = 64;  // Consul's MaxAppendEntries
    qint64 maxBytesPerMsg = 1024 * 1024;
    int maxInflight = 256;    // appends in flight per follower in Replicate state
    std::size_t maxCommittedPerReady = 4096;
};

/// What the driver loaded from stable storage (or a bootstrap for a brand-new cluster).
struct InitialState {
    HardState hardState;
    /// The compaction point. For a new cluster: index 0, term 0 and the initial membership.
    SnapshotMeta snapshot;
    /// Persisted entries following snapshot.index contiguously.
    std::vector<Entry> entries;
    /// The state machine already reflects entries up to here (≥ snapshot.index; usually
    /// snapshot.index after restoring it). Entries after it up to hardState.commit come out
    /// again in committedEntries.
    LogIndex applied;

    /// A fresh server of a new cluster with this initial membership (all voters).
    static InitialState bootstrap(const Membership &membership);
};

struct ProposeResult {
    RaftError error = RaftError::None;
    LogIndex index;  // where the entry went (0 on error)
    Term term;
};

class RaftCore {
public:
    RaftCore(const Config &config, const InitialState &initial, quint64 randomSeed);

    // --- inputs -------------------------------------------------------------------------------
    /// One unit of logical time: election timeouts, heartbeats, check-quorum.
    void tick();
    /// A message from another server. Messages of any term, duplicated or reordered, are fine.
    void step(const Message &message);
    /// Appends a command (leader only). The entry is committed later, or lost if leadership is.
    ProposeResult propose(const QByteArray &data);
    /// One membership change at a time (Raft thesis §4.1; leader only).
    ProposeResult proposeConfChange(const ConfChange &change);
    /// Hands leadership to `to` once it has caught up (Raft thesis §3.10, TimeoutNow).
    RaftError transferLeadership(const NodeId &to);
    /// Linearizable read (Raft thesis §6.4): a ReadState{index, context} comes out once a quorum
    /// confirmed leadership; serve the read after applying `index`. `context` must be non-empty
    /// and unique among pending reads. Followers forward to the leader.
    RaftError readIndex(const QByteArray &context);
    /// Starts an election now (bootstrap, tests). Does nothing on a leader or a non-voter.
    void campaign();
    /// The driver saved a snapshot of the applied state machine at meta.index (metadata from
    /// snapshotMetaAt); entries up to it are dropped and lagging followers get the snapshot.
    RaftError compact(const SnapshotMeta &meta);
    /// Metadata for a snapshot at `index` (between the current compaction point and applied).
    std::optional<SnapshotMeta> snapshotMetaAt(LogIndex index) const;
    /// The driver could not deliver a snapshot to `to`; it will be retried.
    void reportSnapshotFailure(const NodeId &to);

    // --- output -------------------------------------------------------------------------------
    /// False while a Ready is out and not yet advanced.
    bool hasReady() const;
    Ready ready();
    /// The driver handled `rd` completely (persisted, sent, applied).
    void advance(const Ready &rd);

    // --- read-only views (drivers, invariants, tests) ----------------------------------------
    const NodeId &id() const { return m_config.id; }
    const Config &config() const { return m_config; }
    Term term() const { return m_term; }
    const NodeId &vote() const { return m_vote; }
    const NodeId &lead() const { return m_lead; }
    Role role() const { return m_role; }
    bool isLeader() const { return m_role == Role::Leader; }
    HardState hardState() const { return HardState{m_term, m_vote, m_log.committed()}; }
    SoftState softState() const { return SoftState{m_lead, m_role}; }
    const RaftLog &log() const { return m_log; }
    LogIndex commitIndex() const { return m_log.committed(); }
    LogIndex appliedIndex() const { return m_log.applied(); }
    LogIndex lastIndex() const { return m_log.lastIndex(); }
    const Membership &membership() const { return m_log.membership(); }
    const Progress *progress(const NodeId &id) const;
    const NodeId &leadTransferee() const { return m_leadTransferee; }
    int electionElapsed() const { return m_electionElapsed; }
    int randomizedElectionTimeout() const { return m_randomizedElectionTimeout; }
    /// Set if a leader asked this server to overwrite a committed entry; never expected.
    const QString &safetyViolation() const { return m_safetyViolation; }

private:
    enum class CampaignKind { PreElection, Election, Transfer };

    void send(Message m);
    void becomeFollower(Term term, const NodeId &lead);
    void becomePreCandidate();
    void becomeCandidate();
    void becomeLeader();
    void reset(Term term);
    void resetRandomizedElectionTimeout();
    void hup(CampaignKind kind);
    void doCampaign(CampaignKind kind);
    bool poll(const NodeId &from, bool granted, bool *lost);
    bool promotable() const;

    void stepLeader(const Message &m);
    void stepCandidate(const Message &m);
    void stepFollower(const Message &m);
    void handleVoteRequest(const Message &m);
    void handleAppendEntries(const Message &m);
    void handleHeartbeat(const Message &m);
    void handleSnapshot(const Message &m);
    void handleAppendResponse(const Message &m, Progress &pr);
    void handleHeartbeatResponse(const Message &m, Progress &pr);
    void handleReadIndexRequest(const NodeId &from, const QByteArray &context);

    void tickElection();
    void tickHeartbeat();
    bool sendAppend(const NodeId &to, bool sendIfEmpty);
    bool sendSnapshot(const NodeId &to, Progress &pr);
    void sendHeartbeat(const NodeId &to, const QByteArray &context);
    void sendTimeoutNow(const NodeId &to);
    void bcastAppend();
    void bcastHeartbeat(const QByteArray &context);
    void appendEntry(Entry e);
    bool maybeCommit();
    void onCommitAdvanced();
    bool committedEntryInCurrentTerm() const;
    bool quorumActive() const;
    void abortLeaderTransfer() { m_leadTransferee = NodeId{}; }
    void answerRead(const NodeId &from, LogIndex index, const QByteArray &context);
    void syncMembership();
    Progress newProgress(const NodeId &id) const;

    struct ReadRequest {
        QByteArray context;
        LogIndex index;
        NodeId from;
        std::set<NodeId> acks;
    };

    Config m_config;
    std::mt19937_64 m_rng;
    RaftLog m_log;

    Term m_term;
    NodeId m_vote;
    NodeId m_lead;
    Role m_role = Role::Follower;
    Membership m_tracked;  // membership the progress map was built for
    std::map<NodeId, Progress> m_progress;
    std::map<NodeId, bool> m_votes;

    int m_electionElapsed = 0;
    int m_heartbeatElapsed = 0;
    int m_randomizedElectionTimeout = 0;
    NodeId m_leadTransferee;
    LogIndex m_pendingConfIndex;

    std::deque<ReadRequest> m_readQueue;                       // leader: awaiting quorum acks
    std::vector<std::pair<NodeId, QByteArray>> m_pendingReads;  // leader: awaiting own-term commit

    std::vector<Message> m_msgs;
    std::vector<ReadState> m_readStates;
    SoftState m_prevSoft;
    HardState m_prevHard;
    bool m_readyOutstanding = false;
    QString m_safetyViolation;
};

}  // namespace conclave::raft
