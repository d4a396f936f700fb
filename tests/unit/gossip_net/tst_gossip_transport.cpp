// GossipTransport on 127.0.0.1 with free ports: datagrams both ways (a burst drained whole), one
// request/reply stream, stream failures (refused, silent peer, no reply, bad address), encryption
// on the wire, and what is dropped and counted: packets and streams under another key, plaintext
// to an encrypted pool, garbage, oversized frames, stalled and surplus connections.
#include "net/gossip_transport.h"

#include <QNetworkDatagram>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUdpSocket>
#include <QtTest>

#include <memory>

using conclave::net::GossipSecurity;
using conclave::net::GossipTransport;

namespace {

struct Packet {
    QString from;
    QByteArray bytes;
};

struct Node {
    std::unique_ptr<GossipTransport> transport;
    QList<Packet> packets;
    QStringList streamSenders;
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(transport->port()); }
};

GossipTransport::Config config(const QByteArray &key = {})
{
    GossipTransport::Config c;
    c.bindAddress = QHostAddress::LocalHost;
    c.port = 0;
    if (!key.isEmpty())
        c.security.keyring.install(key);
    return c;
}

// Replies "re:" + request; records the sender of each request.
std::unique_ptr<Node> makeNode(GossipTransport::Config c = config())
{
    auto node = std::make_unique<Node>();
    node->transport = std::make_unique<GossipTransport>(std::move(c));
    QString error;
    if (!node->transport->listen(&error))
        qWarning() << error;
    Node *raw = node.get();
    QObject::connect(node->transport.get(), &GossipTransport::packetReceived, node->transport.get(),
                     [raw](const QString &from, const QByteArray &bytes) { raw->packets.append({from, bytes}); });
    node->transport->setStreamHandler([raw](const QString &from, const QByteArray &request) {
        raw->streamSenders.append(from);
        return request == "silence" ? QByteArray() : QByteArray("re:") + request;
    });
    return node;
}

// A raw client socket connected to `node`'s TCP side.
std::unique_ptr<QTcpSocket> dial(const Node &node)
{
    auto s = std::make_unique<QTcpSocket>();
    s->connectToHost(QHostAddress::LocalHost, node.transport->port());
    return s;
}

}  // namespace

class TestGossipTransport : public QObject {
    Q_OBJECT
private slots:
    void udpAndTcpShareTheChosenPort();
    void portTakenIsOneSentence();
    void packetsBothWaysWithSenderAddress();
    void burstOfPacketsIsDrainedWhole();
    void streamRequestAndReply();
    void emptyReplyClosesAndFailsTheStream();
    void refusedStreamFails();
    void silentPeerTimesOut();
    void badAddressFailsAfterTheCall();
    void unaddressablePacketIsCounted();
    void encryptedExchangeHidesThePlaintext();
    void packetUnderAnotherKeyIsDroppedAndCounted();
    void plaintextToEncryptedPoolIsDroppedAndCounted();
    void streamUnderAnotherKeyIsDroppedAndCounted();
    void keyRotationOnTheWire();
    void garbageConnectionIsDropped_data();
    void garbageConnectionIsDropped();
    void stalledConnectionIsDropped();
    void surplusConnectionsAreRefused();
    void addressTexts_data();
    void addressTexts();
};

void TestGossipTransport::udpAndTcpShareTheChosenPort()
{
    auto a = makeNode();
    QVERIFY(a->transport->isListening());
    QVERIFY(a->transport->port() != 0);
    auto s = dial(*a);
    QVERIFY(s->waitForConnected(5000));
}

void TestGossipTransport::portTakenIsOneSentence()
{
    auto a = makeNode();
    GossipTransport::Config c = config();
    c.port = a->transport->port();
    GossipTransport b(c);
    QString error;
    QVERIFY(!b.listen(&error));
    QVERIFY2(error.startsWith(QStringLiteral("cannot listen on 127.0.0.1:%1").arg(c.port)), qPrintable(error));
    QVERIFY(!b.isListening());
}

