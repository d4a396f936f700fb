#pragma once
// The core's view of the log: a compaction point (the last snapshot) followed by every entry the
// core still holds, split by `unstableFrom` into entries already handed to the driver for
// persisting and entries not yet handed out (etcd's log.go + log_unstable.go, kept in one
// in-memory vector because the driver loads the whole log at startup anyway). Also tracks the
// membership in force: the latest ConfChange in the log, whether committed or not (Raft thesis
// §4.1), and the history needed to know the membership at any retained index.
// Owned by RaftCore; single-threaded.

#include "core/raft/types.h"

#include <optional>
#include <vector>

namespace conclave::raft {

class RaftLog {
public:
    /// `snapshot` is the compaction point (index 0 for an empty log); `entries` follow it
    /// contiguously and are taken as already persisted.
    RaftLog(const SnapshotMeta &snapshot, std::vector<Entry> entries);

    LogIndex firstIndex() const { return m_snapshot.index + 1; }
    LogIndex lastIndex() const { return m_snapshot.index + m_entries.size(); }
    Term lastTerm() const;
    /// Term of the entry at `index`; nullopt if compacted away or beyond the end.
    std::optional<Term> term(LogIndex index) const;
    bool matchTerm(LogIndex index, Term t) const { return term(index) == t; }
    const Entry *entry(LogIndex index) const;
    /// Entries [lo, ...) up to `maxCount` and about `maxBytes` (at least one if any).
    std::vector<Entry> entries(LogIndex lo, std::size_t maxCount, qint64 maxBytes) const;
    /// Raft §5.4.1: a candidate's log is at least as up to date as ours.
    bool isUpToDate(LogIndex lastIdx, Term lastTrm) const;

    LogIndex committed() const { return m_committed; }
    LogIndex applied() const { return m_applied; }
    const SnapshotMeta &snapshot() const { return m_snapshot; }

    /// Follower append (Raft §5.3): if our entry at prevIndex has prevTerm, append `ents`
    /// (truncating a conflicting suffix), commit up to min(commit, last new index) and return the
    /// last new index. nullopt if the consistency check fails.
    /// `conflictBelowCommit` is set if the leader asked to overwrite a committed entry (a safety
    /// violation that the core reports instead of applying).
    std::optional<LogIndex> maybeAppend(LogIndex prevIndex, Term prevTerm, LogIndex commit,
                                        const std::vector<Entry> &ents, bool *conflictBelowCommit);
    /// Leader append of new entries at the end.
    void append(const std::vector<Entry> &ents);
    /// Fast back-off (etcd findConflictByTerm): the largest index ≤ `index` whose term ≤ `t`,
    /// with its term. Index below the compaction point returns (index, 0).
    std::pair<LogIndex, Term> findConflictByTerm(LogIndex index, Term t) const;

    void commitTo(LogIndex index);
    bool maybeCommit(LogIndex index, Term currentTerm);

    /// Replace everything with a snapshot received from the leader (InstallSnapshot).
    void restore(const SnapshotMeta &snapshot);
    /// Drop entries ≤ snapshot.index (a snapshot of the applied state exists). Requires
    /// snapshot.index ≤ applied and a matching term.
    bool compact(const SnapshotMeta &snapshot);
    /// Membership in force after the entry at `index` (index ≥ compaction point).
    Membership membershipAt(LogIndex index) const;
    const Membership &membership() const;
    /// Index of the last ConfChange entry in the log (0 if only the snapshot's).
    LogIndex lastConfIndex() const;

    // --- the Ready bookkeeping ------------------------------------------------------------
    bool hasUnstable() const { return m_unstableFrom <= lastIndex(); }
    std::vector<Entry> takeUnstable();
    bool hasPendingSnapshot() const { return m_pendingSnapshot; }
    SnapshotMeta takePendingSnapshot();
    bool hasNextCommitted() const { return m_applying < m_committed; }
    /// Committed entries not yet handed out for applying, in order.
    std::vector<Entry> takeNextCommitted(std::size_t maxCount);
    /// The driver applied up to `index`.
    void appliedTo(LogIndex index);
    LogIndex applying() const { return m_applying; }

private:
    void truncateFrom(LogIndex index);
    void trackConf(const Entry &e);

    SnapshotMeta m_snapshot;
    std::vector<Entry> m_entries;
    LogIndex m_committed;
    LogIndex m_applied;
    LogIndex m_applying;       // handed out to the driver, maybe not applied yet
    LogIndex m_unstableFrom;   // first index not yet handed out for persisting
    bool m_pendingSnapshot = false;
    std::vector<std::pair<LogIndex, Membership>> m_confHistory;  // ConfChange entries, in order
};

}  // namespace conclave::raft
