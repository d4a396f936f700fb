// Snapshot archive codec: the documented layout byte for byte, an exact round trip, and a clear
// refusal of every damaged archive: empty, each truncation, each flipped byte, wrong magic, a future
// version, trailing bytes, bad metadata, and a sound archive whose state payload does not decode.

#include "core/state/cbor_model.h"
#include "core/state/command.h"
#include "core/state/fsm.h"
#include "core/state/snapshot_archive.h"
#include "state_test_util.h"

#include <QCborArray>
#include <QCborMap>
#include <QCryptographicHash>
#include <QTest>
#include <QtEndian>

using namespace conclave;
using namespace conclave::state;
using namespace conclave::state::test;

class TestSnapshotArchive : public QObject {
    Q_OBJECT

private slots:
    void layoutIsTheDocumentedOne();
    void roundTripIsExact();
    void idIsConsulsTermIndexTime();
    void refused_data();
    void refused();
    void everyTruncationIsRefused();
    void everyFlippedByteIsRefused();
    void summaryCountsTheRows();
    void payloadThatDoesNotDecodeIsRefused();
    void impossibleRowsAreRefused();
};

namespace {

QByteArray populatedSnapshot()
{
    StateStore store;
    Fsm fsm(store);
    auto kvSet = [](const QString &key, const QByteArray &value) {
        return encodeCommand(Command{CommandType::Kv, KvCommand{KvVerb::Set, kv(key, value)}});
    };
    fsm.apply(1, kvSet(QStringLiteral("app/a"), "1"));
    fsm.apply(2, kvSet(QStringLiteral("app/b"), QByteArray("\x00\x01", 2)));
    fsm.apply(3, kvSet(QStringLiteral("top"), "t"));
    auto r = regService(QStringLiteral("n1"), QStringLiteral("web"));
    r.checks << check(QStringLiteral("serf"), model::status::Passing)
             << check(QStringLiteral("web-http"), model::status::Critical, QStringLiteral("web"));
    fsm.apply(4, encodeCommand(Command{CommandType::CatalogRegister, r}));
    fsm.apply(5, encodeCommand(Command{CommandType::CatalogRegister, regService(QStringLiteral("n2"), QStringLiteral("db"))}));
    fsm.apply(6, encodeCommand(Command{CommandType::CatalogRegister,
                                       regService(QStringLiteral("n2"), QStringLiteral("web"), QStringLiteral("web-2"))}));
    return fsm.snapshot();
}

ArchiveMeta sampleMeta()
{
    ArchiveMeta m;
    m.index = 6;
    m.term = 2;
    m.createdMs = 1700000000123;
    m.id = archiveId(m.term, m.index, m.createdMs);
    m.datacenter = QStringLiteral("dc1");
    m.conclaveVersion = QStringLiteral("0.1.0");
    return m;
}

template <typename T>
QByteArray bigEndian(T v)
{
    QByteArray out(sizeof(T), '\0');
    qToBigEndian(v, out.data());
    return out;
}

/// An archive built field by field, with a correct checksum, so a test can vary one field.
QByteArray rawArchive(const QByteArray &magic, quint16 version, const QByteArray &meta, const QByteArray &payload)
{
    QByteArray out = magic + bigEndian<quint16>(version) + bigEndian<quint32>(quint32(meta.size())) + meta
                   + bigEndian<quint64>(quint64(payload.size())) + payload;
    return out + QCryptographicHash::hash(out, QCryptographicHash::Sha256);
}

QByteArray metaBytes(const ArchiveMeta &m)
{
    namespace k = cbor::archivemeta;
    return QCborMap{{k::Id, m.id},           {k::Index, qint64(m.index)},      {k::Term, qint64(m.term)},
                    {k::CreatedMs, m.createdMs}, {k::Datacenter, m.datacenter}, {k::ConclaveVersion, m.conclaveVersion}}
        .toCborValue()
        .toCbor();
}

}  // namespace

void TestSnapshotArchive::layoutIsTheDocumentedOne()
{
    const QByteArray payload = populatedSnapshot();
    const ArchiveMeta meta = sampleMeta();
    const QByteArray archive = encodeArchive(meta, payload);
    const QByteArray m = metaBytes(meta);
    QCOMPARE(archive.left(8), QByteArray("CNCLARCH"));
    QCOMPARE(archive.mid(8, 2), QByteArray("\x00\x01", 2));
    QCOMPARE(qFromBigEndian<quint32>(archive.constData() + 10), quint32(m.size()));
    QCOMPARE(archive.mid(14, m.size()), m);
    QCOMPARE(qFromBigEndian<quint64>(archive.constData() + 14 + m.size()), quint64(payload.size()));
    QCOMPARE(archive.mid(22 + m.size(), payload.size()), payload);
    QCOMPARE(archive.size(), kArchiveHeaderBytes + m.size() + payload.size() + kArchiveChecksumBytes);
    QCOMPARE(archive.right(32), QCryptographicHash::hash(archive.chopped(32), QCryptographicHash::Sha256));
    QCOMPARE(archive, rawArchive("CNCLARCH", 1, m, payload));
}