void TestGossipTransport::packetsBothWaysWithSenderAddress()
{
    auto a = makeNode();
    auto b = makeNode();
    a->transport->sendPacket(b->address(), "ping from a");
    b->transport->sendPacket(a->address(), "ping from b");
    QTRY_COMPARE_WITH_TIMEOUT(b->packets.size(), 1, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(a->packets.size(), 1, 5000);
    QCOMPARE(b->packets[0].bytes, QByteArray("ping from a"));
    // The sender is the other pool's gossip address: replies to it reach the pool.
    QCOMPARE(b->packets[0].from, a->address());
    QCOMPARE(a->packets[0].from, b->address());
    QCOMPARE(a->transport->stats().packetsOut, 1u);
    QCOMPARE(b->transport->stats().packetsIn, 1u);
}

void TestGossipTransport::burstOfPacketsIsDrainedWhole()
{
    auto a = makeNode();
    auto b = makeNode();
    for (int i = 0; i < 300; ++i)
        a->transport->sendPacket(b->address(), QByteArray::number(i).leftJustified(1400, '.'));
    QTRY_COMPARE_WITH_TIMEOUT(b->packets.size(), 300, 10000);
    QCOMPARE(b->packets.last().bytes.size(), 1400);
}

void TestGossipTransport::streamRequestAndReply()
{
    auto a = makeNode();
    auto b = makeNode();
    QSignalSpy replied(a->transport.get(), &GossipTransport::streamReplied);
    QSignalSpy failed(a->transport.get(), &GossipTransport::streamFailed);
    a->transport->startStream(7, b->address(), "push-pull", 5000);
    QTRY_COMPARE_WITH_TIMEOUT(replied.size(), 1, 5000);
    QCOMPARE(replied[0][0].toULongLong(), 7u);
    QCOMPARE(replied[0][1].toByteArray(), QByteArray("re:push-pull"));
    QCOMPARE(b->streamSenders.size(), 1);
    QVERIFY(b->streamSenders[0].startsWith(QLatin1String("127.0.0.1:")));
    QCOMPARE(failed.size(), 0);
    QCOMPARE(a->transport->stats().streamsOut, 1u);
    QCOMPARE(b->transport->stats().streamsIn, 1u);
    QTRY_COMPARE_WITH_TIMEOUT(b->transport->incomingStreamCount(), 0, 5000);
    QCOMPARE(a->transport->outgoingStreamCount(), 0);
    QCOMPARE(b->transport->stats().connectionsDropped, 0u);
}

void TestGossipTransport::emptyReplyClosesAndFailsTheStream()
{
    auto a = makeNode();
    auto b = makeNode();
    QSignalSpy failed(a->transport.get(), &GossipTransport::streamFailed);
    a->transport->startStream(1, b->address(), "silence", 5000);
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 5000);
    QCOMPARE(b->streamSenders.size(), 1);
}

void TestGossipTransport::refusedStreamFails()
{
    auto a = makeNode();
    auto gone = makeNode();
    const QString closed = gone->address();
    gone->transport->close();  // nothing listens there now: connections are refused
    QVERIFY(!gone->transport->isListening());
    QSignalSpy failed(a->transport.get(), &GossipTransport::streamFailed);
    a->transport->startStream(3, closed, "x", 5000);
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 4000);
    QCOMPARE(failed[0][0].toULongLong(), 3u);
    QCOMPARE(a->transport->stats().streamFailures, 1u);
}

void TestGossipTransport::silentPeerTimesOut()
{
    // Accepts and never answers.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    auto a = makeNode();
    QSignalSpy failed(a->transport.get(), &GossipTransport::streamFailed);
    QElapsedTimer t;
    t.start();
    a->transport->startStream(9, QStringLiteral("127.0.0.1:%1").arg(silent.serverPort()), "x", 300);
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 5000);
    QVERIFY(t.elapsed() >= 250);
    QCOMPARE(failed[0][1].toString(), QStringLiteral("timed out"));
    QCOMPARE(a->transport->outgoingStreamCount(), 0);
}

void TestGossipTransport::badAddressFailsAfterTheCall()
{
    auto a = makeNode();
    QSignalSpy failed(a->transport.get(), &GossipTransport::streamFailed);
    a->transport->startStream(4, QStringLiteral("no port here"), "x", 1000);
    a->transport->startStream(5, QStringLiteral("::1:8301"), "x", 1000);  // IPv6 needs brackets
    QCOMPARE(failed.size(), 0);  // never from inside startStream()
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 2, 2000);
    QCOMPARE(failed[0][0].toULongLong(), 4u);
}

void TestGossipTransport::unaddressablePacketIsCounted()
{
    auto a = makeNode();
    a->transport->sendPacket(QStringLiteral("node-b:8301"), "x");  // packets go to IPs only
    a->transport->sendPacket(QStringLiteral("127.0.0.1"), "x");
    QCOMPARE(a->transport->stats().packetsDropped, 2u);
    QCOMPARE(a->transport->stats().packetsOut, 0u);
}

