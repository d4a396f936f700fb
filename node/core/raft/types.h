#pragma once
// Value types of the Raft core: ids with their own types, log entries, membership, hard and soft
// state, the wire-neutral Message and the Ready batch handed to the driver. Plain copyable values,
// no behaviour beyond small helpers; any thread may hold them, the core itself is single-threaded.

#include <QByteArray>
#include <QString>
#include <QtGlobal>

#include <compare>
#include <optional>
#include <set>
#include <vector>

namespace conclave::raft {

/// A Raft term (Raft §5.1). Distinct from LogIndex so the two cannot be swapped.
struct Term {
    quint64 value = 0;
    constexpr auto operator<=>(const Term &) const = default;
};

/// A position in the replicated log; 0 means "none" (the log starts at 1).
struct LogIndex {
    quint64 value = 0;
    constexpr auto operator<=>(const LogIndex &) const = default;
    constexpr LogIndex operator+(quint64 n) const { return LogIndex{value + n}; }
    /// Saturates at 0: index arithmetic never wraps.
    constexpr LogIndex operator-(quint64 n) const { return LogIndex{value > n ? value - n : 0}; }
};

/// A server's stable identity (Consul's server ID). Empty = none.
struct NodeId {
    QString value;
    bool isNone() const { return value.isEmpty(); }
    bool operator==(const NodeId &o) const { return value == o.value; }
    bool operator<(const NodeId &o) const { return value < o.value; }
};

enum class EntryType : quint8 {
    Normal = 0,      // an opaque command for the state machine (empty on a new leader's no-op)
    ConfChange = 1,  // an encoded ConfChange; takes effect as soon as it is in the log (thesis §4.1)
};

/// One log entry (Raft §5.3).
struct Entry {
    Term term;
    LogIndex index;
    EntryType type = EntryType::Normal;
    QByteArray data;
    bool operator==(const Entry &) const = default;
};

/// The voters and learners (non-voters) of one configuration.
struct Membership {
    std::set<NodeId> voters;
    std::set<NodeId> learners;
    bool operator==(const Membership &o) const { return voters == o.voters && learners == o.learners; }
    bool isVoter(const NodeId &id) const { return voters.count(id) != 0; }
    bool isLearner(const NodeId &id) const { return learners.count(id) != 0; }
    bool contains(const NodeId &id) const { return isVoter(id) || isLearner(id); }
    /// Stable CBOR bytes for SnapshotMeta storage and ConfChange-free transport.
    QByteArray encode() const;
    static std::optional<Membership> decode(const QByteArray &bytes);
};

enum class ConfChangeType : quint8 {
    AddVoter = 0,    // a new voter straight away (bootstrap, tests); a learner becomes a voter
    AddLearner = 1,  // a non-voter that receives the log but neither votes nor counts for commit
    Promote = 2,     // learner → voter, once it has caught up
    Remove = 3,
};

/// A single-server membership change (Raft thesis §4.1). Encoded into Entry::data.
struct ConfChange {
    ConfChangeType type = ConfChangeType::AddVoter;
    NodeId node;
    QByteArray context;  // opaque for the driver (e.g. the server's address)
    bool operator==(const ConfChange &) const = default;
    QByteArray encode() const;
    static std::optional<ConfChange> decode(const QByteArray &bytes);
    /// Applies this change to `m`; false if it does not fit (e.g. promoting a non-learner).
    bool applyTo(Membership &m) const;
};

/// What the caller persists before sending any message of the same Ready (Raft Figure 2; the
/// commit index is persisted too so a restart re-applies no further than needed).
struct HardState {
    Term term;
    NodeId vote;
    LogIndex commit;
    bool operator==(const HardState &) const = default;
};

enum class Role : quint8 { Follower = 0, PreCandidate = 1, Candidate = 2, Leader = 3 };
const char *roleName(Role role);

/// Volatile state the driver may show (leader, role). Not persisted.
struct SoftState {
    NodeId lead;
    Role role = Role::Follower;
    bool operator==(const SoftState &) const = default;
};

/// Identifies a snapshot: the last entry it covers and the membership at that point.
struct SnapshotMeta {
    LogIndex index;
    Term term;
    Membership membership;
    bool operator==(const SnapshotMeta &) const = default;
};

enum class MessageType : quint8 {
    PreVote = 1,        // index/logTerm = candidate's last entry; term = the term it would use
    PreVoteResp = 2,
    Vote = 3,           // context == "transfer" for a leadership transfer (ignores leases)
    VoteResp = 4,
    App = 5,            // index/logTerm = entry before `entries`; commit = leader's commit
    AppResp = 6,        // index = last matching index, or on reject the rejected index + hint
    Heartbeat = 7,      // commit = min(follower's match, leader's commit); context = read ctx
    HeartbeatResp = 8,
    Snapshot = 9,       // snapshot = meta; the driver attaches (and may chunk) the payload
    TimeoutNow = 10,    // leadership transfer: campaign now, skipping pre-vote
    ReadIndex = 11,     // follower → leader; context = the caller's read context
    ReadIndexResp = 12, // index = read index; context as asked
};
const char *messageTypeName(MessageType type);

/// A message between cores. Which fields mean something depends on `type` (see MessageType).
struct Message {
    MessageType type = MessageType::App;
    NodeId from;
    NodeId to;
    Term term;
    Term logTerm;
    LogIndex index;
    std::vector<Entry> entries;
    LogIndex commit;
    bool reject = false;
    /// AppResp with reject: the follower's suggestion for the leader's next probe: the last index
    /// whose term is ≤ logTerm (fast back-off, etcd's findConflictByTerm), logTerm its term.
    LogIndex rejectHint;
    SnapshotMeta snapshot;
    QByteArray context;
};

/// A confirmed read: once the state machine has applied `index`, a read for `context` is
/// linearizable (Raft thesis §6.4).
struct ReadState {
    LogIndex index;
    QByteArray context;
    bool operator==(const ReadState &) const = default;
};

/// Everything the core asks of its driver, in one batch. See README.md for the caller's duties.
struct Ready {
    SoftState softState;
    bool softStateChanged = false;
    HardState hardState;
    bool hardStateChanged = false;
    /// Entries to append to stable storage; any stored entry at or after entries.front().index
    /// is replaced. Persist before sending `messages`.
    std::vector<Entry> entries;
    /// A snapshot to install (received from the leader): persist, restore the state machine from
    /// its payload, drop log entries it covers. Applied before `committedEntries`.
    std::optional<SnapshotMeta> snapshot;
    /// Committed entries to apply to the state machine, in order, after `entries` are persisted.
    std::vector<Entry> committedEntries;
    /// To send after `hardState`, `entries` and `snapshot` are durable.
    std::vector<Message> messages;
    std::vector<ReadState> readStates;
    /// True if hardState or entries or snapshot must be fsync'd before messages go out.
    bool mustSync() const { return hardStateChanged || !entries.empty() || snapshot.has_value(); }
};

/// Results of the core's commands; never exceptions.
enum class RaftError : quint8 {
    None = 0,
    NotLeader,           // the caller forwards to softState.lead, or waits for an election
    TransferInProgress,  // leadership is moving; retry shortly
    ConfChangeInProgress,// one membership change at a time: the previous one is not committed yet
    LeaderNotReady,      // the new leader has not committed an entry of its term yet (§5.4.2, §6.4)
    InvalidConfChange,   // does not fit the current membership
    NoLeader,            // readIndex on a follower that knows no leader
    SnapshotOutOfRange,  // compact() to an index not applied, or unknown
};
const char *raftErrorName(RaftError error);

}  // namespace conclave::raft
