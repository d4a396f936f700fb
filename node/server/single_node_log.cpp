#include "server/single_node_log.h"

#include <QCborArray>
#include <QCborValue>
#include <QLoggingCategory>
#include <QMetaObject>
#include <utility>

Q_LOGGING_CATEGORY(lcLog, "conclave.server.log")

namespace conclave::server {

namespace {

// Consul's texts for the same situations (structs.ErrNoLeader, raft.ErrRaftShutdown).
const QString kNoLeader = QStringLiteral("No cluster leader");
const QString kShutdown = QStringLiteral("raft is already shutdown");

ProposeResult errorResult(LogError error, const QString &text)
{
    ProposeResult r;
    r.error = error;
    r.errorText = text;
    r.result.ok = false;
    r.result.error = text;
    return r;
}

}  // namespace

SingleNodeLog::SingleNodeLog(StateMachine &stateMachine, Config config, QObject *parent)
    : ReplicatedLog(parent), m_stateMachine(stateMachine), m_config(std::move(config))
{
    m_snapshotTimer.setSingleShot(false);
    m_snapshotPool.setMaxThreadCount(1);
    connect(&m_snapshotTimer, &QTimer::timeout, this, [this] { maybeSnapshot(true); });
}

SingleNodeLog::~SingleNodeLog()
{
    shutdown();
}

QStringList SingleNodeLog::peers() const
{
    if (m_state != State::Open || m_config.advertiseAddress.isEmpty())
        return {};
    return {m_config.advertiseAddress};
}

storage::StorageStats SingleNodeLog::storageStats() const
{
    return m_storage ? m_storage->stats() : storage::StorageStats{};
}

bool SingleNodeLog::open(const QString &dataDir, QString *error)
{
    if (m_state != State::Closed) {
        if (error)
            *error = QStringLiteral("cannot open data dir %1: the log was already opened").arg(dataDir);
        return false;
    }
    storage::StorageWorker::Config storageConfig;
    storageConfig.dataDir = dataDir;
    storageConfig.maxDatabasePages = m_config.maxDatabasePages;
    auto storage = std::make_unique<storage::StorageThread>(storageConfig);
    storage::LoadedState loaded;
    if (!storage->open(&loaded, error))
        return false;
    auto failOpen = [&](const QString &why) {
        if (error)
            *error = QStringLiteral("cannot open data dir %1: %2").arg(dataDir, why);
        storage->stop();
        return false;
    };

    quint64 base = 0;
    quint64 baseTerm = 0;
    if (loaded.snapshot) {
        QString why;
        if (!m_stateMachine.restore(loaded.snapshot->payload, &why))
            return failOpen(QStringLiteral("the snapshot at index %1 does not restore: %2")
                                .arg(loaded.snapshot->meta.index)
                                .arg(why));
        base = loaded.snapshot->meta.index;
        baseTerm = loaded.snapshot->meta.term;
    }
    const QList<storage::LogEntry> &entries = loaded.entries;
    if (!entries.isEmpty() && entries.first().index > base + 1)
        return failOpen(QStringLiteral("the log starts at index %1 but the newest valid snapshot ends at "
                                       "index %2; the entries in between are missing")
                            .arg(entries.first().index)
                            .arg(base));

    m_appliedIndex = base;
    m_appliedTerm = baseTerm;
    quint64 lastTerm = baseTerm;
    for (const storage::LogEntry &e : entries) {
        lastTerm = e.term;
        if (e.index <= base)
            continue;
        // Results were already handed to the proposers before the restart.
        m_stateMachine.apply(e.index, e.data);
        m_appliedIndex = e.index;
        m_appliedTerm = e.term;
    }
    m_commitIndex = m_appliedIndex;
    m_nextIndex = m_appliedIndex + 1;
    m_compactedIndex = entries.isEmpty() ? base : entries.first().index - 1;
    m_lastSnapshotIndex = base;
    m_snapshotBaseIndex = base;
    m_openWarnings = loaded.warnings;

    // One voter elects itself once, in term 1, and stays leader in that term forever; a term left
    // by an earlier multi-server life is kept as is.
    m_term = qMax(qMax(loaded.hardState.currentTerm, lastTerm), quint64(1));
    if (loaded.hardState.currentTerm != m_term)
        storage->setHardState(storage::HardState{m_term, m_config.advertiseAddress});

    m_storage = std::move(storage);
    connect(m_storage.get(), &storage::StorageThread::durable, this, &SingleNodeLog::onDurable);
    connect(m_storage.get(), &storage::StorageThread::storageFailed, this, &SingleNodeLog::onStorageFailed);
    connect(m_storage.get(), &storage::StorageThread::snapshotWritten, this, &SingleNodeLog::onSnapshotWritten);
    connect(m_storage.get(), &storage::StorageThread::snapshotFailed, this, &SingleNodeLog::onSnapshotFailed);
    m_state = State::Open;
    if (m_config.snapshotIntervalMs > 0)
        m_snapshotTimer.start(m_config.snapshotIntervalMs);
    qCInfo(lcLog).noquote() << "opened" << dataDir << "at index" << m_appliedIndex << "term" << m_term
                            << "(snapshot" << base << "+" << (m_appliedIndex - base) << "log entries)";
    return true;
}

void SingleNodeLog::propose(const QByteArray &command, Done done)
{
    switch (m_state) {
    case State::Open:
        m_queued.append(Pending{storage::LogEntry{m_nextIndex++, m_term, command}, std::move(done)});
        break;
    case State::Closed:
        m_rejected.append(Rejected{std::move(done), LogError::NoLeader, kNoLeader});
        break;
    case State::Failed:
        m_rejected.append(Rejected{std::move(done), LogError::StorageFailed, m_failure});
        break;
    case State::ShutDown:
        m_rejected.append(Rejected{std::move(done), LogError::ShuttingDown, kShutdown});
        break;
    }
    // Even a refusal is answered from the event loop, never from inside propose(): callers may
    // hold state that a re-entrant callback would surprise.
    scheduleFlush();
}

void SingleNodeLog::scheduleFlush()
{
    if (m_flushScheduled)
        return;
    m_flushScheduled = true;
    QMetaObject::invokeMethod(this, &SingleNodeLog::flush, Qt::QueuedConnection);
}

// Group commit: everything proposed since the last flush becomes one batch, one transaction and
// one fsync. While a batch is in flight new proposals wait in m_queued; onDurable() sends them.
void SingleNodeLog::flush()
{
    m_flushScheduled = false;
    deliverRejected();
    if (m_state != State::Open || !m_inFlight.isEmpty() || m_queued.isEmpty())
        return;
    m_inFlight.swap(m_queued);
    QList<storage::LogEntry> entries;
    entries.reserve(m_inFlight.size());
    for (const Pending &p : std::as_const(m_inFlight))
        entries.append(p.entry);
    m_storage->appendEntries(entries);
}

void SingleNodeLog::deliverRejected()
{
    while (!m_rejected.isEmpty()) {
        const QList<Rejected> batch = std::exchange(m_rejected, {});
        for (const Rejected &r : batch) {
            if (r.done)
                r.done(errorResult(r.error, r.text));
        }
    }
}

// Applies, in index order, every in-flight entry up to `upTo` (all durable), then answers each
// proposer. Answers come after all applies so a callback sees the state including its own write.
void SingleNodeLog::applyDurable(quint64 upTo)
{
    qsizetype n = 0;
    while (n < m_inFlight.size() && m_inFlight.at(n).entry.index <= upTo)
        ++n;
    if (n == 0)
        return;
    QList<Pending> batch = m_inFlight.mid(0, n);
    m_inFlight.remove(0, n);
    m_commitIndex = qMax(m_commitIndex, batch.last().entry.index);

    QList<state::ApplyResult> results;
    results.reserve(batch.size());
    for (const Pending &p : std::as_const(batch)) {
        results.append(m_stateMachine.apply(p.entry.index, p.entry.data));
        m_appliedIndex = p.entry.index;
        m_appliedTerm = p.entry.term;
    }
    for (qsizetype i = 0; i < batch.size(); ++i) {
        if (!batch.at(i).done)
            continue;
        ProposeResult r;
        r.index = batch.at(i).entry.index;
        r.result = results.at(i);
        batch.at(i).done(r);
    }
    emit applied(m_appliedIndex);
}

void SingleNodeLog::failAll(LogError error, const QString &text)
{
    QList<Pending> pending = std::exchange(m_inFlight, {});
    pending.append(std::exchange(m_queued, {}));
    for (const Pending &p : std::as_const(pending)) {
        if (p.done)
            p.done(errorResult(error, text));
    }
    deliverRejected();
}

void SingleNodeLog::onDurable(quint64 lastIndex)
{
    if (m_state != State::Open)
        return;
    applyDurable(lastIndex);
    if (m_state != State::Open)  // a callback may have shut us down
        return;
    maybeSnapshot(false);
    flush();
}

void SingleNodeLog::onStorageFailed(const QString &text)
{
    if (m_state != State::Open)
        return;
    m_state = State::Failed;
    m_failure = text;
    m_snapshotTimer.stop();
    qCCritical(lcLog).noquote() << "storage failed, refusing writes from now on:" << text;
    failAll(LogError::StorageFailed, text);
    emit fatalError(text);
}

void SingleNodeLog::maybeSnapshot(bool onTimer)
{
    if (m_state != State::Open || m_snapshotInFlight || m_appliedIndex <= m_lastSnapshotIndex)
        return;
    if (!onTimer && m_appliedIndex - m_snapshotBaseIndex < m_config.snapshotThreshold)
        return;
    storage::SnapshotMeta meta;
    meta.index = m_appliedIndex;
    meta.term = m_appliedTerm;
    meta.membership = QCborValue(QCborArray{m_config.advertiseAddress}).toCbor();
    // The tables are copied on the loop, encoded on the worker, written by the storage thread.
    m_snapshotInFlight = true;
    m_snapshotBaseIndex = m_appliedIndex;
    m_snapshotPool.start([this, task = m_stateMachine.snapshotTask(), meta] {
        QByteArray payload = task();
        QMetaObject::invokeMethod(
            this,
            [this, meta, payload = std::move(payload)] {
                if (m_state == State::Open)
                    m_storage->writeSnapshot(meta, payload);
                else
                    m_snapshotInFlight = false;
            },
            Qt::QueuedConnection);
    });
}

// Compaction keeps `trailingLogs` entries behind the new snapshot, and never drops entries after
// the previous snapshot: two snapshots are kept so that a corrupt newest one can fall back to the
// older, and the log must still reach back to it for that fallback to lose nothing.
void SingleNodeLog::onSnapshotWritten(quint64 index, quint64 /*term*/)
{
    m_snapshotInFlight = false;
    const quint64 previous = m_lastSnapshotIndex;
    m_lastSnapshotIndex = qMax(m_lastSnapshotIndex, index);
    if (m_state == State::Open) {
        const quint64 keepFrom = index > m_config.trailingLogs ? index - m_config.trailingLogs : 0;
        const quint64 upTo = qMin(keepFrom, previous);
        if (upTo > m_compactedIndex) {
            m_storage->truncatePrefix(upTo);
            m_compactedIndex = upTo;
        }
    }
    emit snapshotTaken(index);
    // Writes that came in while this one was being encoded and written may already be over the
    // threshold again; without this the next snapshot would wait for the next write.
    maybeSnapshot(false);
}

void SingleNodeLog::onSnapshotFailed(const QString &text)
{
    m_snapshotInFlight = false;
    // Not fatal: the log still holds every entry. The next threshold or interval tries again.
    qCWarning(lcLog).noquote() << text;
}

void SingleNodeLog::shutdown()
{
    if (m_state == State::ShutDown) {
        deliverRejected();
        return;
    }
    const State was = m_state;
    m_state = State::ShutDown;
    m_snapshotTimer.stop();
    m_snapshotPool.waitForDone();
    if (m_storage && was != State::Closed) {
        const storage::StorageThread::Drained drained = m_storage->drain();
        if (was == State::Open) {
            // The batch in flight finished on disk: what is durable is acknowledged, as usual.
            applyDurable(drained.durableIndex);
            if (!drained.failure.isEmpty())
                failAll(LogError::StorageFailed, drained.failure);
        }
    }
    failAll(LogError::ShuttingDown, kShutdown);
    if (m_storage)
        m_storage->stop();
    deliverRejected();
}

}  // namespace conclave::server
