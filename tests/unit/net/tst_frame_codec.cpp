// FrameDecoder/encodeFrame: round trips, any split or merge of the byte stream, and refusal of
// oversized or malformed frames.
#include "net/frame_codec.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QtEndian>
#include <QtTest>

using conclave::net::FrameDecoder;
using conclave::net::Frame;

Q_DECLARE_METATYPE(Frame)

namespace {

QByteArray withLength(const QByteArray &body)
{
    QByteArray out(4, Qt::Uninitialized);
    qToBigEndian(quint32(body.size()), out.data());
    return out + body;
}

QList<Frame> sampleFrames()
{
    return {Frame{1, 1, QByteArray("hello")}, Frame{7, 2, QByteArray()},
            Frame{0xffffffffu, 0, QByteArray(70000, 'x')}, Frame{3, 1, QByteArray("\x00\x01\x02", 3)}};
}

}  // namespace

class TestFrameCodec : public QObject {
    Q_OBJECT
private slots:
    void roundTrip_data();
    void roundTrip();
    void splitAtEveryChunkSize_data();
    void splitAtEveryChunkSize();
    void waitsForCompleteFrame();
    void oversizeIsAnError();
    void malformed_data();
    void malformed();
    void errorIsSticky();
};

void TestFrameCodec::roundTrip_data()
{
    QTest::addColumn<Frame>("frame");
    int i = 0;
    for (const Frame &f : sampleFrames())
        QTest::newRow(qPrintable(QStringLiteral("frame %1").arg(i++))) << f;
}

void TestFrameCodec::roundTrip()
{
    QFETCH(Frame, frame);
    const QByteArray bytes = conclave::net::encodeFrame(frame);
    QCOMPARE(qFromBigEndian<quint32>(bytes.constData()), quint32(bytes.size() - 4));
    FrameDecoder decoder;
    decoder.feed(bytes);
    const std::optional<Frame> got = decoder.next();
    QVERIFY2(got.has_value(), qPrintable(decoder.errorString()));
    QCOMPARE(got->type, frame.type);
    QCOMPARE(got->version, frame.version);
    QCOMPARE(got->payload, frame.payload);
    QVERIFY(!decoder.next().has_value());
    QVERIFY(!decoder.hasError());
    QCOMPARE(decoder.bufferedBytes(), 0);
}

void TestFrameCodec::splitAtEveryChunkSize_data()
{
    QTest::addColumn<int>("chunk");
    for (int chunk : {1, 2, 3, 4, 5, 7, 64, 4096, 1 << 20})
        QTest::newRow(qPrintable(QString::number(chunk))) << chunk;
}

// All sample frames merged into one stream, delivered in pieces of `chunk` bytes.
void TestFrameCodec::splitAtEveryChunkSize()
{
    QFETCH(int, chunk);
    QByteArray stream;
    for (const Frame &f : sampleFrames())
        stream += conclave::net::encodeFrame(f);
    FrameDecoder decoder;
    QList<Frame> got;
    for (qsizetype pos = 0; pos < stream.size(); pos += chunk) {
        decoder.feed(stream.constData() + pos, qMin<qint64>(chunk, stream.size() - pos));
        while (std::optional<Frame> f = decoder.next())
            got.append(*f);
    }
    QVERIFY(!decoder.hasError());
    QCOMPARE(got, sampleFrames());
}

void TestFrameCodec::waitsForCompleteFrame()
{
    const QByteArray bytes = conclave::net::encodeFrame(Frame{5, 1, QByteArray("abc")});
    FrameDecoder decoder;
    decoder.feed(bytes.left(bytes.size() - 1));
    QVERIFY(!decoder.next().has_value());
    QVERIFY(!decoder.hasError());
    QCOMPARE(decoder.bufferedBytes(), bytes.size() - 1);
    decoder.feed(bytes.right(1));
    const std::optional<Frame> f = decoder.next();
    QVERIFY(f.has_value());
    QCOMPARE(f->payload, QByteArray("abc"));
}

void TestFrameCodec::oversizeIsAnError()
{
    FrameDecoder decoder(100);
    QByteArray prefix(4, Qt::Uninitialized);
    qToBigEndian(quint32(101), prefix.data());
    decoder.feed(prefix);  // refused from the prefix alone, without waiting for the body
    QVERIFY(!decoder.next().has_value());
    QVERIFY(decoder.hasError());
    QVERIFY(decoder.errorString().contains(QLatin1String("exceeds")));

    FrameDecoder exact(100);
    QCborMap map{{QStringLiteral("type"), 1}, {QStringLiteral("version"), 1},
                 {QStringLiteral("payload"), QByteArray(70, 'p')}};
    const QByteArray body = map.toCborValue().toCbor();
    QVERIFY(body.size() <= 100);
    exact.feed(withLength(body));
    QVERIFY(exact.next().has_value());
}

void TestFrameCodec::malformed_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("why");
    auto cbor = [](const QCborValue &v) { return v.toCbor(); };
    const QString t = QStringLiteral("type"), v = QStringLiteral("version"), p = QStringLiteral("payload");
    QTest::newRow("not cbor") << QByteArray("\xff\xff", 2) << "malformed";
    QTest::newRow("truncated cbor") << QByteArray("\xa3\x64type", 6) << "malformed";
    QTest::newRow("array") << cbor(QCborArray{1, 2}) << "map";
    QTest::newRow("no type") << cbor(QCborMap{{v, 1}, {p, QByteArray("x")}}) << "type";
    QTest::newRow("negative type") << cbor(QCborMap{{t, -1}, {v, 1}, {p, QByteArray()}}) << "type";
    QTest::newRow("huge type") << cbor(QCborMap{{t, qint64(1) << 33}, {v, 1}, {p, QByteArray()}}) << "type";
    QTest::newRow("text version") << cbor(QCborMap{{t, 1}, {v, QStringLiteral("1")}, {p, QByteArray()}}) << "version";
    QTest::newRow("text payload") << cbor(QCborMap{{t, 1}, {v, 1}, {p, QStringLiteral("x")}}) << "payload";
    QTest::newRow("trailing bytes") << cbor(QCborMap{{t, 1}, {v, 1}, {p, QByteArray()}}) + QByteArray("\x00", 1)
                                    << "trailing";
    QTest::newRow("empty body") << QByteArray() << "malformed";
}

void TestFrameCodec::malformed()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, why);
    FrameDecoder decoder;
    decoder.feed(withLength(body));
    QVERIFY(!decoder.next().has_value());
    QVERIFY(decoder.hasError());
    QVERIFY2(decoder.errorString().contains(why), qPrintable(decoder.errorString()));
}

void TestFrameCodec::errorIsSticky()
{
    FrameDecoder decoder;
    decoder.feed(withLength(QByteArray("\xff", 1)));
    QVERIFY(!decoder.next().has_value());
    QVERIFY(decoder.hasError());
    decoder.feed(conclave::net::encodeFrame(Frame{1, 1, QByteArray("ok")}));
    QVERIFY(!decoder.next().has_value());
    QVERIFY(decoder.hasError());
}

QTEST_APPLESS_MAIN(TestFrameCodec)
#include "tst_frame_codec.moc"
