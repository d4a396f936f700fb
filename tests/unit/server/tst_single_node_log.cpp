// SingleNodeLog against a fake state machine and a real SQLite data dir: order and exactly-once
// delivery of results, group commit, replay after restart, snapshots with compaction, storage
// failure and shutdown.

#include "server/single_node_log.h"
#include "storage/snapshot_files.h"
#include "storage/sqlite_log.h"

#include <QDataStream>
#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace conclave;
using namespace conclave::server;

namespace {

constexpr int kWaitMs = 20000;

// Keeps every applied command. Commands starting with "reject" answer ok=false, like a failed cas.
class FakeStateMachine final : public StateMachine {
public:
    state::ApplyResult apply(quint64 index, const QByteArray &command) override
    {
        if (index != lastIndex + 1)
            outOfOrder.append(index);
        lastIndex = index;
        commands.append(command);
        ++appliedSinceRestore;
        state::ApplyResult r;
        r.ok = !command.startsWith("reject");
        return r;
    }
    QByteArray snapshot() const override
    {
        QByteArray out;
        QDataStream s(&out, QIODevice::WriteOnly);
        s << lastIndex << commands;
        return out;
    }
    bool restore(const QByteArray &snapshot, QString *error) override
    {
        QDataStream s(snapshot);
        quint64 index = 0;
        QList<QByteArray> restored;
        s >> index >> restored;
        if (s.status() != QDataStream::Ok) {
            if (error)
                *error = QStringLiteral("bad fake snapshot");
            return false;
        }
        lastIndex = index;
        commands = restored;
        ++restores;
        appliedSinceRestore = 0;
        return true;
    }

    quint64 lastIndex = 0;
    QList<QByteArray> commands;
    QList<quint64> outOfOrder;
    int restores = 0;
    int appliedSinceRestore = 0;
};

QByteArray command(int i)
{
    return QByteArray("set k") + QByteArray::number(i);
}

QList<QByteArray> commandsUpTo(int n)
{
    QList<QByteArray> out;
    for (int i = 1; i <= n; ++i)
        out.append(command(i));
    return out;
}

// Collects every done() call.
struct Results {
    QList<ProposeResult> all;
    ReplicatedLog::Done callback()
    {
        return [this](const ProposeResult &r) { all.append(r); };
    }
};

SingleNodeLog::Config quietConfig()
{
    SingleNodeLog::Config c;
    c.advertiseAddress = QStringLiteral("127.0.0.1:8300");
    c.snapshotIntervalMs = 0;  // tests trigger snapshots by threshold unless they test the timer
    return c;
}

}  // namespace

class TestSingleNodeLog : public QObject {
    Q_OBJECT
private slots:
    void init();
    void leadershipAndAddressesOnceOpen();
    void thousandProposalsAppliedInOrderAndAnsweredOnce();
    void applyResultReachesTheProposer();
    void concurrentProposalsShareOneBatch();
    void proposalsDuringAFlightFormTheNextBatch();
    void reopenReplaysToTheSameState();
    void snapshotCompactsTheLogAndReopenRestoresIt();
    void corruptNewestSnapshotFallsBackWithoutLoss();
    void intervalTimerSnapshotsNewEntries();
    void storageFailureFailsPendingAndLaterProposals();
    void shutdownAcknowledgesTheFlightAndFailsTheRest();
    void proposeBeforeOpenHasNoLeader();
    void unusableDataDirFailsOpen();

private:
    void proposeAndWait(SingleNodeLog &log, int from, int to, Results &results);
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestSingleNodeLog::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestSingleNodeLog::proposeAndWait(SingleNodeLog &log, int from, int to, Results &results)
{
    const qsizetype before = results.all.size();
    for (int i = from; i <= to; ++i)
        log.propose(command(i), results.callback());
    QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), before + (to - from + 1), kWaitMs);
}