void TestGossipTransport::encryptedExchangeHidesThePlaintext()
{
    const QByteArray key(32, 'k');
    auto a = makeNode(config(key));
    auto b = makeNode(config(key));
    QUdpSocket sniffer;
    QVERIFY(sniffer.bind(QHostAddress::LocalHost, 0));
    a->transport->sendPacket(QStringLiteral("127.0.0.1:%1").arg(sniffer.localPort()), "a secret alive");
    QTRY_VERIFY_WITH_TIMEOUT(sniffer.hasPendingDatagrams(), 5000);
    const QByteArray wire = sniffer.receiveDatagram().data();
    QCOMPARE(wire.size(), 14 + conclave::net::kGossipEncryptionOverhead);
    QVERIFY(!wire.contains("secret"));

    a->transport->sendPacket(b->address(), "a secret alive");
    QTRY_COMPARE_WITH_TIMEOUT(b->packets.size(), 1, 5000);
    QCOMPARE(b->packets[0].bytes, QByteArray("a secret alive"));

    QSignalSpy replied(a->transport.get(), &GossipTransport::streamReplied);
    a->transport->startStream(1, b->address(), "state", 5000);
    QTRY_COMPARE_WITH_TIMEOUT(replied.size(), 1, 5000);
    QCOMPARE(replied[0][1].toByteArray(), QByteArray("re:state"));
}

void TestGossipTransport::packetUnderAnotherKeyIsDroppedAndCounted()
{
    auto a = makeNode(config(QByteArray(32, 'a')));
    auto b = makeNode(config(QByteArray(32, 'b')));
    a->transport->sendPacket(b->address(), "hello");
    QTRY_COMPARE_WITH_TIMEOUT(b->transport->stats().packetAuthFailures, 1u, 5000);
    QCOMPARE(b->transport->stats().packetsIn, 0u);
    QVERIFY(b->packets.isEmpty());
}

void TestGossipTransport::plaintextToEncryptedPoolIsDroppedAndCounted()
{
    auto plain = makeNode();
    auto b = makeNode(config(QByteArray(32, 'b')));
    plain->transport->sendPacket(b->address(), "hello");
    QTRY_COMPARE_WITH_TIMEOUT(b->transport->stats().packetAuthFailures, 1u, 5000);
    QVERIFY(b->packets.isEmpty());

    // …unless it does not verify incoming traffic yet (turning encryption on in a live cluster).
    b->transport->security().verifyIncoming = false;
    plain->transport->sendPacket(b->address(), "hello again");
    QTRY_COMPARE_WITH_TIMEOUT(b->packets.size(), 1, 5000);
    QCOMPARE(b->packets[0].bytes, QByteArray("hello again"));
}

void TestGossipTransport::streamUnderAnotherKeyIsDroppedAndCounted()
{
    auto a = makeNode(config(QByteArray(32, 'a')));
    auto b = makeNode(config(QByteArray(32, 'b')));
    QSignalSpy failed(a->transport.get(), &GossipTransport::streamFailed);
    a->transport->startStream(1, b->address(), "join me", 5000);
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 5000);
    QCOMPARE(b->transport->stats().streamAuthFailures, 1u);
    QCOMPARE(b->transport->stats().connectionsDropped, 1u);
    QCOMPARE(b->transport->stats().streamsIn, 0u);
    QVERIFY(b->streamSenders.isEmpty());  // the handler never saw it
}

void TestGossipTransport::keyRotationOnTheWire()
{
    const QByteArray oldKey(32, 'o');
    const QByteArray newKey(32, 'n');
    auto a = makeNode(config(oldKey));
    auto b = makeNode(config(oldKey));
    // Install everywhere, then switch a's primary key: b still opens it with its second key.
    a->transport->security().keyring.install(newKey);
    b->transport->security().keyring.install(newKey);
    QVERIFY(a->transport->security().keyring.use(newKey));
    a->transport->sendPacket(b->address(), "after use");
    QTRY_COMPARE_WITH_TIMEOUT(b->packets.size(), 1, 5000);
    // b drops the old key; a still seals with new: fine. b seals with old (its primary): a opens.
    b->transport->sendPacket(a->address(), "b still on old");
    QTRY_COMPARE_WITH_TIMEOUT(a->packets.size(), 1, 5000);
    // a removes the old key: b's old-key packets now fail at a.
    QVERIFY(a->transport->security().keyring.remove(oldKey));
    b->transport->sendPacket(a->address(), "rejected");
    QTRY_COMPARE_WITH_TIMEOUT(a->transport->stats().packetAuthFailures, 1u, 5000);
    QCOMPARE(a->packets.size(), 1);
}

