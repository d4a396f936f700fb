#pragma once
// The Raft log and stable store kept in a Database: `log(idx, term, data)` and `stable(key, value)`
// (currentTerm, votedFor). Every write method is one transaction, so one call = one fsync.
//
// Owned by StorageWorker (or a test). Thread: the Database's thread. Synchronous and blocking by
// design; it never runs on the event loop. Does not decide what to truncate: Raft does.

#include "storage/database.h"
#include "storage/types.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace conclave::storage {

class SqliteLog {
public:
    explicit SqliteLog(Database &db) : m_db(db) {}

    /// Writes `entries` (consecutive indexes, ascending) in one transaction. Any stored entry at or
    /// after the first new index is replaced first, so an append is also the conflict truncation
    /// of Raft §5.3.
    bool append(const QList<LogEntry> &entries, QString *error);
    /// Deletes entries with index >= fromIndex (Raft §5.3 conflict).
    bool truncateSuffix(quint64 fromIndex, QString *error);
    /// Deletes entries with index <= upToIndex (compaction after a snapshot, Raft §7).
    bool truncatePrefix(quint64 upToIndex, QString *error);

    bool setHardState(const HardState &state, QString *error);
    bool hardState(HardState *state, QString *error);

    /// Generic stable-store key/value (one transaction per call).
    bool setStable(const QString &key, const QByteArray &value, QString *error);
    /// Null QByteArray when the key is absent.
    QByteArray stable(const QString &key, QString *error = nullptr);

    /// 0 when the log is empty.
    quint64 firstIndex(QString *error = nullptr);
    quint64 lastIndex(QString *error = nullptr);
    /// Entries with lo <= index <= hi, ascending (hi = 0: to the end).
    bool entries(quint64 lo, quint64 hi, QList<LogEntry> *out, QString *error);

private:
    bool setStableValues(const QList<QPair<QString, QByteArray>> &values, QString *error);
    quint64 scalar(const QString &sql, QString *error);

    Database &m_db;
};

}  // namespace conclave::storage
