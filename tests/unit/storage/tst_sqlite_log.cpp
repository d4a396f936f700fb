// Database + SqliteLog, synchronously on the test thread: schema, durability across reopen,
// truncation in both directions, and clear errors for files that are not a usable database.

#include "storage/database.h"
#include "storage/sqlite_log.h"

#include <QFile>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using namespace conclave::storage;

namespace {

QList<LogEntry> makeEntries(quint64 from, quint64 to, quint64 term)
{
    QList<LogEntry> out;
    for (quint64 i = from; i <= to; ++i)
        out.append(LogEntry{i, term, QByteArray("cmd-") + QByteArray::number(i)});
    return out;
}

QList<quint64> indexesOf(const QList<LogEntry> &entries)
{
    QList<quint64> out;
    for (const LogEntry &e : entries)
        out.append(e.index);
    return out;
}

QList<quint64> range(quint64 from, quint64 to)
{
    QList<quint64> out;
    for (quint64 i = from; i <= to; ++i)
        out.append(i);
    return out;
}

}  // namespace

class TestSqliteLog : public QObject {
    Q_OBJECT
private slots:
    void init();
    void freshDatabaseHasCurrentSchemaAndWal();
    void appendedEntriesAndHardStateSurviveReopen();
    void truncation_data();
    void truncation();
    void appendReplacesConflictingSuffix();
    void stableStoreDistinguishesEmptyFromAbsent();
    void garbageFileIsRejectedWithReason();
    void newerSchemaIsRejected();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString dbPath() const { return m_dir->filePath(QStringLiteral("raft.db")); }
};

void TestSqliteLog::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestSqliteLog::freshDatabaseHasCurrentSchemaAndWal()
{
    Database db;
    QString error;
    QVERIFY2(db.open(dbPath(), &error), qPrintable(error));
    QCOMPARE(db.schemaVersion(), Database::SchemaVersion);
    QSqlQuery q(db.connection());
    QVERIFY(q.exec(QStringLiteral("PRAGMA journal_mode")) && q.next());
    QCOMPARE(q.value(0).toString(), QStringLiteral("wal"));
    QVERIFY(q.exec(QStringLiteral("PRAGMA synchronous")) && q.next());
    QCOMPARE(q.value(0).toInt(), 2);  // FULL
    SqliteLog log(db);
    QCOMPARE(log.firstIndex(), quint64(0));
    QCOMPARE(log.lastIndex(), quint64(0));
    HardState hs;
    QVERIFY(log.hardState(&hs, &error));
    QCOMPARE(hs.currentTerm, quint64(0));
    QCOMPARE(hs.votedFor, QString());
    QCOMPARE(hs.commit, quint64(0));  // also what a database from before the commit key loads as
}

void TestSqliteLog::appendedEntriesAndHardStateSurviveReopen()
{
    QString error;
    {
        Database db;
        QVERIFY2(db.open(dbPath(), &error), qPrintable(error));
        SqliteLog log(db);
        QVERIFY2(log.append(makeEntries(1, 10, 1), &error), qPrintable(error));
        QVERIFY2(log.append(makeEntries(11, 15, 3), &error), qPrintable(error));
        QVERIFY2(log.setHardState(HardState{3, QStringLiteral("127.0.0.1:8300")}, &error), qPrintable(error));
    }
    Database db;
    QVERIFY2(db.open(dbPath(), &error), qPrintable(error));
    SqliteLog log(db);
    QList<LogEntry> entries;
    QVERIFY2(log.entries(0, 0, &entries, &error), qPrintable(error));
    QCOMPARE(indexesOf(entries), range(1, 15));
    QCOMPARE(entries.at(0).term, quint64(1));
    QCOMPARE(entries.at(9).term, quint64(1));
    QCOMPARE(entries.at(10).term, quint64(3));
    QCOMPARE(entries.at(14).data, QByteArray("cmd-15"));
    HardState hs;
    QVERIFY(log.hardState(&hs, &error));
    QCOMPARE(hs.currentTerm, quint64(3));
    QCOMPARE(hs.votedFor, QStringLiteral("127.0.0.1:8300"));
    QCOMPARE(hs.commit, quint64(0));
    QVERIFY2(log.setHardState(HardState{4, QString(), 12}, &error), qPrintable(error));
    QVERIFY(log.hardState(&hs, &error));
    QCOMPARE(hs.currentTerm, quint64(4));
    QCOMPARE(hs.votedFor, QString());
    QCOMPARE(hs.commit, quint64(12));

    QList<LogEntry> slice;
    QVERIFY(log.entries(4, 6, &slice, &error));
    QCOMPARE(indexesOf(slice), range(4, 6));
}

