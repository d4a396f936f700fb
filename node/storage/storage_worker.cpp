#include "storage/storage_worker.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QTemporaryFile>

Q_LOGGING_CATEGORY(lcStorage, "conclave.storage")

namespace conclave::storage {

StorageWorker::StorageWorker(Config config) : m_config(std::move(config)) {}

StorageWorker::~StorageWorker() = default;

bool StorageWorker::open(LoadedState *state, QString *error)
{
    const QString dataDir = QDir::cleanPath(m_config.dataDir);
    auto failOpen = [&](const QString &why) {
        if (error)
            *error = QStringLiteral("cannot open data dir %1: %2").arg(dataDir, why);
        m_db.close();
        return false;
    };
    if (dataDir.isEmpty())
        return failOpen(QStringLiteral("no path given"));
    const QString snapshotDir = QDir(dataDir).filePath(QStringLiteral("snapshots"));
    if (!QDir().mkpath(snapshotDir))
        return failOpen(QStringLiteral("cannot create directory %1").arg(snapshotDir));
    {
        // The permission bits say little (root ignores them, a read-only mount does not show in
        // them): try to create a file.
        QTemporaryFile probe(QDir(dataDir).filePath(QStringLiteral(".write-probe-XXXXXX")));
        if (!probe.open())
            return failOpen(QStringLiteral("directory is not writable (%1)").arg(probe.errorString()));
    }
    const QString dbPath = QDir(dataDir).filePath(QStringLiteral("raft.db"));
    QString why;
    Database::Options options;
    options.maxPageCount = m_config.maxDatabasePages;
    if (!m_db.open(dbPath, options, &why))
        return failOpen(QStringLiteral("%1: %2").arg(dbPath, why));

    LoadedState loaded;
    if (!m_log.hardState(&loaded.hardState, &why))
        return failOpen(QStringLiteral("%1: %2").arg(dbPath, why));
    if (!m_log.entries(0, 0, &loaded.entries, &why))
        return failOpen(QStringLiteral("%1: %2").arg(dbPath, why));
    for (qsizetype i = 1; i < loaded.entries.size(); ++i) {
        if (loaded.entries.at(i).index != loaded.entries.at(i - 1).index + 1)
            return failOpen(QStringLiteral("%1: the log has a hole between index %2 and %3")
                                .arg(dbPath)
                                .arg(loaded.entries.at(i - 1).index)
                                .arg(loaded.entries.at(i).index));
    }
    m_snapshots = std::make_unique<SnapshotFiles>(snapshotDir);
    loaded.snapshot = m_snapshots->loadNewest(&loaded.warnings);
    if (!loaded.entries.isEmpty())
        m_durableIndex = loaded.entries.last().index;
    m_failure.clear();
    if (state)
        *state = std::move(loaded);
    return true;
}

void StorageWorker::close()
{
    m_db.close();
    m_snapshots.reset();
}

bool StorageWorker::checkWritable(const char *operation)
{
    if (!m_db.isOpen() && m_failure.isEmpty())
        m_failure = QStringLiteral("storage is not open");
    if (m_failure.isEmpty())
        return true;
    qCWarning(lcStorage).noquote() << "refusing" << operation << "after an earlier failure:" << m_failure;
    emit storageFailed(m_failure);
    return false;
}

void StorageWorker::fail(const QString &text)
{
    m_failure = text;
    qCCritical(lcStorage).noquote() << text;
    emit storageFailed(text);
}

void StorageWorker::appendEntries(const QList<LogEntry> &entries)
{
    if (entries.isEmpty() || !checkWritable("append"))
        return;
    QElapsedTimer timer;
    timer.start();
    QString why;
    if (!m_log.append(entries, &why)) {
        fail(QStringLiteral("cannot append log entries %1..%2 to %3: %4")
                 .arg(entries.first().index)
                 .arg(entries.last().index)
                 .arg(m_db.filePath(), why));
        return;
    }
    const qint64 micros = timer.nsecsElapsed() / 1000;
    {
        QMutexLocker lock(&m_statsMutex);
        ++m_stats.batchesWritten;
        m_stats.entriesWritten += quint64(entries.size());
        m_stats.lastBatchSize = quint64(entries.size());
        m_stats.lastCommitMicros = micros;
        m_stats.totalCommitMicros += micros;
    }
    m_durableIndex = entries.last().index;
    emit durable(entries.last().index);
}

void StorageWorker::setHardState(const HardState &state)
{
    if (!checkWritable("setHardState"))
        return;
    QString why;
    if (!m_log.setHardState(state, &why)) {
        fail(QStringLiteral("cannot save term %1 to %2: %3").arg(state.currentTerm).arg(m_db.filePath(), why));
        return;
    }
    emit hardStateSaved(state.currentTerm);
}

void StorageWorker::truncateSuffix(quint64 fromIndex)
{
    if (!checkWritable("truncateSuffix"))
        return;
    QString why;
    if (!m_log.truncateSuffix(fromIndex, &why)) {
        fail(QStringLiteral("cannot truncate the log from index %1 in %2: %3").arg(fromIndex).arg(m_db.filePath(), why));
        return;
    }
    if (m_durableIndex.load() >= fromIndex)
        m_durableIndex = fromIndex == 0 ? 0 : fromIndex - 1;
}

void StorageWorker::truncatePrefix(quint64 upToIndex)
{
    if (!checkWritable("truncatePrefix"))
        return;
    QString why;
    if (!m_log.truncatePrefix(upToIndex, &why))
        fail(QStringLiteral("cannot compact the log up to index %1 in %2: %3").arg(upToIndex).arg(m_db.filePath(), why));
}

void StorageWorker::writeSnapshot(const SnapshotMeta &meta, const QByteArray &payload)
{
    if (!m_snapshots) {
        emit snapshotFailed(QStringLiteral("storage is not open"));
        return;
    }
    QString why;
    if (!m_snapshots->write(meta, payload, m_config.retainSnapshots, &why)) {
        const QString text = QStringLiteral("cannot write snapshot at index %1: %2").arg(meta.index).arg(why);
        qCWarning(lcStorage).noquote() << text;
        emit snapshotFailed(text);
        return;
    }
    emit snapshotWritten(meta.index, meta.term);
}

StorageStats StorageWorker::stats() const
{
    QMutexLocker lock(&m_statsMutex);
    return m_stats;
}

}  // namespace conclave::storage
