#pragma once
// The owner's handle on the storage module: starts a dedicated QThread running a StorageWorker and
// forwards requests to it. Requests are queued and run in the order they were made; results come
// back as this object's signals on the owner's thread (the event loop).
//
// Owned by the replicated log (SingleNodeLog now, RaftNode later). Thread: the thread that created
// it. Only open(), drain() and stop() block, and they are meant for startup and shutdown, when
// nothing is being served; every other call returns at once.

#include "storage/storage_worker.h"
#include "storage/types.h"

#include <QObject>
#include <QThread>

namespace conclave::storage {

class StorageThread : public QObject {
    Q_OBJECT
public:
    explicit StorageThread(StorageWorker::Config config, QObject *parent = nullptr);
    ~StorageThread() override;

    /// Blocks until the worker has opened the data dir and loaded it (see StorageWorker::open).
    bool open(LoadedState *state, QString *error);

    void appendEntries(const QList<LogEntry> &entries);
    void setHardState(const HardState &state);
    void truncateSuffix(quint64 fromIndex);
    void truncatePrefix(quint64 upToIndex);
    void writeSnapshot(const SnapshotMeta &meta, const QByteArray &payload);

    struct Drained {
        quint64 durableIndex = 0;
        QString failure;  // "" while healthy
    };
    /// Blocks until every request made so far has run. Signals they emitted may still be queued
    /// for this object; the returned values are authoritative.
    Drained drain();
    /// Drains, closes the database and stops the thread. Idempotent; the destructor calls it.
    void stop();
    bool isRunning() const { return m_thread.isRunning(); }

    /// Any thread.
    StorageStats stats() const { return m_worker->stats(); }
    QString dataDir() const { return m_dataDir; }

signals:
    void durable(quint64 lastIndex);
    void storageFailed(const QString &text);
    void snapshotWritten(quint64 index, quint64 term);
    void snapshotFailed(const QString &text);
    void hardStateSaved(quint64 term);

private:
    template<typename F>
    void post(F &&f);

    QString m_dataDir;
    QThread m_thread;
    StorageWorker *m_worker;  // lives on m_thread; deleted by stop() once the thread has ended
};

}  // namespace conclave::storage
