#pragma once
// What a leader knows about one follower's log (Raft §5.3 nextIndex/matchIndex) plus the flow
// control of etcd's tracker/progress.go: Probe (one append at a time until the match is found),
// Replicate (pipelined appends, bounded by Inflights), Snapshot (waiting for an InstallSnapshot).
// Owned by RaftCore, one per peer; single-threaded like the core.

#include "core/raft/types.h"

#include <deque>

namespace conclave::raft {

/// Sliding window of appends sent but not yet acknowledged, by their last index.
class Inflights {
public:
    explicit Inflights(int capacity = 256) : m_capacity(capacity) {}
    void add(LogIndex lastIndex) { m_items.push_back(lastIndex); }
    /// Frees every append whose last index is ≤ `index` (acknowledged cumulatively).
    void freeLE(LogIndex index);
    void freeFirstOne();
    bool full() const { return static_cast<int>(m_items.size()) >= m_capacity; }
    int count() const { return static_cast<int>(m_items.size()); }
    void reset() { m_items.clear(); }

private:
    int m_capacity;
    std::deque<LogIndex> m_items;
};

enum class ProgressState : quint8 { Probe, Replicate, Snapshot };
const char *progressStateName(ProgressState state);

struct Progress {
    LogIndex match;
    LogIndex next{1};
    ProgressState state = ProgressState::Probe;
    /// Probe: an append is out, wait for its answer or the next heartbeat response.
    bool probeSent = false;
    /// Snapshot: the snapshot index being installed.
    LogIndex pendingSnapshot;
    /// Ticks since the snapshot was sent; a lost one is retried after an election timeout.
    int snapshotTicks = 0;
    /// Heard from since the last check-quorum round (Raft thesis §6.2).
    bool recentActive = false;
    bool isLearner = false;
    Inflights inflights;

    explicit Progress(int maxInflight = 256) : inflights(maxInflight) {}

    void becomeProbe();
    void becomeReplicate();
    void becomeSnapshot(LogIndex snapshotIndex);
    /// An acknowledgement up to `index`: raises match/next. True if match moved.
    bool maybeUpdate(LogIndex index);
    /// A rejection of the append after `rejected` with the follower's hint. False if stale.
    bool maybeDecrTo(LogIndex rejected, LogIndex matchHint);
    /// Account for an append of `count` entries ending at `lastIndex` that was just sent.
    void sentEntries(std::size_t count, LogIndex lastIndex);
    /// No append may go out now (probe outstanding, window full, or snapshot pending).
    bool isPaused() const;
};

}  // namespace conclave::raft
