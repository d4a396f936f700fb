// Gossip encryption (memberlist security.go, version 1): round trips with 16/24/32-byte keys, the
// wire layout, rejection of a wrong key, a wrong label, any flipped byte and any truncation; the
// keyring's rotation (install → use → remove); Consul's key text; the verify-incoming policy; and
// the stream frame reader's bounds.
#include "net/gossip_crypto.h"

#include <QtTest>

using namespace conclave::net;

namespace {

QByteArray key(int size, char fill)
{
    return QByteArray(size, fill);
}

}  // namespace

class TestGossipCrypto : public QObject {
    Q_OBJECT
private slots:
    void roundTrip_data();
    void roundTrip();
    void layoutIsVersionNonceCiphertextTag();
    void noncesDiffer();
    void wrongKeyIsRejected();
    void wrongLabelIsRejected();
    void everyTamperedByteIsRejected();
    void everyTruncationIsRejected();
    void otherVersionIsRejected();
    void invalidKeySizesSealNothing();
    void keyringRotation();
    void keyringRefusals();
    void decodeKey_data();
    void decodeKey();
    void generatedKeysAreFreshAndValid();
    void securityPolicy();
    void frameReader_data();
    void frameReader();
    void frameReaderAcrossSplits();
};

void TestGossipCrypto::roundTrip_data()
{
    QTest::addColumn<int>("keySize");
    QTest::addColumn<QByteArray>("plain");
    QTest::addColumn<QByteArray>("aad");
    QTest::newRow("aes-256, no label") << 32 << QByteArray("ping") << QByteArray();
    QTest::newRow("aes-256, a label") << 32 << QByteArray("ping") << QByteArray("dc1-lan");
    QTest::newRow("aes-128") << 16 << QByteArray("alive") << QByteArray();
    QTest::newRow("aes-192") << 24 << QByteArray("dead") << QByteArray();
    QTest::newRow("empty message") << 32 << QByteArray() << QByteArray();
    QTest::newRow("a full packet") << 32 << QByteArray(1371, 'x') << QByteArray();
    QTest::newRow("a large stream frame") << 32 << QByteArray(1 << 20, '\x7f') << QByteArray("wan");
}

void TestGossipCrypto::roundTrip()
{
    QFETCH(int, keySize);
    QFETCH(QByteArray, plain);
    QFETCH(QByteArray, aad);
    const QByteArray k = key(keySize, 'k');
    const QByteArray sealed = sealGossip(k, plain, aad);
    QCOMPARE(sealed.size(), plain.size() + kGossipEncryptionOverhead);
    const std::optional<QByteArray> opened = openGossip(k, sealed, aad);
    QVERIFY(opened.has_value());
    QCOMPARE(*opened, plain);
}

void TestGossipCrypto::layoutIsVersionNonceCiphertextTag()
{
    const QByteArray plain("hello gossip");
    const QByteArray sealed = sealGossip(key(32, 'a'), plain, {});
    QCOMPARE(quint8(sealed.at(0)), kGossipEncryptionVersion);
    QCOMPARE(sealed.size(), 1 + 12 + plain.size() + 16);
    // The plaintext does not show through.
    QVERIFY(!sealed.contains(plain));
}

void TestGossipCrypto::noncesDiffer()
{
    const QByteArray k = key(32, 'a');
    const QByteArray a = sealGossip(k, "same", {});
    const QByteArray b = sealGossip(k, "same", {});
    QVERIFY(a.mid(1, kGossipNonceSize) != b.mid(1, kGossipNonceSize));
    QVERIFY(a != b);
}

void TestGossipCrypto::wrongKeyIsRejected()
{
    const QByteArray sealed = sealGossip(key(32, 'a'), "secret", {});
    QVERIFY(!openGossip(key(32, 'b'), sealed, {}).has_value());
    QVERIFY(!openGossip(key(16, 'a'), sealed, {}).has_value());
}

void TestGossipCrypto::wrongLabelIsRejected()
{
    const QByteArray k = key(32, 'a');
    const QByteArray sealed = sealGossip(k, "secret", "dc1");
    QVERIFY(!openGossip(k, sealed, "dc2").has_value());
    QVERIFY(!openGossip(k, sealed, {}).has_value());
    QVERIFY(openGossip(k, sealed, "dc1").has_value());
}

void TestGossipCrypto::everyTamperedByteIsRejected()
{
    const QByteArray k = key(32, 'a');
    const QByteArray sealed = sealGossip(k, "a gossip message", "lan");
    for (int i = 0; i < sealed.size(); ++i) {
        QByteArray bad = sealed;
        bad[i] = char(bad[i] ^ 0x01);
        QVERIFY2(!openGossip(k, bad, "lan").has_value(), qPrintable(QString::number(i)));
    }
}