void TestSnapshotArchive::roundTripIsExact()
{
    const QByteArray payload = populatedSnapshot();
    for (const QByteArray &p : {payload, QByteArray()}) {
        QString error;
        const auto archive = decodeArchive(encodeArchive(sampleMeta(), p), &error);
        QVERIFY2(archive, qPrintable(error));
        QCOMPARE(archive->formatVersion, kArchiveFormatVersion);
        QVERIFY(archive->meta == sampleMeta());
        QCOMPARE(archive->payload, p);
    }
    // Unknown metadata keys (from a later minor addition) are ignored.
    QCborMap extended = QCborValue::fromCbor(metaBytes(sampleMeta())).toMap();
    extended.insert(99, QStringLiteral("future"));
    const auto archive = decodeArchive(rawArchive("CNCLARCH", 1, extended.toCborValue().toCbor(), payload), nullptr);
    QVERIFY(archive);
    QVERIFY(archive->meta == sampleMeta());
}

void TestSnapshotArchive::idIsConsulsTermIndexTime()
{
    QCOMPARE(archiveId(2, 12426, 1604593650375), QStringLiteral("2-12426-1604593650375"));
}

void TestSnapshotArchive::refused_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("errorContains");

    const QByteArray payload = populatedSnapshot();
    const QByteArray valid = encodeArchive(sampleMeta(), payload);
    const QByteArray meta = metaBytes(sampleMeta());
    QCborMap noIndex = QCborValue::fromCbor(meta).toMap();
    noIndex.remove(cbor::archivemeta::Index);
    QCborMap negativeTerm = QCborValue::fromCbor(meta).toMap();
    negativeTerm.insert(cbor::archivemeta::Term, -1);

    QTest::newRow("empty") << QByteArray() << "the archive is empty";
    QTest::newRow("wrong magic") << QByteArray("PK\x03\x04") + valid.mid(4) << "not a Conclave snapshot archive";
    QTest::newRow("a text file") << QByteArray("hello\n") << "not a Conclave snapshot archive";
    QTest::newRow("a data dir's snapshot file")
        << QByteArray("CNCLSNAP\x00\x00\x00\x01", 12) + QByteArray(60, '\0') << "snapshot file of an agent's data dir";
    QTest::newRow("magic only") << QByteArray("CNCLARCH") << "truncated";
    QTest::newRow("future format version") << rawArchive("CNCLARCH", 2, meta, payload)
                                           << "unsupported snapshot archive format version 2";
    QTest::newRow("format version 0") << rawArchive("CNCLARCH", 0, meta, payload) << "format version 0";
    QTest::newRow("trailing byte") << valid + QByteArray(1, '\n') << "1 byte follow its checksum";
    QTest::newRow("last byte flipped") << valid.chopped(1) + char(valid.back() ^ 1) << "checksum does not match";
    QTest::newRow("checksum zeroed") << valid.chopped(32) + QByteArray(32, '\0') << "checksum does not match";
    QTest::newRow("metadata length over the limit")
        << QByteArray("CNCLARCH\x00\x01\x7f\xff\xff\xff", 14) + QByteArray(40, '\0') << "over the limit";
    QTest::newRow("payload length near 2^64")
        << QByteArray("CNCLARCH\x00\x01\x00\x00\x00\x00", 14) + QByteArray(8, '\xff') + QByteArray(32, '\0') << "truncated";
    QTest::newRow("metadata not CBOR") << rawArchive("CNCLARCH", 1, QByteArray("\xff\xff"), payload)
                                       << "metadata is malformed";
    QTest::newRow("metadata not a map") << rawArchive("CNCLARCH", 1, QCborValue(QCborArray{1}).toCbor(), payload)
                                        << "not a CBOR map";
    QTest::newRow("metadata without Index") << rawArchive("CNCLARCH", 1, noIndex.toCborValue().toCbor(), payload)
                                            << "Index is missing";
    QTest::newRow("metadata with a negative Term")
        << rawArchive("CNCLARCH", 1, negativeTerm.toCborValue().toCbor(), payload) << "Term is missing or not a non-negative";
    QTest::newRow("metadata with trailing bytes") << rawArchive("CNCLARCH", 1, meta + '\0', payload) << "trailing bytes";
}