void TestSingleNodeLog::leadershipAndAddressesOnceOpen()
{
    FakeStateMachine fsm;
    SingleNodeLog log(fsm, quietConfig());
    QVERIFY(!log.isLeader());
    QVERIFY(!log.hasLeader());
    QCOMPARE(log.leaderAddress(), QString());
    QString error;
    QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
    QVERIFY(log.isLeader());
    QVERIFY(log.hasLeader());
    QCOMPARE(log.leaderAddress(), QStringLiteral("127.0.0.1:8300"));
    QCOMPARE(log.peers(), QStringList{QStringLiteral("127.0.0.1:8300")});
    QCOMPARE(log.lastContactMs(), qint64(0));
    QCOMPARE(log.currentTerm(), quint64(1));
    QCOMPARE(log.appliedIndex(), quint64(0));
}

void TestSingleNodeLog::thousandProposalsAppliedInOrderAndAnsweredOnce()
{
    FakeStateMachine fsm;
    SingleNodeLog log(fsm, quietConfig());
    QString error;
    QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
    QSignalSpy applied(&log, &ReplicatedLog::applied);

    // Each proposer counts its own answers, so a duplicate answer cannot hide behind another's.
    QList<int> answers(1000, 0);
    QList<quint64> order;
    for (int i = 0; i < 1000; ++i) {
        log.propose(command(i + 1), [&answers, &order, i](const ProposeResult &r) {
            ++answers[i];
            order.append(r.index);
            QCOMPARE(r.error, LogError::None);
        });
        if (i % 97 == 0)
            QCoreApplication::processEvents();  // spread the writers over several loop iterations
    }
    QTRY_COMPARE_WITH_TIMEOUT(order.size(), 1000, kWaitMs);
    QCoreApplication::processEvents();
    QCOMPARE(order.size(), 1000);
    QCOMPARE(answers, QList<int>(1000, 1));
    for (int i = 0; i < 1000; ++i)
        QCOMPARE(order.at(i), quint64(i + 1));
    QCOMPARE(fsm.commands, commandsUpTo(1000));
    QCOMPARE(fsm.outOfOrder, QList<quint64>{});
    QCOMPARE(log.appliedIndex(), quint64(1000));
    QCOMPARE(log.commitIndex(), quint64(1000));
    QVERIFY(!applied.isEmpty());
    QCOMPARE(applied.last().at(0).toULongLong(), quint64(1000));
    quint64 previous = 0;
    for (const QList<QVariant> &args : std::as_const(applied)) {
        QVERIFY(args.at(0).toULongLong() > previous);
        previous = args.at(0).toULongLong();
    }
    QCOMPARE(log.storageStats().entriesWritten, quint64(1000));
}

void TestSingleNodeLog::applyResultReachesTheProposer()
{
    FakeStateMachine fsm;
    SingleNodeLog log(fsm, quietConfig());
    QString error;
    QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
    Results results;
    log.propose("set a", results.callback());
    log.propose("reject b", results.callback());
    QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), 2, kWaitMs);
    QCOMPARE(results.all.at(0).index, quint64(1));
    QVERIFY(results.all.at(0).result.ok);
    QCOMPARE(results.all.at(1).index, quint64(2));
    QCOMPARE(results.all.at(1).error, LogError::None);
    QVERIFY(!results.all.at(1).result.ok);
}

void TestSingleNodeLog::concurrentProposalsShareOneBatch()
{
    FakeStateMachine fsm;
    SingleNodeLog log(fsm, quietConfig());
    QString error;
    QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
    Results results;
    for (int i = 1; i <= 100; ++i)
        log.propose(command(i), results.callback());
    QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), 100, kWaitMs);
    const storage::StorageStats stats = log.storageStats();
    QCOMPARE(stats.entriesWritten, quint64(100));
    QVERIFY2(stats.batchesWritten < 100, qPrintable(QString::number(stats.batchesWritten)));
    // All in one loop iteration: exactly one batch, one transaction, one fsync.
    QCOMPARE(stats.batchesWritten, quint64(1));
    QCOMPARE(stats.lastBatchSize, quint64(100));
}