void TestGossipCrypto::everyTruncationIsRejected()
{
    const QByteArray k = key(32, 'a');
    const QByteArray sealed = sealGossip(k, "a gossip message", {});
    for (int n = 0; n < sealed.size(); ++n)
        QVERIFY2(!openGossip(k, sealed.left(n), {}).has_value(), qPrintable(QString::number(n)));
    QVERIFY(!openGossip(k, sealed + 'x', {}).has_value());
}

void TestGossipCrypto::otherVersionIsRejected()
{
    const QByteArray k = key(32, 'a');
    QByteArray sealed = sealGossip(k, "msg", {});
    sealed[0] = 0;  // memberlist's version 0 (PKCS7-padded) is not spoken
    QVERIFY(!openGossip(k, sealed, {}).has_value());
}

void TestGossipCrypto::invalidKeySizesSealNothing()
{
    for (int size : {0, 1, 15, 17, 31, 33, 64}) {
        QVERIFY(!isValidGossipKeySize(size));
        QVERIFY(sealGossip(key(size, 'a'), "msg", {}).isEmpty());
    }
}

void TestGossipCrypto::keyringRotation()
{
    const QByteArray oldKey = key(32, 'o');
    const QByteArray newKey = key(32, 'n');
    GossipKeyring ring;
    QVERIFY(ring.isEmpty());
    QVERIFY(ring.install(oldKey));
    QCOMPARE(ring.primaryKey(), oldKey);
    const QByteArray fromOld = ring.seal("before rotation", {});

    // Install: the old key still seals; both open.
    QVERIFY(ring.install(newKey));
    QCOMPARE(ring.primaryKey(), oldKey);
    QCOMPARE(ring.keys().size(), 2);
    QVERIFY(openGossip(oldKey, ring.seal("x", {}), {}).has_value());

    // Use: the new key seals; what the old one sealed still opens.
    QVERIFY(ring.use(newKey));
    QCOMPARE(ring.primaryKey(), newKey);
    QCOMPARE(ring.keys(), (QList<QByteArray>{newKey, oldKey}));
    const QByteArray fromNew = ring.seal("after rotation", {});
    QVERIFY(openGossip(newKey, fromNew, {}).has_value());
    QVERIFY(!openGossip(oldKey, fromNew, {}).has_value());
    QCOMPARE(ring.open(fromOld, {}).value_or(QByteArray()), QByteArray("before rotation"));
    QCOMPARE(ring.open(fromNew, {}).value_or(QByteArray()), QByteArray("after rotation"));

    // Remove: the old key's messages no longer open.
    QVERIFY(ring.remove(oldKey));
    QCOMPARE(ring.keys(), QList<QByteArray>{newKey});
    QVERIFY(!ring.open(fromOld, {}).has_value());
    QVERIFY(ring.open(fromNew, {}).has_value());
}

void TestGossipCrypto::keyringRefusals()
{
    GossipKeyring ring;
    QString error;
    QVERIFY(!ring.install(key(20, 'x'), &error));
    QVERIFY(error.contains(QLatin1String("16, 24 or 32")));
    QVERIFY(ring.isEmpty());
    QVERIFY(ring.seal("x", {}).isEmpty());
    QVERIFY(!ring.open(sealGossip(key(32, 'a'), "x", {}), {}).has_value());

    QVERIFY(ring.install(key(32, 'a')));
    QVERIFY(ring.install(key(32, 'a')));  // again: no duplicate
    QCOMPARE(ring.keys().size(), 1);
    QVERIFY(!ring.remove(key(32, 'a'), &error));
    QCOMPARE(error, QStringLiteral("removing the primary key is not allowed"));
    QVERIFY(!ring.use(key(32, 'b'), &error));
    QVERIFY(!ring.remove(key(32, 'b'), &error));
    QCOMPARE(ring.keys().size(), 1);
}

void TestGossipCrypto::decodeKey_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("size");  // -1: rejected
    QTest::newRow("keygen's 32 bytes") << QStringLiteral("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=") << 32;
    QTest::newRow("16 bytes") << QString::fromLatin1(QByteArray(16, 'a').toBase64()) << 16;
    QTest::newRow("24 bytes") << QString::fromLatin1(QByteArray(24, 'a').toBase64()) << 24;
    QTest::newRow("surrounding blanks") << QStringLiteral(" pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\n") << 32;
    QTest::newRow("20 bytes") << QString::fromLatin1(QByteArray(20, 'a').toBase64()) << -1;
    QTest::newRow("not base64") << QStringLiteral("not a key!") << -1;
    QTest::newRow("url alphabet") << QStringLiteral("pUqJrVyVRj5jsiYEkM_tFQYfWyJIv4s3XkvDwy7Cu5s=") << -1;
    QTest::newRow("missing padding") << QStringLiteral("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s") << -1;
    QTest::newRow("empty") << QString() << -1;
}

