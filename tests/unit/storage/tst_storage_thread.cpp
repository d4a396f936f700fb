// StorageThread + StorageWorker: the threaded front of the storage module. Batches become one
// transaction each, results come back by signal, the data dir survives a restart, and every
// failure ends in a clear sentence rather than a crash.

#include "storage/database.h"
#include "storage/snapshot_files.h"
#include "storage/sqlite_log.h"
#include "storage/storage_thread.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace conclave::storage;

namespace {

constexpr int kWaitMs = 10000;

QList<LogEntry> makeEntries(quint64 from, quint64 to, quint64 term, int size = 8)
{
    QList<LogEntry> out;
    for (quint64 i = from; i <= to; ++i)
        out.append(LogEntry{i, term, QByteArray::number(i).leftJustified(size, '.')});
    return out;
}

StorageWorker::Config configFor(const QString &dir)
{
    StorageWorker::Config c;
    c.dataDir = dir;
    return c;
}

}  // namespace

class TestStorageThread : public QObject {
    Q_OBJECT
private slots:
    void init();
    void openCreatesTheDataDirLayout();
    void batchesAreDurableAndSurviveRestart();
    void eachBatchIsOneTransaction();
    void truncationsRunInRequestOrder();
    void snapshotIsWrittenOnTheStorageThreadAndLoaded();
    void unusableDataDirGivesClearError_data();
    void unusableDataDirGivesClearError();
    void fullDiskFailsTheBatchAndLaterWrites();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestStorageThread::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestStorageThread::openCreatesTheDataDirLayout()
{
    const QString dataDir = m_dir->filePath(QStringLiteral("a/b/data"));
    StorageThread storage(configFor(dataDir));
    LoadedState loaded;
    QString error;
    QVERIFY2(storage.open(&loaded, &error), qPrintable(error));
    QVERIFY(QFile::exists(dataDir + QStringLiteral("/raft.db")));
    QVERIFY(QDir(dataDir + QStringLiteral("/snapshots")).exists());
    QVERIFY(loaded.entries.isEmpty());
    QVERIFY(!loaded.snapshot);
    QCOMPARE(loaded.hardState.currentTerm, quint64(0));
}

void TestStorageThread::batchesAreDurableAndSurviveRestart()
{
    QString error;
    {
        StorageThread storage(configFor(m_dir->path()));
        QVERIFY2(storage.open(nullptr, &error), qPrintable(error));
        QSignalSpy durable(&storage, &StorageThread::durable);
        QSignalSpy hardStateSaved(&storage, &StorageThread::hardStateSaved);
        storage.setHardState(HardState{4, QStringLiteral("10.0.0.1:8300"), 17});
        QTRY_COMPARE_WITH_TIMEOUT(hardStateSaved.size(), 1, kWaitMs);
        QCOMPARE(hardStateSaved.at(0).at(0).toULongLong(), quint64(4));
        storage.appendEntries(makeEntries(1, 30, 4));
        storage.appendEntries(makeEntries(31, 31, 4));
        storage.appendEntries(makeEntries(32, 40, 4));
        QTRY_COMPARE_WITH_TIMEOUT(durable.size(), 3, kWaitMs);
        QCOMPARE(durable.at(0).at(0).toULongLong(), quint64(30));
        QCOMPARE(durable.at(1).at(0).toULongLong(), quint64(31));
        QCOMPARE(durable.at(2).at(0).toULongLong(), quint64(40));
        // The signal arrives on the owner's thread.
        QCOMPARE(storage.drain().durableIndex, quint64(40));
    }
    StorageThread storage(configFor(m_dir->path()));
    LoadedState loaded;
    QVERIFY2(storage.open(&loaded, &error), qPrintable(error));
    QCOMPARE(loaded.entries.size(), 40);
    QCOMPARE(loaded.entries.first().index, quint64(1));
    QCOMPARE(loaded.entries.last().index, quint64(40));
    QCOMPARE(loaded.entries.last().term, quint64(4));
    QCOMPARE(loaded.entries.at(16).data, QByteArray("17......"));
    QCOMPARE(loaded.hardState.currentTerm, quint64(4));
    QCOMPARE(loaded.hardState.votedFor, QStringLiteral("10.0.0.1:8300"));
    QCOMPARE(loaded.hardState.commit, quint64(17));
}

void TestStorageThread::eachBatchIsOneTransaction()
{
    StorageThread storage(configFor(m_dir->path()));
    QString error;
    QVERIFY2(storage.open(nullptr, &error), qPrintable(error));
    QSignalSpy durable(&storage, &StorageThread::durable);
    storage.appendEntries(makeEntries(1, 250, 1));
    QVERIFY(durable.wait(kWaitMs));
    StorageStats s = storage.stats();
    QCOMPARE(s.batchesWritten, quint64(1));
    QCOMPARE(s.entriesWritten, quint64(250));
    QCOMPARE(s.lastBatchSize, quint64(250));
    QVERIFY(s.lastCommitMicros > 0);

    storage.appendEntries(makeEntries(251, 253, 1));
    QVERIFY(durable.wait(kWaitMs));
    s = storage.stats();
    QCOMPARE(s.batchesWritten, quint64(2));
    QCOMPARE(s.entriesWritten, quint64(253));
    QCOMPARE(s.lastBatchSize, quint64(3));
    QVERIFY(s.totalCommitMicros >= s.lastCommitMicros);
}

void TestStorageThread::truncationsRunInRequestOrder()
{
    QString error;
    {
        StorageThread storage(configFor(m_dir->path()));
        QVERIFY2(storage.open(nullptr, &error), qPrintable(error));
        storage.appendEntries(makeEntries(1, 100, 1));
        storage.truncatePrefix(40);
        storage.truncateSuffix(91);
        storage.appendEntries(makeEntries(91, 95, 2));
        const StorageThread::Drained d = storage.drain();
        QCOMPARE(d.failure, QString());
        QCOMPARE(d.durableIndex, quint64(95));
    }
    StorageThread storage(configFor(m_dir->path()));
    LoadedState loaded;
    QVERIFY2(storage.open(&loaded, &error), qPrintable(error));
    QCOMPARE(loaded.entries.size(), 55);
    QCOMPARE(loaded.entries.first().index, quint64(41));
    QCOMPARE(loaded.entries.at(49).index, quint64(90));
    QCOMPARE(loaded.entries.at(49).term, quint64(1));
    QCOMPARE(loaded.entries.last().index, quint64(95));
    QCOMPARE(loaded.entries.last().term, quint64(2));
}

void TestStorageThread::snapshotIsWrittenOnTheStorageThreadAndLoaded()
{
    QString error;
    const QByteArray payload(200000, 'z');
    {
        StorageThread storage(configFor(m_dir->path()));
        QVERIFY2(storage.open(nullptr, &error), qPrintable(error));
        QSignalSpy written(&storage, &StorageThread::snapshotWritten);
        storage.writeSnapshot(SnapshotMeta{77, 3, QByteArray("m")}, payload);
        QVERIFY(written.wait(kWaitMs));
        QCOMPARE(written.at(0).at(0).toULongLong(), quint64(77));
        QCOMPARE(written.at(0).at(1).toULongLong(), quint64(3));
    }
    StorageThread storage(configFor(m_dir->path()));
    LoadedState loaded;
    QVERIFY2(storage.open(&loaded, &error), qPrintable(error));
    QVERIFY(loaded.snapshot);
    QCOMPARE(loaded.snapshot->meta.index, quint64(77));
    QCOMPARE(loaded.snapshot->meta.term, quint64(3));
    QCOMPARE(loaded.snapshot->meta.membership, QByteArray("m"));
    QCOMPARE(loaded.snapshot->payload, payload);
}

void TestStorageThread::unusableDataDirGivesClearError_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("reason");
    QTest::newRow("path under a regular file") << QStringLiteral("under-file") << QStringLiteral("cannot create directory");
    QTest::newRow("data dir is a file") << QStringLiteral("is-file") << QStringLiteral("cannot create directory");
    QTest::newRow("raft.db is not a database") << QStringLiteral("garbage-db") << QStringLiteral("not a database");
    QTest::newRow("raft.db is a directory") << QStringLiteral("db-is-dir") << QStringLiteral("raft.db");
}

