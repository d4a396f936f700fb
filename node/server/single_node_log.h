#pragma once
// ReplicatedLog with exactly one voter (dev mode, -bootstrap on a single server): an entry is
// committed as soon as it is durable on the local disk. Proposals are group-committed: everything
// proposed while a batch is being written goes into the next batch, so N concurrent writers cost
// about one fsync per batch rather than one per write. Takes periodic snapshots of the state
// machine and compacts the log behind them.
//
// Owned by the agent, which also owns the StateMachine (it must outlive this object). Thread: the
// event loop; storage work happens on the StorageThread it owns. open() blocks and is meant for
// startup, before anything is served; the destructor (shutdown()) blocks to finish the batch in
// flight. Does not replicate, vote or talk to the network: that is RaftNode.

#include "server/replicated_log.h"
#include "server/state_machine.h"
#include "storage/storage_thread.h"
#include "storage/types.h"

#include <QList>
#include <QThreadPool>
#include <QTimer>
#include <memory>

namespace conclave::server {

class SingleNodeLog : public ReplicatedLog {
    Q_OBJECT
public:
    struct Config {
        /// Snapshot once this many entries were applied since the last snapshot.
        quint64 snapshotThreshold = 16384;
        /// Also snapshot on this interval when anything was applied since the last one.
        int snapshotIntervalMs = 30000;
        /// Entries kept in the log behind a snapshot (for followers that lag, once there are some).
        quint64 trailingLogs = 10240;
        /// "ip:port" of this server's RPC port: leaderAddress() and peers().
        QString advertiseAddress;
        /// Quota on raft.db in SQLite pages, 0 = unlimited (see storage::Database::Options).
        qint64 maxDatabasePages = 0;
    };

    SingleNodeLog(StateMachine &stateMachine, Config config, QObject *parent = nullptr);
    ~SingleNodeLog() override;

    /// Opens `<dataDir>` (creating raft.db and snapshots/ if missing), restores the newest valid
    /// snapshot into the state machine and replays the log after it. Call once, before serving.
    /// On failure `error` is one sentence ("cannot open data dir X: …") and the log stays closed.
    bool open(const QString &dataDir, QString *error);
    /// Finishes the batch in flight (acknowledging what became durable), fails every other pending
    /// proposal with ShuttingDown and stops the storage thread. Idempotent.
    void shutdown();

    void propose(const QByteArray &command, Done done) override;

    bool isLeader() const override { return m_state == State::Open; }
    bool hasLeader() const override { return m_state == State::Open; }
    QString leaderAddress() const override { return m_state == State::Open ? m_config.advertiseAddress : QString(); }
    QStringList peers() const override;
    qint64 lastContactMs() const override { return 0; }
    quint64 appliedIndex() const override { return m_appliedIndex; }
    quint64 commitIndex() const override { return m_commitIndex; }

    /// Index of the newest snapshot known to be on disk (0: none).
    quint64 lastSnapshotIndex() const { return m_lastSnapshotIndex; }
    /// The log holds no entry at or below this index (it was compacted).
    quint64 compactedIndex() const { return m_compactedIndex; }
    quint64 currentTerm() const override { return m_term; }
    /// Append-path counters of the storage thread (batches, entries, fsync time).
    storage::StorageStats storageStats() const;
    /// Warnings raised while opening (e.g. a corrupt snapshot that was skipped).
    QStringList openWarnings() const { return m_openWarnings; }

signals:
    /// A snapshot at `index` is durable on disk.
    void snapshotTaken(quint64 index);

private:
    enum class State { Closed, Open, Failed, ShutDown };

    struct Pending {
        storage::LogEntry entry;
        Done done;
    };
    struct Rejected {
        Done done;
        LogError error;
        QString text;
    };

    void scheduleFlush();
    void flush();
    void deliverRejected();
    void applyDurable(quint64 upTo);
    void failAll(LogError error, const QString &text);
    void maybeSnapshot(bool onTimer);

    void onDurable(quint64 lastIndex);
    void onStorageFailed(const QString &text);
    void onSnapshotWritten(quint64 index, quint64 term);
    void onSnapshotFailed(const QString &text);

    StateMachine &m_stateMachine;
    Config m_config;
    State m_state = State::Closed;
    std::unique_ptr<storage::StorageThread> m_storage;
    QTimer m_snapshotTimer;

    quint64 m_term = 0;
    quint64 m_nextIndex = 1;
    quint64 m_commitIndex = 0;
    quint64 m_appliedIndex = 0;
    quint64 m_appliedTerm = 0;

    QList<Pending> m_queued;    // proposed, not yet handed to storage
    QList<Pending> m_inFlight;  // handed to storage, not yet durable
    QList<Rejected> m_rejected; // refused proposals whose done runs on the next flush
    bool m_flushScheduled = false;
    QString m_failure;

    quint64 m_lastSnapshotIndex = 0;     // newest durable snapshot
    quint64 m_snapshotBaseIndex = 0;     // newest snapshot attempt (the threshold counts from it)
    quint64 m_compactedIndex = 0;
    bool m_snapshotInFlight = false;
    // Encodes snapshots off the loop (RaftNode does the same); shutdown() waits for it.
    QThreadPool m_snapshotPool;
    QStringList m_openWarnings;
};

}  // namespace conclave::server