void TestGossipCrypto::decodeKey()
{
    QFETCH(QString, text);
    QFETCH(int, size);
    QString error;
    const std::optional<QByteArray> k = decodeGossipKey(text, &error);
    if (size < 0) {
        QVERIFY(!k.has_value());
        QVERIFY(error.startsWith(QLatin1String("invalid key: ")));
        return;
    }
    QVERIFY2(k.has_value(), qPrintable(error));
    QCOMPARE(k->size(), size);
    QCOMPARE(encodeGossipKey(*k), text.trimmed());
}

void TestGossipCrypto::generatedKeysAreFreshAndValid()
{
    const QByteArray a = generateGossipKey();
    const QByteArray b = generateGossipKey();
    QCOMPARE(a.size(), kGossipKeySize);
    QVERIFY(a != b);
    QCOMPARE(decodeGossipKey(encodeGossipKey(a), nullptr).value_or(QByteArray()), a);
}

void TestGossipCrypto::securityPolicy()
{
    GossipSecurity plain;
    QVERIFY(!plain.isEncrypted());
    QCOMPARE(plain.overhead(), 0);
    QCOMPARE(plain.seal("msg"), QByteArray("msg"));
    QCOMPARE(plain.open("msg").value_or(QByteArray()), QByteArray("msg"));

    GossipSecurity enc;
    enc.keyring.install(key(32, 'a'));
    enc.label = "lan";
    QCOMPARE(enc.overhead(), kGossipEncryptionOverhead);
    const QByteArray wire = enc.seal("msg");
    QCOMPARE(wire.size(), 3 + kGossipEncryptionOverhead);
    QCOMPARE(enc.open(wire).value_or(QByteArray()), QByteArray("msg"));
    QVERIFY(!enc.open("msg").has_value());  // plaintext is refused
    QVERIFY(!plain.open(wire).value_or(QByteArray()).contains("msg"));

    // encrypt_verify_incoming = false: plaintext accepted while the cluster turns encryption on.
    GossipSecurity lenient = enc;
    lenient.verifyIncoming = false;
    QCOMPARE(lenient.open("msg").value_or(QByteArray()), QByteArray("msg"));
    QCOMPARE(lenient.open(wire).value_or(QByteArray()), QByteArray("msg"));
    // encrypt_verify_outgoing = false: plaintext goes out.
    GossipSecurity quiet = enc;
    quiet.verifyOutgoing = false;
    QCOMPARE(quiet.overhead(), 0);
    QCOMPARE(quiet.seal("msg"), QByteArray("msg"));
}

void TestGossipCrypto::frameReader_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("state");  // GossipFrameReader::State
    QTest::addColumn<QByteArray>("payload");
    using S = GossipFrameReader::State;
    QTest::newRow("one frame") << encodeGossipFrame("hello") << int(S::Complete) << QByteArray("hello");
    QTest::newRow("header only") << QByteArray::fromHex("00000005") << int(S::NeedMore) << QByteArray();
    QTest::newRow("part of the header") << QByteArray::fromHex("0000") << int(S::NeedMore) << QByteArray();
    QTest::newRow("zero length") << QByteArray::fromHex("00000000") << int(S::Error) << QByteArray();
    QTest::newRow("over the limit") << QByteArray::fromHex("00000401") << int(S::Error) << QByteArray();
    QTest::newRow("at the limit") << encodeGossipFrame(QByteArray(1024, 'z')) << int(S::Complete)
                                  << QByteArray(1024, 'z');
    QTest::newRow("bytes after the frame") << encodeGossipFrame("hi") + 'x' << int(S::Error) << QByteArray();
    QTest::newRow("huge length") << QByteArray::fromHex("ffffffff") << int(S::Error) << QByteArray();
}

void TestGossipCrypto::frameReader()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, state);
    QFETCH(QByteArray, payload);
    GossipFrameReader reader(1024);
    QCOMPARE(int(reader.feed(bytes)), state);
    if (state == int(GossipFrameReader::State::Complete))
        QCOMPARE(reader.payload(), payload);
}

void TestGossipCrypto::frameReaderAcrossSplits()
{
    const QByteArray frame = encodeGossipFrame("split across reads");
    for (int cut = 0; cut <= frame.size(); ++cut) {
        GossipFrameReader reader(1024);
        reader.feed(frame.left(cut));
        QCOMPARE(reader.state() == GossipFrameReader::State::Complete, cut == frame.size());
        if (cut < frame.size())
            QCOMPARE(reader.missing(), cut < 4 ? 4 - cut : frame.size() - cut);
        QCOMPARE(int(reader.feed(frame.mid(cut))), int(GossipFrameReader::State::Complete));
        QCOMPARE(reader.payload(), QByteArray("split across reads"));
    }
}

QTEST_APPLESS_MAIN(TestGossipCrypto)
#include "tst_gossip_crypto.moc"
