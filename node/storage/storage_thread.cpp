#include "storage/storage_thread.h"

#include <QMetaObject>

namespace conclave::storage {

StorageThread::StorageThread(StorageWorker::Config config, QObject *parent)
    : QObject(parent), m_dataDir(config.dataDir), m_worker(new StorageWorker(std::move(config)))
{
    m_thread.setObjectName(QStringLiteral("conclave-storage"));
    m_worker->moveToThread(&m_thread);
    // Cross-thread connections: queued, so the signals arrive on this object's thread.
    connect(m_worker, &StorageWorker::durable, this, &StorageThread::durable);
    connect(m_worker, &StorageWorker::storageFailed, this, &StorageThread::storageFailed);
    connect(m_worker, &StorageWorker::snapshotWritten, this, &StorageThread::snapshotWritten);
    connect(m_worker, &StorageWorker::snapshotFailed, this, &StorageThread::snapshotFailed);
    connect(m_worker, &StorageWorker::hardStateSaved, this, &StorageThread::hardStateSaved);
    m_thread.start();
}

StorageThread::~StorageThread()
{
    stop();
}

template<typename F>
void StorageThread::post(F &&f)
{
    if (!m_worker)
        return;
    QMetaObject::invokeMethod(m_worker, std::forward<F>(f), Qt::QueuedConnection);
}

bool StorageThread::open(LoadedState *state, QString *error)
{
    if (!m_worker) {
        if (error)
            *error = QStringLiteral("cannot open data dir %1: storage was stopped").arg(m_dataDir);
        return false;
    }
    bool ok = false;
    StorageWorker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [&] { ok = worker->open(state, error); }, Qt::BlockingQueuedConnection);
    return ok;
}

void StorageThread::appendEntries(const QList<LogEntry> &entries)
{
    post([w = m_worker, entries] { w->appendEntries(entries); });
}

void StorageThread::setHardState(const HardState &state)
{
    post([w = m_worker, state] { w->setHardState(state); });
}

void StorageThread::truncateSuffix(quint64 fromIndex)
{
    post([w = m_worker, fromIndex] { w->truncateSuffix(fromIndex); });
}

void StorageThread::truncatePrefix(quint64 upToIndex)
{
    post([w = m_worker, upToIndex] { w->truncatePrefix(upToIndex); });
}

void StorageThread::writeSnapshot(const SnapshotMeta &meta, const QByteArray &payload)
{
    post([w = m_worker, meta, payload] { w->writeSnapshot(meta, payload); });
}

StorageThread::Drained StorageThread::drain()
{
    Drained result;
    if (!m_worker || !m_thread.isRunning())
        return result;
    StorageWorker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker,
        [&] {
            result.durableIndex = worker->durableIndex();
            result.failure = worker->failure();
        },
        Qt::BlockingQueuedConnection);
    return result;
}

void StorageThread::stop()
{
    if (!m_worker)
        return;
    if (m_thread.isRunning()) {
        StorageWorker *worker = m_worker;
        // Runs after every queued request: the in-flight batch is finished, then the connection is
        // closed on the thread that opened it.
        QMetaObject::invokeMethod(worker, [worker] { worker->close(); }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    delete m_worker;
    m_worker = nullptr;
}

}  // namespace conclave::storage