void TestSingleNodeLog::proposalsDuringAFlightFormTheNextBatch()
{
    FakeStateMachine fsm;
    SingleNodeLog log(fsm, quietConfig());
    QString error;
    QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
    Results results;
    for (int i = 1; i <= 5; ++i)
        log.propose(command(i), results.callback());
    // One loop iteration hands the five to storage. Whatever the loop sees next, the thirty
    // proposed now cannot join that batch: they wait and go together in the following one.
    QCoreApplication::processEvents();
    for (int i = 6; i <= 35; ++i)
        log.propose(command(i), results.callback());
    QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), 35, kWaitMs);
    const storage::StorageStats stats = log.storageStats();
    QCOMPARE(stats.entriesWritten, quint64(35));
    QCOMPARE(stats.batchesWritten, quint64(2));
    QCOMPARE(stats.lastBatchSize, quint64(30));
    QCOMPARE(fsm.commands, commandsUpTo(35));
}

void TestSingleNodeLog::reopenReplaysToTheSameState()
{
    QString error;
    {
        FakeStateMachine fsm;
        SingleNodeLog log(fsm, quietConfig());
        QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
        Results results;
        proposeAndWait(log, 1, 200, results);
    }
    FakeStateMachine fsm;
    SingleNodeLog log(fsm, quietConfig());
    QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
    QCOMPARE(fsm.commands, commandsUpTo(200));
    QCOMPARE(fsm.restores, 0);
    QCOMPARE(log.appliedIndex(), quint64(200));
    QCOMPARE(log.commitIndex(), quint64(200));
    QCOMPARE(log.currentTerm(), quint64(1));
    Results results;
    proposeAndWait(log, 201, 201, results);
    QCOMPARE(results.all.first().index, quint64(201));
    QCOMPARE(fsm.commands, commandsUpTo(201));
}

void TestSingleNodeLog::snapshotCompactsTheLogAndReopenRestoresIt()
{
    SingleNodeLog::Config config = quietConfig();
    config.snapshotThreshold = 50;
    config.trailingLogs = 10;
    QString error;
    quint64 snapshotIndex = 0;
    {
        FakeStateMachine fsm;
        SingleNodeLog log(fsm, config);
        QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
        QSignalSpy taken(&log, &SingleNodeLog::snapshotTaken);
        Results results;
        for (int wave = 0; wave < 20; ++wave)  // 20 waves of 25: batches of 25, not one of 500
            proposeAndWait(log, wave * 25 + 1, wave * 25 + 25, results);
        // Snapshots are encoded off the loop, so some thresholds pass while one is in flight;
        // the last one taken covers everything (a finished snapshot checks the threshold again).
        QTRY_COMPARE_WITH_TIMEOUT(log.lastSnapshotIndex(), quint64(500), kWaitMs);
        QVERIFY2(taken.size() >= 2, qPrintable(QString::number(taken.size())));
        snapshotIndex = log.lastSnapshotIndex();
        QVERIFY(log.compactedIndex() > 0);
    }
    // On disk: the newest two snapshots, and a log that starts right after the older one.
    storage::SnapshotFiles files(QDir(m_dir->path()).filePath(QStringLiteral("snapshots")));
    const QStringList names = files.snapshotNames();
    QCOMPARE(names.size(), 2);
    QCOMPARE(files.loadNewest(nullptr)->meta.index, snapshotIndex);
    const quint64 olderIndex = storage::SnapshotFiles::readFile(files.dir() + QLatin1Char('/') + names.at(1), nullptr)->meta.index;
    {
        storage::Database db;
        QVERIFY2(db.open(QDir(m_dir->path()).filePath(QStringLiteral("raft.db")), &error), qPrintable(error));
        storage::SqliteLog sqliteLog(db);
        QCOMPARE(sqliteLog.lastIndex(), quint64(500));
        QCOMPARE(sqliteLog.firstIndex(), qMin(olderIndex, snapshotIndex - 10) + 1);
        QVERIFY(sqliteLog.firstIndex() > 1);
    }

    FakeStateMachine fsm;
    SingleNodeLog log(fsm, config);
    QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
    QCOMPARE(fsm.restores, 1);
    QCOMPARE(fsm.appliedSinceRestore, int(500 - snapshotIndex));
    QCOMPARE(fsm.commands, commandsUpTo(500));
    QCOMPARE(log.appliedIndex(), quint64(500));
    QCOMPARE(log.lastSnapshotIndex(), snapshotIndex);
}

