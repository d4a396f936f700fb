#pragma once
// Invariants: safety properties of Raft checked between calls, in the spirit of LogCabin's
// RaftConsensusInvariants. Per server: the term and commit index never fall within one lifetime,
// commit ≤ last index, a vote never changes within a term. Across servers and over the whole run:
// at most one leader per term (Election Safety), Log Matching, Leader Completeness and State
// Machine Safety (Raft §5.2–§5.4, Figure 3). Incremental, so a simulator can call it after every
// event. Owned by a test or simulator; single-threaded. Knows nothing of transport or storage.

#include "core/raft/raft_core.h"

#include <QStringList>

#include <map>

namespace conclave::raft {

class Invariants {
public:
    /// Checks one server against what was seen of it before, and feeds the cluster-wide
    /// history (log matching, commits, leaders). Returns the violations found, if any.
    QStringList check(const RaftCore &core);
    /// Checks several servers at one instant: check() on each, then Leader Completeness of every
    /// leader against everything known committed.
    QStringList checkCluster(const std::vector<const RaftCore *> &cores);
    /// The server restarted from stable storage: its volatile baselines (commit, applied order)
    /// start again; the cluster-wide history stays.
    void nodeRestarted(const NodeId &id);
    /// The driver applied `entry` on `id`. No two servers may apply different entries at one
    /// index, and each applies in order.
    QStringList recordApplied(const NodeId &id, const Entry &entry);
    /// The driver restored `id`'s state machine from a snapshot covering up to `index`.
    void recordRestored(const NodeId &id, LogIndex index);

    std::size_t committedCount() const { return m_committed.size(); }
    /// The leader of each term seen so far.
    const std::map<quint64, NodeId> &leaders() const { return m_leaders; }

private:
    struct NodeView {
        Term term;
        NodeId vote;
        LogIndex commit;
        bool seen = false;
        std::vector<quint64> checkedTerms;  // [i] = term of the entry at index i already checked
        LogIndex lastApplied;
        bool appliedKnown = false;
    };
    struct Seen {
        Term prevTerm;
        EntryType type;
        QByteArray data;
    };
    struct Committed {
        Entry entry;
        Term termBound;  // committed no later than this term
    };

    QStringList checkLeaderCompleteness(const RaftCore &core);

    std::map<NodeId, NodeView> m_nodes;
    std::map<std::pair<quint64, quint64>, Seen> m_entries;  // (index, term) → first sighting
    std::map<quint64, Committed> m_committed;               // index → committed entry
    std::map<quint64, Entry> m_applied;                     // index → applied entry
    std::map<quint64, NodeId> m_leaders;                    // term → leader
    std::map<NodeId, std::pair<Term, quint64>> m_leaderChecked;  // completeness checked up to
};

}  // namespace conclave::raft