void TestStorageThread::unusableDataDirGivesClearError()
{
    QFETCH(QString, kind);
    QFETCH(QString, reason);
    const QString blocker = m_dir->filePath(QStringLiteral("blocker"));
    QString dataDir = m_dir->filePath(QStringLiteral("data"));
    if (kind == QLatin1String("under-file") || kind == QLatin1String("is-file")) {
        QFile f(blocker);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("x");
        dataDir = kind == QLatin1String("is-file") ? blocker : blocker + QStringLiteral("/data");
    } else if (kind == QLatin1String("garbage-db")) {
        QVERIFY(QDir().mkpath(dataDir));
        QFile f(dataDir + QStringLiteral("/raft.db"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, '\x5a'));
    } else if (kind == QLatin1String("db-is-dir")) {
        QVERIFY(QDir().mkpath(dataDir + QStringLiteral("/raft.db")));
    }
    StorageThread storage(configFor(dataDir));
    QString error;
    QVERIFY(!storage.open(nullptr, &error));
    QVERIFY2(error.startsWith(QStringLiteral("cannot open data dir %1: ").arg(QDir::cleanPath(dataDir))), qPrintable(error));
    QVERIFY2(error.contains(reason), qPrintable(error));
}

void TestStorageThread::fullDiskFailsTheBatchAndLaterWrites()
{
    StorageWorker::Config config = configFor(m_dir->path());
    config.maxDatabasePages = 16;  // 64 KiB with the default page size
    QString error;
    {
        StorageThread storage(config);
        QVERIFY2(storage.open(nullptr, &error), qPrintable(error));
        QSignalSpy durable(&storage, &StorageThread::durable);
        QSignalSpy failed(&storage, &StorageThread::storageFailed);
        storage.appendEntries(makeEntries(1, 2, 1, 1000));
        QVERIFY(durable.wait(kWaitMs));

        QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(QStringLiteral("cannot append log entries 3..50")));
        storage.appendEntries(makeEntries(3, 50, 1, 4000));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, kWaitMs);
        const QString text = failed.at(0).at(0).toString();
        QVERIFY2(text.contains(QStringLiteral("full")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("raft.db")), qPrintable(text));

        // After a lost write the log may have a hole: later writes are refused with the same text.
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^refusing append")));
        storage.appendEntries(makeEntries(3, 3, 1));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 2, kWaitMs);
        QCOMPARE(failed.at(1).at(0).toString(), text);
        const StorageThread::Drained d = storage.drain();
        QCOMPARE(d.durableIndex, quint64(2));
        QCOMPARE(d.failure, text);
        QCOMPARE(durable.size(), 1);
    }
    // Nothing that was reported durable is lost, and the failed batch left no trace.
    StorageThread storage(configFor(m_dir->path()));
    LoadedState loaded;
    QVERIFY2(storage.open(&loaded, &error), qPrintable(error));
    QCOMPARE(loaded.entries.size(), 2);
    QCOMPARE(loaded.entries.last().index, quint64(2));
}

QTEST_GUILESS_MAIN(TestStorageThread)
#include "tst_storage_thread.moc"