void TestSnapshotArchive::refused()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, errorContains);
    QString error;
    QVERIFY(!decodeArchive(bytes, &error));
    QVERIFY2(error.contains(errorContains), qPrintable(error));
    QVERIFY(!decodeArchive(bytes, nullptr));  // the error pointer is optional
}

void TestSnapshotArchive::everyTruncationIsRefused()
{
    const QByteArray valid = encodeArchive(sampleMeta(), populatedSnapshot());
    for (qsizetype len = 1; len < valid.size(); ++len) {
        QString error;
        QVERIFY2(!decodeArchive(valid.left(len), &error), qPrintable(QString::number(len)));
        QVERIFY2(error.startsWith(QLatin1String("the archive is truncated: it has ")), qPrintable(error));
    }
}

void TestSnapshotArchive::everyFlippedByteIsRefused()
{
    const QByteArray valid = encodeArchive(sampleMeta(), populatedSnapshot());
    for (qsizetype i = 0; i < valid.size(); ++i) {
        for (char x : {char(0x01), char(0x80)}) {
            QByteArray damaged = valid;
            damaged[i] = char(damaged[i] ^ x);
            QString error;
            QVERIFY2(!decodeArchive(damaged, &error), qPrintable(QStringLiteral("byte %1").arg(i)));
            if (i < 8)
                QVERIFY2(error.contains(QLatin1String("not a Conclave snapshot archive")), qPrintable(error));
            else if (i < 10)
                QVERIFY2(error.contains(QLatin1String("format version")), qPrintable(error));
            else
                QVERIFY2(error.contains(QLatin1String("truncated")) || error.contains(QLatin1String("corrupt")),
                         qPrintable(error));
        }
    }
}

void TestSnapshotArchive::summaryCountsTheRows()
{
    QString error;
    const auto s = summarizePayload(populatedSnapshot(), &error);
    QVERIFY2(s, qPrintable(error));
    QCOMPARE(s->lastApplied, quint64(6));
    QCOMPARE(s->kvEntries, 3);
    QCOMPARE(s->nodes, 2);
    QCOMPARE(s->services, 3);
    QCOMPARE(s->checks, 2);

    StateStore empty;
    const auto e = summarizePayload(Fsm(empty).snapshot(), &error);
    QVERIFY(e);
    QCOMPARE(e->kvEntries + e->nodes + e->services + e->checks, 0);
}

void TestSnapshotArchive::payloadThatDoesNotDecodeIsRefused()
{
    // The frame and checksum are sound, so decodeArchive() takes it; the payload is not state.
    for (const QByteArray &payload : {QByteArray("not a snapshot"), QByteArray(), populatedSnapshot().chopped(1)}) {
        QString error;
        const auto archive = decodeArchive(encodeArchive(sampleMeta(), payload), &error);
        QVERIFY2(archive, qPrintable(error));
        QVERIFY(!summarizePayload(archive->payload, &error));
        QVERIFY2(error.startsWith(QLatin1String("the archive's state does not decode: ")), qPrintable(error));
    }
}

void TestSnapshotArchive::impossibleRowsAreRefused()
{
    // A payload that decodes but holds what no write could have stored (a hand-made archive with a
    // valid checksum): refused, or an empty key would hide the whole tree from root listings.
    const QCborMap fsmMap = QCborValue::fromCbor(populatedSnapshot()).toMap();
    const QCborMap storeMap = QCborValue::fromCbor(fsmMap.value(2).toByteArray()).toMap();
    auto withKv = [&](const model::KvEntry &e) {
        QCborMap store = storeMap;
        QCborArray kvs = store.value(3).toArray();
        kvs.append(cbormodel::encode(e));
        store.insert(3, kvs);
        QCborMap top = fsmMap;
        top.insert(2, store.toCborValue().toCbor());
        return top.toCborValue().toCbor();
    };
    model::KvEntry empty = kv(QString(), "x");
    empty.index = {2, 2};
    model::KvEntry backwards = kv(QStringLiteral("odd"), "x");
    backwards.index = {5, 3};
    model::KvEntry zero = kv(QStringLiteral("zero"), "x");
    zero.index = {0, 0};
    model::KvEntry fine = kv(QStringLiteral("fine"), "x");
    fine.index = {2, 5};
    QString error;
    QVERIFY2(summarizePayload(withKv(fine), &error), qPrintable(error));  // the construction itself is sound
    for (const auto &[e, sentence] : {std::pair{empty, "empty key"}, std::pair{backwards, "impossible indexes"},
                                      std::pair{zero, "impossible indexes"}}) {
        QVERIFY(!summarizePayload(withKv(e), &error));
        QVERIFY2(error.contains(QLatin1String(sentence)), qPrintable(error));
    }
}

QTEST_GUILESS_MAIN(TestSnapshotArchive)
#include "tst_snapshot_archive.moc"