void TestSqliteLog::truncation_data()
{
    QTest::addColumn<bool>("suffix");
    QTest::addColumn<quint64>("at");
    QTest::addColumn<quint64>("first");
    QTest::addColumn<quint64>("last");

    // Log holds 1..20.
    QTest::newRow("suffix from the middle") << true << quint64(8) << quint64(1) << quint64(7);
    QTest::newRow("suffix from the last entry") << true << quint64(20) << quint64(1) << quint64(19);
    QTest::newRow("suffix past the end keeps all") << true << quint64(21) << quint64(1) << quint64(20);
    QTest::newRow("suffix from the first empties") << true << quint64(1) << quint64(0) << quint64(0);
    QTest::newRow("prefix up to the middle") << false << quint64(12) << quint64(13) << quint64(20);
    QTest::newRow("prefix up to zero keeps all") << false << quint64(0) << quint64(1) << quint64(20);
    QTest::newRow("prefix up to the last empties") << false << quint64(20) << quint64(0) << quint64(0);
}

void TestSqliteLog::truncation()
{
    QFETCH(bool, suffix);
    QFETCH(quint64, at);
    QFETCH(quint64, first);
    QFETCH(quint64, last);
    QString error;
    {
        Database db;
        QVERIFY2(db.open(dbPath(), &error), qPrintable(error));
        SqliteLog log(db);
        QVERIFY(log.append(makeEntries(1, 20, 2), &error));
        QVERIFY2(suffix ? log.truncateSuffix(at, &error) : log.truncatePrefix(at, &error), qPrintable(error));
    }
    Database db;
    QVERIFY2(db.open(dbPath(), &error), qPrintable(error));
    SqliteLog log(db);
    QCOMPARE(log.firstIndex(), first);
    QCOMPARE(log.lastIndex(), last);
    QList<LogEntry> entries;
    QVERIFY(log.entries(0, 0, &entries, &error));
    QCOMPARE(indexesOf(entries), first == 0 ? QList<quint64>{} : range(first, last));
}

void TestSqliteLog::appendReplacesConflictingSuffix()
{
    Database db;
    QString error;
    QVERIFY2(db.open(dbPath(), &error), qPrintable(error));
    SqliteLog log(db);
    QVERIFY(log.append(makeEntries(1, 10, 1), &error));
    // A new leader overwrites 6.. with entries of its term (Raft §5.3): 7..10 must disappear too.
    QVERIFY2(log.append(makeEntries(6, 6, 2), &error), qPrintable(error));
    QList<LogEntry> entries;
    QVERIFY(log.entries(0, 0, &entries, &error));
    QCOMPARE(indexesOf(entries), range(1, 6));
    QCOMPARE(entries.at(4).term, quint64(1));
    QCOMPARE(entries.at(5).term, quint64(2));
}

void TestSqliteLog::stableStoreDistinguishesEmptyFromAbsent()
{
    Database db;
    QString error;
    QVERIFY2(db.open(dbPath(), &error), qPrintable(error));
    SqliteLog log(db);
    QVERIFY(log.stable(QStringLiteral("nope")).isNull());
    QVERIFY(log.setStable(QStringLiteral("empty"), QByteArray(), &error));
    const QByteArray empty = log.stable(QStringLiteral("empty"));
    QVERIFY(!empty.isNull());
    QVERIFY(empty.isEmpty());
    QVERIFY(log.setStable(QStringLiteral("blob"), QByteArray("\x00\x01\xff", 3), &error));
    QCOMPARE(log.stable(QStringLiteral("blob")), QByteArray("\x00\x01\xff", 3));
}

void TestSqliteLog::garbageFileIsRejectedWithReason()
{
    QFile f(dbPath());
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(8192, 'x'));
    f.close();
    Database db;
    QString error;
    QVERIFY(!db.open(dbPath(), &error));
    QVERIFY(!db.isOpen());
    QVERIFY2(error.contains(QStringLiteral("not a database")), qPrintable(error));
}

void TestSqliteLog::newerSchemaIsRejected()
{
    QString error;
    {
        Database db;
        QVERIFY(db.open(dbPath(), &error));
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("UPDATE meta SET value = 99 WHERE key = 'schema_version'")));
    }
    Database db;
    QVERIFY(!db.open(dbPath(), &error));
    QVERIFY2(error.contains(QStringLiteral("schema version 99")), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestSqliteLog)
#include "tst_sqlite_log.moc"