void TestSingleNodeLog::corruptNewestSnapshotFallsBackWithoutLoss()
{
    SingleNodeLog::Config config = quietConfig();
    config.snapshotThreshold = 40;
    config.trailingLogs = 0;  // compact as hard as the fallback rule allows
    QString error;
    {
        FakeStateMachine fsm;
        SingleNodeLog log(fsm, config);
        QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
        QSignalSpy taken(&log, &SingleNodeLog::snapshotTaken);
        Results results;
        for (int wave = 0; wave < 6; ++wave)
            proposeAndWait(log, wave * 20 + 1, wave * 20 + 20, results);
        QTRY_VERIFY_WITH_TIMEOUT(taken.size() >= 3, kWaitMs);
        QCOMPARE(log.lastSnapshotIndex(), quint64(120));
    }
    storage::SnapshotFiles files(QDir(m_dir->path()).filePath(QStringLiteral("snapshots")));
    const QString newest = files.dir() + QLatin1Char('/') + files.snapshotNames().first();
    QFile f(newest);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.seek(f.size() / 2));
    QVERIFY(f.write("#") == 1);
    f.close();

    FakeStateMachine fsm;
    SingleNodeLog log(fsm, config);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("ignoring snapshot .*checksum")));
    QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
    QCOMPARE(log.openWarnings().size(), 1);
    QCOMPARE(fsm.restores, 1);
    QCOMPARE(log.lastSnapshotIndex(), quint64(80));
    QCOMPARE(fsm.commands, commandsUpTo(120));
    QCOMPARE(log.appliedIndex(), quint64(120));
}

void TestSingleNodeLog::intervalTimerSnapshotsNewEntries()
{
    SingleNodeLog::Config config = quietConfig();
    config.snapshotThreshold = 1000000;
    config.snapshotIntervalMs = 20;
    FakeStateMachine fsm;
    SingleNodeLog log(fsm, config);
    QString error;
    QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
    QSignalSpy taken(&log, &SingleNodeLog::snapshotTaken);
    Results results;
    proposeAndWait(log, 1, 7, results);
    QTRY_COMPARE_WITH_TIMEOUT(log.lastSnapshotIndex(), quint64(7), kWaitMs);
    QCOMPARE(taken.size(), 1);
    QCOMPARE(taken.at(0).at(0).toULongLong(), quint64(7));
}

