#pragma once
// The SQLite file behind the Raft log and stable store (`<data-dir>/raft.db`), opened through Qt
// SQL with a connection name unique to this instance. Sets WAL + synchronous=FULL (a commit is on
// disk when it returns, and a crash at any instant leaves a file that reopens) and brings the
// schema up to date step by step from the version recorded in the `meta` table.
//
// Owned by StorageWorker. Thread: only the thread that called open() may use it (a Qt SQL
// connection is bound to the thread that opened it). Does not know about Raft; see SqliteLog.

#include <QSqlDatabase>
#include <QString>

namespace conclave::storage {

class Database {
public:
    /// Bump when a migration step is added to migrateStep().
    static constexpr int SchemaVersion = 1;

    struct Options {
        /// 0 = no limit. Otherwise SQLite's max_page_count: writes beyond it fail with
        /// "database or disk is full", exactly as a full disk does.
        qint64 maxPageCount = 0;
    };

    Database();
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    /// Opens (creating if missing) the file, checks it, migrates it. On failure the database is
    /// left closed and `error` says why.
    bool open(const QString &filePath, const Options &options, QString *error);
    bool open(const QString &filePath, QString *error) { return open(filePath, Options{}, error); }
    void close();
    bool isOpen() const { return m_db.isOpen(); }

    QSqlDatabase &connection() { return m_db; }
    QString filePath() const { return m_filePath; }
    /// The schema version stored in the file (after open: SchemaVersion).
    int schemaVersion();

private:
    bool exec(const QString &sql, QString *error);
    bool migrate(QString *error);
    bool migrateStep(int fromVersion, QString *error);

    QString m_connectionName;
    QString m_filePath;
    QSqlDatabase m_db;
};

}  // namespace conclave::storage
