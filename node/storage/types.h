#pragma once
// Plain values exchanged with the storage thread: log entries, the Raft hard state, snapshot
// metadata and what a startup load found. Copyable, no behaviour; safe to move between threads.

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace conclave::storage {

/// One Raft log entry (Raft §5.3). `data` is an opaque command (core/state/command.h).
struct LogEntry {
    quint64 index = 0;
    quint64 term = 0;
    QByteArray data;
};

/// What Raft must persist before answering a vote or an append (Raft Figure 2).
struct HardState {
    quint64 currentTerm = 0;
    QString votedFor;  // "" = none
    /// Highest index known committed (Raft core's HardState::commit). Not required for safety;
    /// lets a restart re-apply committed entries before hearing from a leader. Stored under its
    /// own key: a database written before it existed loads as 0.
    quint64 commit = 0;
};

/// Identifies a snapshot: the last log entry it covers and the cluster membership at that point
/// (opaque bytes chosen by the consensus layer).
struct SnapshotMeta {
    quint64 index = 0;
    quint64 term = 0;
    QByteArray membership;
};

struct Snapshot {
    SnapshotMeta meta;
    QByteArray payload;  // the state machine's serialization
};

/// Everything found on disk at startup.
struct LoadedState {
    HardState hardState;
    std::optional<Snapshot> snapshot;  // the newest snapshot that validated
    QList<LogEntry> entries;           // the whole log, in index order
    QStringList warnings;              // e.g. corrupt snapshots that were skipped, and why
};

/// Counters of the append path, for benchmarks and tests. Commit time includes the fsync.
struct StorageStats {
    quint64 batchesWritten = 0;
    quint64 entriesWritten = 0;
    quint64 lastBatchSize = 0;
    qint64 lastCommitMicros = 0;
    qint64 totalCommitMicros = 0;
};

}  // namespace conclave::storage