void TestSingleNodeLog::storageFailureFailsPendingAndLaterProposals()
{
    SingleNodeLog::Config config = quietConfig();
    config.maxDatabasePages = 24;  // a tiny quota stands in for a full disk
    QString error;
    QList<ProposeResult> acknowledged;
    {
        FakeStateMachine fsm;
        SingleNodeLog log(fsm, config);
        QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
        QSignalSpy fatal(&log, &ReplicatedLog::fatalError);
        Results results;
        const QByteArray big(3000, 'v');
        QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(QStringLiteral("cannot append log entries")));
        QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(QStringLiteral("^storage failed")));
        for (int wave = 0; wave < 40 && fatal.isEmpty(); ++wave) {
            const qsizetype before = results.all.size();
            for (int i = 0; i < 5; ++i)
                log.propose(big, results.callback());
            QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), before + 5, kWaitMs);
        }
        QCOMPARE(fatal.size(), 1);
        const QString text = fatal.at(0).at(0).toString();
        QVERIFY2(text.contains(QStringLiteral("full")), qPrintable(text));

        int failedCount = 0;
        for (const ProposeResult &r : std::as_const(results.all)) {
            if (r.error == LogError::None) {
                QCOMPARE(failedCount, 0);  // nothing is acknowledged after the first failure
                acknowledged.append(r);
            } else {
                QCOMPARE(r.error, LogError::StorageFailed);
                QCOMPARE(r.errorText, text);
                QCOMPARE(r.index, quint64(0));
                ++failedCount;
            }
        }
        QVERIFY(failedCount >= 1);
        QVERIFY(!acknowledged.isEmpty());
        QCOMPARE(fsm.lastIndex, acknowledged.last().index);  // nothing unacknowledged was applied

        Results later;
        log.propose("set after", later.callback());
        QCOMPARE(later.all.size(), 0);  // answered from the loop, not from inside propose()
        QTRY_COMPARE_WITH_TIMEOUT(later.all.size(), 1, kWaitMs);
        QCOMPARE(later.all.first().error, LogError::StorageFailed);
        QCOMPARE(later.all.first().errorText, text);
        QCOMPARE(fatal.size(), 1);
    }
    // Every acknowledged write is still there after a restart without the quota.
    FakeStateMachine fsm;
    SingleNodeLog log(fsm, quietConfig());
    QVERIFY2(log.open(m_dir->path(), &error), qPrintable(error));
    QCOMPARE(log.appliedIndex(), acknowledged.last().index);
    QCOMPARE(fsm.commands.size(), acknowledged.size());
}

void TestSingleNodeLog::shutdownAcknowledgesTheFlightAndFailsTheRest()
{
    FakeStateMachine fsm;
    auto log = std::make_unique<SingleNodeLog>(fsm, quietConfig());
    QString error;
    QVERIFY2(log->open(m_dir->path(), &error), qPrintable(error));
    Results results;
    for (int i = 1; i <= 10; ++i)
        log->propose(command(i), results.callback());
    QCoreApplication::processEvents();  // the ten are now in flight
    for (int i = 11; i <= 15; ++i)
        log->propose(command(i), results.callback());
    log.reset();

    QCOMPARE(results.all.size(), 15);
    for (int i = 0; i < 10; ++i) {
        QCOMPARE(results.all.at(i).error, LogError::None);
        QCOMPARE(results.all.at(i).index, quint64(i + 1));
    }
    for (int i = 10; i < 15; ++i)
        QCOMPARE(results.all.at(i).error, LogError::ShuttingDown);
    QCOMPARE(fsm.commands, commandsUpTo(10));

    // The ten are durable; the five never reached the disk.
    FakeStateMachine again;
    SingleNodeLog reopened(again, quietConfig());
    QVERIFY2(reopened.open(m_dir->path(), &error), qPrintable(error));
    QCOMPARE(again.commands, commandsUpTo(10));
}

void TestSingleNodeLog::proposeBeforeOpenHasNoLeader()
{
    FakeStateMachine fsm;
    SingleNodeLog log(fsm, quietConfig());
    Results results;
    log.propose("set a", results.callback());
    QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), 1, kWaitMs);
    QCOMPARE(results.all.first().error, LogError::NoLeader);
    QCOMPARE(results.all.first().errorText, QStringLiteral("No cluster leader"));
    QVERIFY(fsm.commands.isEmpty());
}

void TestSingleNodeLog::unusableDataDirFailsOpen()
{
    const QString file = m_dir->filePath(QStringLiteral("not-a-dir"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    FakeStateMachine fsm;
    SingleNodeLog log(fsm, quietConfig());
    QString error;
    QVERIFY(!log.open(file + QStringLiteral("/data"), &error));
    QVERIFY2(error.startsWith(QStringLiteral("cannot open data dir %1/data: ").arg(file)), qPrintable(error));
    QVERIFY(!log.isLeader());
    Results results;
    log.propose("set a", results.callback());
    QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), 1, kWaitMs);
    QCOMPARE(results.all.first().error, LogError::NoLeader);
}

QTEST_GUILESS_MAIN(TestSingleNodeLog)
#include "tst_single_node_log.moc"
