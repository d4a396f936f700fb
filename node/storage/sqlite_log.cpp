#include "storage/sqlite_log.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace conclave::storage {

namespace {

const QString kCurrentTerm = QStringLiteral("currentTerm");
const QString kVotedFor = QStringLiteral("votedFor");
const QString kCommit = QStringLiteral("commit");

QString sqlError(const QSqlError &e)
{
    const QString text = e.text().trimmed();
    return text.isEmpty() ? QStringLiteral("unknown SQLite error") : text;
}

// Runs `body` inside one transaction; rolls back when it fails or when the commit does.
template<typename Body>
bool inTransaction(QSqlDatabase &db, QString *error, Body body)
{
    if (!db.transaction()) {
        if (error)
            *error = sqlError(db.lastError());
        return false;
    }
    QString err;
    if (!body(&err)) {
        db.rollback();
        if (error)
            *error = err;
        return false;
    }
    if (!db.commit()) {
        if (error)
            *error = sqlError(db.lastError());
        db.rollback();
        return false;
    }
    return true;
}

bool execBound(QSqlQuery &q, QString *error)
{
    if (!q.exec()) {
        if (error)
            *error = sqlError(q.lastError());
        return false;
    }
    return true;
}

}  // namespace

bool SqliteLog::append(const QList<LogEntry> &entries, QString *error)
{
    if (entries.isEmpty())
        return true;
    QSqlDatabase &db = m_db.connection();
    return inTransaction(db, error, [&](QString *err) {
        QSqlQuery del(db);
        del.prepare(QStringLiteral("DELETE FROM log WHERE idx >= ?"));
        del.addBindValue(qint64(entries.first().index));
        if (!execBound(del, err))
            return false;
        QSqlQuery ins(db);
        ins.prepare(QStringLiteral("INSERT INTO log (idx, term, data) VALUES (?, ?, ?)"));
        for (const LogEntry &e : entries) {
            ins.bindValue(0, qint64(e.index));
            ins.bindValue(1, qint64(e.term));
            // A null QByteArray would bind as NULL and violate NOT NULL; store empty commands as "".
            ins.bindValue(2, e.data.isNull() ? QByteArray("") : e.data);
            if (!execBound(ins, err))
                return false;
        }
        return true;
    });
}

bool SqliteLog::truncateSuffix(quint64 fromIndex, QString *error)
{
    QSqlDatabase &db = m_db.connection();
    return inTransaction(db, error, [&](QString *err) {
        QSqlQuery q(db);
        q.prepare(QStringLiteral("DELETE FROM log WHERE idx >= ?"));
        q.addBindValue(qint64(fromIndex));
        return execBound(q, err);
    });
}

bool SqliteLog::truncatePrefix(quint64 upToIndex, QString *error)
{
    QSqlDatabase &db = m_db.connection();
    return inTransaction(db, error, [&](QString *err) {
        QSqlQuery q(db);
        q.prepare(QStringLiteral("DELETE FROM log WHERE idx <= ?"));
        q.addBindValue(qint64(upToIndex));
        return execBound(q, err);
    });
}

bool SqliteLog::setHardState(const HardState &state, QString *error)
{
    return setStableValues({{kCurrentTerm, QByteArray::number(state.currentTerm)},
                            {kVotedFor, state.votedFor.toUtf8()},
                            {kCommit, QByteArray::number(state.commit)}},
                           error);
}

bool SqliteLog::hardState(HardState *state, QString *error)
{
    QString err;
    const QByteArray term = stable(kCurrentTerm, &err);
    if (!err.isEmpty()) {
        if (error)
            *error = err;
        return false;
    }
    const QByteArray vote = stable(kVotedFor, &err);
    if (!err.isEmpty()) {
        if (error)
            *error = err;
        return false;
    }
    bool ok = true;
    state->currentTerm = term.isEmpty() ? 0 : term.toULongLong(&ok);
    if (!ok) {
        if (error)
            *error = QStringLiteral("stored currentTerm is not a number: %1").arg(QString::fromUtf8(term));
        return false;
    }
    state->votedFor = QString::fromUtf8(vote);
    const QByteArray commit = stable(kCommit, &err);
    if (!err.isEmpty()) {
        if (error)
            *error = err;
        return false;
    }
    state->commit = commit.isEmpty() ? 0 : commit.toULongLong(&ok);
    if (!ok) {
        if (error)
            *error = QStringLiteral("stored commit is not a number: %1").arg(QString::fromUtf8(commit));
        return false;
    }
    return true;
}

bool SqliteLog::setStable(const QString &key, const QByteArray &value, QString *error)
{
    return setStableValues({{key, value}}, error);
}

bool SqliteLog::setStableValues(const QList<QPair<QString, QByteArray>> &values, QString *error)
{
    QSqlDatabase &db = m_db.connection();
    return inTransaction(db, error, [&](QString *err) {
        QSqlQuery q(db);
        q.prepare(QStringLiteral("INSERT OR REPLACE INTO stable (key, value) VALUES (?, ?)"));
        for (const auto &[key, value] : values) {
            q.bindValue(0, key);
            q.bindValue(1, value.isNull() ? QByteArray("") : value);
            if (!execBound(q, err))
                return false;
        }
        return true;
    });
}

QByteArray SqliteLog::stable(const QString &key, QString *error)
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT value FROM stable WHERE key = ?"));
    q.addBindValue(key);
    if (!q.exec()) {
        if (error)
            *error = sqlError(q.lastError());
        return {};
    }
    if (!q.next())
        return {};
    QByteArray v = q.value(0).toByteArray();
    if (v.isNull())
        v = QByteArray("");  // present but empty: distinguish from absent
    return v;
}

quint64 SqliteLog::scalar(const QString &sql, QString *error)
{
    QSqlQuery q(m_db.connection());
    if (!q.exec(sql)) {
        if (error)
            *error = sqlError(q.lastError());
        return 0;
    }
    if (!q.next() || q.value(0).isNull())
        return 0;
    return quint64(q.value(0).toLongLong());
}

quint64 SqliteLog::firstIndex(QString *error)
{
    return scalar(QStringLiteral("SELECT MIN(idx) FROM log"), error);
}

quint64 SqliteLog::lastIndex(QString *error)
{
    return scalar(QStringLiteral("SELECT MAX(idx) FROM log"), error);
}

bool SqliteLog::entries(quint64 lo, quint64 hi, QList<LogEntry> *out, QString *error)
{
    QSqlQuery q(m_db.connection());
    q.setForwardOnly(true);
    if (hi == 0) {
        q.prepare(QStringLiteral("SELECT idx, term, data FROM log WHERE idx >= ? ORDER BY idx"));
        q.addBindValue(qint64(lo));
    } else {
        q.prepare(QStringLiteral("SELECT idx, term, data FROM log WHERE idx >= ? AND idx <= ? ORDER BY idx"));
        q.addBindValue(qint64(lo));
        q.addBindValue(qint64(hi));
    }
    if (!execBound(q, error))
        return false;
    while (q.next()) {
        LogEntry e;
        e.index = quint64(q.value(0).toLongLong());
        e.term = quint64(q.value(1).toLongLong());
        e.data = q.value(2).toByteArray();
        out->append(std::move(e));
    }
    return true;
}

}  // namespace conclave::storage
