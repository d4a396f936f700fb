// SnapshotFiles: round trip of the documented format, retention of the newest two, and a loader
// that survives torn, corrupt and half-written files by falling back to an older snapshot.

#include "storage/snapshot_files.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace conclave::storage;

namespace {

SnapshotMeta meta(quint64 index, quint64 term)
{
    return SnapshotMeta{index, term, QByteArray("members-") + QByteArray::number(index)};
}

QByteArray payloadFor(quint64 index)
{
    return QByteArray("state@") + QByteArray::number(index) + QByteArray(1000, char('a' + index % 26));
}

}  // namespace

class TestSnapshotFiles : public QObject {
    Q_OBJECT
private slots:
    void init();
    void writeThenLoadRoundTrips();
    void emptyDirectoryLoadsNothing();
    void keepsOnlyTheNewestTwo();
    void damagedNewestFallsBackToOlder_data();
    void damagedNewestFallsBackToOlder();
    void unfinishedTempFileIsIgnoredAndRemoved();
    void allDamagedLoadsNothing();

private:
    void writeOrFail(SnapshotFiles &files, quint64 index, quint64 term);
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestSnapshotFiles::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestSnapshotFiles::writeOrFail(SnapshotFiles &files, quint64 index, quint64 term)
{
    QString error;
    QVERIFY2(files.write(meta(index, term), payloadFor(index), 2, &error), qPrintable(error));
}

void TestSnapshotFiles::writeThenLoadRoundTrips()
{
    SnapshotFiles files(m_dir->path());
    writeOrFail(files, 1234, 7);
    QCOMPARE(files.snapshotNames(), QStringList{QStringLiteral("snapshot-00000000000000001234-00000000000000000007.snap")});

    QStringList warnings;
    const std::optional<Snapshot> s = files.loadNewest(&warnings);
    QVERIFY(s);
    QCOMPARE(s->meta.index, quint64(1234));
    QCOMPARE(s->meta.term, quint64(7));
    QCOMPARE(s->meta.membership, QByteArray("members-1234"));
    QCOMPARE(s->payload, payloadFor(1234));
    QCOMPARE(warnings, QStringList{});

    // The documented layout: magic, then big-endian version 1, index, term.
    QFile f(QDir(m_dir->path()).filePath(files.snapshotNames().first()));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    QCOMPARE(bytes.left(8), QByteArray("CNCLSNAP"));
    QCOMPARE(bytes.mid(8, 4), QByteArray("\x00\x00\x00\x01", 4));
    QCOMPARE(bytes.mid(12, 8), QByteArray("\x00\x00\x00\x00\x00\x00\x04\xd2", 8));
    QCOMPARE(bytes.size(), 8 + 4 + 8 + 8 + 4 + 12 + 8 + payloadFor(1234).size() + 32);
}

void TestSnapshotFiles::emptyDirectoryLoadsNothing()
{
    SnapshotFiles files(m_dir->path());
    QStringList warnings;
    QVERIFY(!files.loadNewest(&warnings));
    QVERIFY(warnings.isEmpty());
}

void TestSnapshotFiles::keepsOnlyTheNewestTwo()
{
    SnapshotFiles files(m_dir->path());
    for (quint64 index : {100, 200, 300, 400})
        writeOrFail(files, index, 1);
    QCOMPARE(files.snapshotNames(),
             (QStringList{SnapshotFiles::fileName(400, 1), SnapshotFiles::fileName(300, 1)}));
    QCOMPARE(files.loadNewest(nullptr)->meta.index, quint64(400));
}

void TestSnapshotFiles::damagedNewestFallsBackToOlder_data()
{
    QTest::addColumn<QString>("damage");
    QTest::addColumn<QString>("reason");
    QTest::newRow("flipped payload byte") << QStringLiteral("flip-payload") << QStringLiteral("checksum");
    QTest::newRow("flipped index byte") << QStringLiteral("flip-index") << QStringLiteral("checksum");
    QTest::newRow("flipped digest byte") << QStringLiteral("flip-digest") << QStringLiteral("checksum");
    QTest::newRow("bad magic") << QStringLiteral("flip-magic") << QStringLiteral("magic");
    QTest::newRow("torn in the payload") << QStringLiteral("truncate-half") << QStringLiteral("truncated");
    QTest::newRow("torn inside the header") << QStringLiteral("truncate-10") << QStringLiteral("truncated");
    QTest::newRow("empty file") << QStringLiteral("truncate-0") << QStringLiteral("truncated");
    QTest::newRow("trailing garbage") << QStringLiteral("append") << QStringLiteral("padded");
}

void TestSnapshotFiles::damagedNewestFallsBackToOlder()
{
    QFETCH(QString, damage);
    QFETCH(QString, reason);
    SnapshotFiles files(m_dir->path());
    writeOrFail(files, 100, 1);
    writeOrFail(files, 200, 2);

    const QString newest = QDir(m_dir->path()).filePath(SnapshotFiles::fileName(200, 2));
    QFile f(newest);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QByteArray bytes = f.readAll();
    if (damage == QLatin1String("flip-payload"))
        bytes[bytes.size() / 2] = char(bytes[bytes.size() / 2] ^ 0x01);
    else if (damage == QLatin1String("flip-index"))
        bytes[19] = char(bytes[19] ^ 0x01);
    else if (damage == QLatin1String("flip-digest"))
        bytes[bytes.size() - 1] = char(bytes[bytes.size() - 1] ^ 0x80);
    else if (damage == QLatin1String("flip-magic"))
        bytes[0] = 'X';
    else if (damage == QLatin1String("truncate-half"))
        bytes.truncate(bytes.size() / 2);
    else if (damage == QLatin1String("truncate-10"))
        bytes.truncate(10);
    else if (damage == QLatin1String("truncate-0"))
        bytes.clear();
    else if (damage == QLatin1String("append"))
        bytes.append("junk");
    QVERIFY(f.resize(0));
    QVERIFY(f.seek(0));
    QCOMPARE(f.write(bytes), bytes.size());
    f.close();

    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^ignoring snapshot")));
    QStringList warnings;
    const std::optional<Snapshot> s = files.loadNewest(&warnings);
    QVERIFY(s);
    QCOMPARE(s->meta.index, quint64(100));
    QCOMPARE(s->meta.term, quint64(1));
    QCOMPARE(s->payload, payloadFor(100));
    QCOMPARE(warnings.size(), 1);
    QVERIFY2(warnings.first().contains(SnapshotFiles::fileName(200, 2)), qPrintable(warnings.first()));
    QVERIFY2(warnings.first().contains(reason), qPrintable(warnings.first()));
    // Set aside, so that it no longer counts among the two retained snapshots.
    QVERIFY(!QFile::exists(newest));
    QVERIFY(QFile::exists(newest + QStringLiteral(".corrupt")));
    QCOMPARE(files.snapshotNames(), QStringList{SnapshotFiles::fileName(100, 1)});
}

void TestSnapshotFiles::unfinishedTempFileIsIgnoredAndRemoved()
{
    SnapshotFiles files(m_dir->path());
    writeOrFail(files, 100, 1);
    // A crash between write and rename leaves a complete-looking but unrenamed file.
    const QString tmp = QDir(m_dir->path()).filePath(SnapshotFiles::fileName(900, 1) + QStringLiteral(".tmp"));
    QVERIFY(QFile::copy(QDir(m_dir->path()).filePath(SnapshotFiles::fileName(100, 1)), tmp));

    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^removing unfinished snapshot")));
    QStringList warnings;
    const std::optional<Snapshot> s = files.loadNewest(&warnings);
    QVERIFY(s);
    QCOMPARE(s->meta.index, quint64(100));
    QCOMPARE(warnings.size(), 1);
    QVERIFY(!QFile::exists(tmp));
}

void TestSnapshotFiles::allDamagedLoadsNothing()
{
    SnapshotFiles files(m_dir->path());
    writeOrFail(files, 100, 1);
    QFile f(QDir(m_dir->path()).filePath(SnapshotFiles::fileName(100, 1)));
    QVERIFY(f.resize(40));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^ignoring snapshot")));
    QStringList warnings;
    QVERIFY(!files.loadNewest(&warnings));
    QCOMPARE(warnings.size(), 1);
}

QTEST_GUILESS_MAIN(TestSnapshotFiles)
#include "tst_snapshot_files.moc"
