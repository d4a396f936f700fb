#pragma once
// MemoryLog: stable storage in memory, for tests and the simulator. It keeps exactly what a
// driver persisted from Ready batches (hard state, snapshot metadata and payload, entries), so a
// simulated crash loses everything else. Plain value; owned by whoever simulates a disk.

#include "core/raft/raft_core.h"

namespace conclave::raft {

class MemoryLog {
public:
    MemoryLog() = default;
    explicit MemoryLog(const Membership &bootstrap) { m_snapshot.membership = bootstrap; }

    /// Persists the durable parts of `rd` in the order a driver must: snapshot, entries
    /// (replacing any stored entry at or after the first new index), hard state.
    void persist(const Ready &rd, const QByteArray &snapshotPayload = QByteArray());
    /// Records a local snapshot of the applied state and drops the entries it covers.
    void compact(const SnapshotMeta &meta, const QByteArray &payload);
    /// What a restarted server loads: applied = the snapshot's index (the state machine is
    /// rebuilt from the snapshot payload, then from committed entries).
    InitialState initialState() const;

    const HardState &hardState() const { return m_hardState; }
    const SnapshotMeta &snapshot() const { return m_snapshot; }
    const QByteArray &snapshotPayload() const { return m_payload; }
    const std::vector<Entry> &entries() const { return m_entries; }
    LogIndex lastIndex() const;

private:
    HardState m_hardState;
    SnapshotMeta m_snapshot;
    QByteArray m_payload;
    std::vector<Entry> m_entries;
};

}  // namespace conclave::raft