void TestGossipTransport::garbageConnectionIsDropped_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("a length over the frame limit") << QByteArray::fromHex("7fffffff") + "rest";
    QTest::newRow("a zero length") << QByteArray::fromHex("00000000");
    QTest::newRow("bytes after the frame") << QByteArray::fromHex("00000001") + "ab";
}

void TestGossipTransport::garbageConnectionIsDropped()
{
    QFETCH(QByteArray, bytes);
    GossipTransport::Config c = config();
    c.maxFrameSize = 1024;
    auto b = makeNode(c);
    auto s = dial(*b);
    QVERIFY(s->waitForConnected(5000));
    s->write(bytes);
    QTRY_COMPARE_WITH_TIMEOUT(s->state(), QAbstractSocket::UnconnectedState, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(b->transport->stats().connectionsDropped, 1u, 5000);
    QCOMPARE(b->transport->incomingStreamCount(), 0);
}

void TestGossipTransport::stalledConnectionIsDropped()
{
    GossipTransport::Config c = config();
    c.streamTimeoutMs = 200;
    auto b = makeNode(c);
    auto s = dial(*b);
    QVERIFY(s->waitForConnected(5000));
    s->write(QByteArray::fromHex("000010"));  // three bytes of a header, then nothing
    QTRY_COMPARE_WITH_TIMEOUT(b->transport->incomingStreamCount(), 1, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(b->transport->incomingStreamCount(), 0, 5000);
    QCOMPARE(b->transport->stats().connectionsDropped, 1u);
    QTRY_COMPARE_WITH_TIMEOUT(s->state(), QAbstractSocket::UnconnectedState, 5000);
}

void TestGossipTransport::surplusConnectionsAreRefused()
{
    GossipTransport::Config c = config();
    c.maxIncomingStreams = 2;
    auto b = makeNode(c);
    std::vector<std::unique_ptr<QTcpSocket>> held;
    for (int i = 0; i < 2; ++i) {
        held.push_back(dial(*b));
        QVERIFY(held.back()->waitForConnected(5000));
    }
    QTRY_COMPARE_WITH_TIMEOUT(b->transport->incomingStreamCount(), 2, 5000);
    auto extra = dial(*b);
    QTRY_COMPARE_WITH_TIMEOUT(b->transport->stats().connectionsDropped, 1u, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(extra->state(), QAbstractSocket::UnconnectedState, 5000);
    QCOMPARE(b->transport->incomingStreamCount(), 2);
    // The held ones still work.
    held[0]->write(conclave::net::encodeGossipFrame("still here"));
    QTRY_COMPARE_WITH_TIMEOUT(b->streamSenders.size(), 1, 5000);
}

void TestGossipTransport::addressTexts_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("formatted");
    QTest::newRow("ipv4") << QStringLiteral("10.0.0.1:8301") << true << QStringLiteral("10.0.0.1:8301");
    QTest::newRow("ipv6") << QStringLiteral("[::1]:8302") << true << QStringLiteral("[::1]:8302");
    QTest::newRow("ipv4-mapped") << QStringLiteral("[::ffff:10.0.0.2]:1") << true << QStringLiteral("10.0.0.2:1");
    QTest::newRow("bare ipv6") << QStringLiteral("::1:8301") << false << QString();
    QTest::newRow("no port") << QStringLiteral("10.0.0.1") << false << QString();
    QTest::newRow("port 0") << QStringLiteral("10.0.0.1:0") << false << QString();
    QTest::newRow("port too big") << QStringLiteral("10.0.0.1:65536") << false << QString();
    QTest::newRow("a name") << QStringLiteral("consul.example:8301") << false << QString();
}

void TestGossipTransport::addressTexts()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(QString, formatted);
    QHostAddress address;
    quint16 port = 0;
    QCOMPARE(GossipTransport::parseAddress(text, &address, &port), valid);
    if (valid)
        QCOMPARE(GossipTransport::formatAddress(address, port), formatted);
    QString host;
    if (text == QLatin1String("consul.example:8301")) {
        QVERIFY(GossipTransport::splitHostPort(text, &host, &port));
        QCOMPARE(host, QStringLiteral("consul.example"));
        QCOMPARE(port, 8301);
    }
}

QTEST_MAIN(TestGossipTransport)
#include "tst_gossip_transport.moc"
