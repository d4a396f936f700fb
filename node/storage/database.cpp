#include "storage/database.h"

#include <QAtomicInteger>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace conclave::storage {

namespace {

QAtomicInteger<quint64> g_connectionCounter;

QString sqlError(const QSqlError &e)
{
    const QString text = e.text().trimmed();
    return text.isEmpty() ? QStringLiteral("unknown SQLite error") : text;
}

}  // namespace

Database::Database()
    : m_connectionName(QStringLiteral("conclave-storage-%1").arg(g_connectionCounter.fetchAndAddRelaxed(1)))
{
}

Database::~Database()
{
    close();
}

bool Database::open(const QString &filePath, const Options &options, QString *error)
{
    close();
    m_filePath = filePath;
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    if (!m_db.isValid()) {
        if (error)
            *error = QStringLiteral("the Qt SQLite driver (QSQLITE) is not available");
        close();
        return false;
    }
    m_db.setDatabaseName(filePath);
    if (!m_db.open()) {
        if (error)
            *error = sqlError(m_db.lastError());
        close();
        return false;
    }

    QString err;
    // quick_check reads every page once: it catches a file that is not a database, or a damaged
    // one, at startup rather than on the first write.
    {
        QSqlQuery q(m_db);
        if (!q.exec(QStringLiteral("PRAGMA quick_check")) || !q.next()) {
            err = sqlError(q.lastError());
        } else if (q.value(0).toString() != QLatin1String("ok")) {
            err = QStringLiteral("integrity check failed: %1").arg(q.value(0).toString());
        }
    }
    if (err.isEmpty()) {
        QSqlQuery q(m_db);
        if (!q.exec(QStringLiteral("PRAGMA journal_mode=WAL")) || !q.next())
            err = sqlError(q.lastError());
        else if (q.value(0).toString().toLower() != QLatin1String("wal"))
            err = QStringLiteral("cannot switch the journal to WAL mode (got %1)").arg(q.value(0).toString());
    }
    if (err.isEmpty())
        exec(QStringLiteral("PRAGMA synchronous=FULL"), &err);
    if (err.isEmpty() && options.maxPageCount > 0)
        exec(QStringLiteral("PRAGMA max_page_count=%1").arg(options.maxPageCount), &err);
    if (err.isEmpty())
        migrate(&err);

    if (!err.isEmpty()) {
        if (error)
            *error = err;
        close();
        return false;
    }
    return true;
}

void Database::close()
{
    if (m_db.isValid()) {
        m_db.close();
        m_db = QSqlDatabase();  // no handle may survive removeDatabase()
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

int Database::schemaVersion()
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT value FROM meta WHERE key = 'schema_version'"));
    if (!q.exec() || !q.next())
        return 0;
    return q.value(0).toInt();
}

bool Database::exec(const QString &sql, QString *error)
{
    QSqlQuery q(m_db);
    if (!q.exec(sql)) {
        if (error)
            *error = sqlError(q.lastError());
        return false;
    }
    return true;
}

// Step-wise migrations (the qBittorrent dbresumedatastorage pattern): a file at version N runs
// steps N, N+1, ... up to SchemaVersion, all in one transaction with the version bump.
bool Database::migrate(QString *error)
{
    if (!exec(QStringLiteral("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB)"), error))
        return false;
    const int from = schemaVersion();
    if (from == SchemaVersion)
        return true;
    if (from > SchemaVersion) {
        if (error)
            *error = QStringLiteral("schema version %1 is newer than this build understands (%2)")
                         .arg(from)
                         .arg(SchemaVersion);
        return false;
    }
    if (!m_db.transaction()) {
        if (error)
            *error = sqlError(m_db.lastError());
        return false;
    }
    for (int v = from; v < SchemaVersion; ++v) {
        if (!migrateStep(v, error)) {
            m_db.rollback();
            return false;
        }
    }
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)"));
    q.addBindValue(SchemaVersion);
    if (!q.exec()) {
        if (error)
            *error = sqlError(q.lastError());
        m_db.rollback();
        return false;
    }
    if (!m_db.commit()) {
        if (error)
            *error = sqlError(m_db.lastError());
        m_db.rollback();
        return false;
    }
    return true;
}

bool Database::migrateStep(int fromVersion, QString *error)
{
    switch (fromVersion) {
    case 0:
        return exec(QStringLiteral("CREATE TABLE log (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, "
                                   "data BLOB NOT NULL)"),
                    error)
            && exec(QStringLiteral("CREATE TABLE stable (key TEXT PRIMARY KEY, value BLOB)"), error);
    default:
        if (error)
            *error = QStringLiteral("no migration from schema version %1").arg(fromVersion);
        return false;
    }
}

}  // namespace conclave::storage
