#pragma once
// The storage thread's side of the storage module: owns the SQLite connection (Database +
// SqliteLog) and the snapshot directory, and performs each request it receives in order, one
// transaction (one fsync) per request. Results go back by signal (queued to the owner's thread).
//
// Created and owned by StorageThread, which moves it onto a dedicated QThread; every method except
// stats(), durableIndex() and failure() runs on that thread only (StorageThread posts the calls).
// Never touches the state machine and never decides what to truncate.
//
// Failure model: the first failed log/stable-store write makes the worker "failed": it emits
// storageFailed(text) and refuses every later log write (emitting storageFailed again), because
// after a lost write the log may have a hole. A failed snapshot write is not fatal (the log still
// holds everything) and is reported by snapshotFailed.

#include "storage/database.h"
#include "storage/snapshot_files.h"
#include "storage/sqlite_log.h"
#include "storage/types.h"

#include <QMutex>
#include <QObject>
#include <atomic>
#include <memory>

namespace conclave::storage {

class StorageWorker : public QObject {
    Q_OBJECT
public:
    struct Config {
        QString dataDir;
        int retainSnapshots = 2;
        /// Passed to Database::Options::maxPageCount (0 = unlimited): a quota on raft.db.
        qint64 maxDatabasePages = 0;
    };

    explicit StorageWorker(Config config);
    ~StorageWorker() override;

    /// Creates the data dir layout if missing, opens raft.db, loads the hard state, the newest valid
    /// snapshot and the log. `error` is one sentence: "cannot open data dir X: …".
    bool open(LoadedState *state, QString *error);
    void close();

    /// One transaction for the whole batch; then durable(last index of the batch).
    void appendEntries(const QList<LogEntry> &entries);
    void setHardState(const HardState &state);
    void truncateSuffix(quint64 fromIndex);
    void truncatePrefix(quint64 upToIndex);
    /// Writes the file durably, prunes old ones, then snapshotWritten(index, term).
    void writeSnapshot(const SnapshotMeta &meta, const QByteArray &payload);

    /// Any thread.
    StorageStats stats() const;
    quint64 durableIndex() const { return m_durableIndex.load(); }
    /// Storage thread (or after it drained): "" while healthy.
    QString failure() const { return m_failure; }

signals:
    void durable(quint64 lastIndex);
    void storageFailed(const QString &text);
    void snapshotWritten(quint64 index, quint64 term);
    void snapshotFailed(const QString &text);
    /// setHardState() is durable (RaftNode sends votes only after this).
    void hardStateSaved(quint64 term);

private:
    bool checkWritable(const char *operation);
    void fail(const QString &text);

    Config m_config;
    Database m_db;
    SqliteLog m_log{m_db};
    std::unique_ptr<SnapshotFiles> m_snapshots;
    QString m_failure;
    std::atomic<quint64> m_durableIndex{0};
    mutable QMutex m_statsMutex;
    StorageStats m_stats;
};

}  // namespace conclave::storage
