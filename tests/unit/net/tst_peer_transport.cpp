// PeerTransport on 127.0.0.1 (the unit is a socket server): frames in order with the sender's id,
// a full mesh of three, queueing while a peer is down and reconnecting when it comes back, the
// bounded queue dropping the oldest frames, and refusal of connections that break the handshake.
#include "net/peer_transport.h"

#include <QSignalSpy>
#include <QTcpSocket>
#include <QtTest>

#include <memory>

using conclave::net::Frame;
using conclave::net::PeerTransport;

namespace {

struct Received {
    QString from;
    Frame frame;
};

struct Node {
    std::unique_ptr<PeerTransport> transport;
    QList<Received> received;
};

std::unique_ptr<Node> makeNode(const QString &id, quint16 port = 0, int maxQueuedFrames = 4096, int initialBackoffMs = 10)
{
    auto node = std::make_unique<Node>();
    PeerTransport::Config config;
    config.nodeId = id;
    config.port = port;
    config.maxQueuedFrames = maxQueuedFrames;
    config.initialBackoffMs = initialBackoffMs;
    config.maxBackoffMs = std::max(100, initialBackoffMs);
    node->transport = std::make_unique<PeerTransport>(config);
    QString error;
    if (!node->transport->listen(&error))
        qWarning() << error;
    Node *raw = node.get();
    QObject::connect(node->transport.get(), &PeerTransport::frameReceived, node->transport.get(),
                     [raw](const QString &from, PeerTransport::Channel, const Frame &f) {
                         raw->received.append({from, f});
                     });
    return node;
}

QString addressOf(const Node &n)
{
    return QStringLiteral("127.0.0.1:%1").arg(n.transport->serverPort());
}

Frame frame(int i)
{
    return Frame{100, 1, QByteArray::number(i)};
}

}  // namespace

class TestPeerTransport : public QObject {
    Q_OBJECT
private slots:
    void framesArriveInOrderWithSenderId();
    void fullMeshOfThree();
    void queuesWhileDownAndReconnects();
    void peerThatDialsUsIsRedialledAtOnce();
    void boundedQueueDropsOldest();
    void unknownPeerIsRefused();
    void badHandshakeClosesConnection_data();
    void badHandshakeClosesConnection();
};

void TestPeerTransport::framesArriveInOrderWithSenderId()
{
    auto a = makeNode(QStringLiteral("a"));
    auto b = makeNode(QStringLiteral("b"));
    QVERIFY(b->transport->serverPort() != 0);
    a->transport->setPeer(QStringLiteral("b"), addressOf(*b));
    for (int i = 0; i < 200; ++i)
        QVERIFY(a->transport->send(QStringLiteral("b"), frame(i)));
    QTRY_COMPARE_WITH_TIMEOUT(b->received.size(), 200, 5000);
    for (int i = 0; i < 200; ++i) {
        QCOMPARE(b->received.at(i).from, QStringLiteral("a"));
        QCOMPARE(b->received.at(i).frame, frame(i));
    }
    QVERIFY(a->transport->isConnected(QStringLiteral("b")));
    QCOMPARE(a->transport->droppedFrames(), quint64(0));
    QVERIFY(a->received.isEmpty());
}

void TestPeerTransport::fullMeshOfThree()
{
    std::vector<std::unique_ptr<Node>> nodes;
    const QStringList ids{QStringLiteral("s1"), QStringLiteral("s2"), QStringLiteral("s3")};
    for (const QString &id : ids)
        nodes.push_back(makeNode(id));
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
            if (i != j)
                nodes[i]->transport->setPeer(ids[j], addressOf(*nodes[j]));
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
            if (i != j)
                nodes[i]->transport->send(ids[j], Frame{7, 1, (ids[i] + QLatin1Char('>') + ids[j]).toUtf8()});
    for (int j = 0; j < 3; ++j) {
        QTRY_COMPARE_WITH_TIMEOUT(nodes[j]->received.size(), 2, 5000);
        for (const Received &r : std::as_const(nodes[j]->received))
            QCOMPARE(r.frame.payload, (r.from + QLatin1Char('>') + ids[j]).toUtf8());
    }
}

void TestPeerTransport::queuesWhileDownAndReconnects()
{
    auto a = makeNode(QStringLiteral("a"));
    auto b = makeNode(QStringLiteral("b"));
    const quint16 port = b->transport->serverPort();
    a->transport->setPeer(QStringLiteral("b"), addressOf(*b));
    a->transport->send(QStringLiteral("b"), frame(0));
    QTRY_COMPARE_WITH_TIMEOUT(b->received.size(), 1, 5000);

    b.reset();  // the peer goes away
    QTRY_VERIFY_WITH_TIMEOUT(!a->transport->isConnected(QStringLiteral("b")), 5000);
    for (int i = 1; i <= 5; ++i)
        a->transport->send(QStringLiteral("b"), frame(i));

    b = makeNode(QStringLiteral("b"), port);  // back on the same port
    QVERIFY(b->transport->serverPort() == port);
    QTRY_COMPARE_WITH_TIMEOUT(b->received.size(), 5, 5000);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(b->received.at(i).frame, frame(i + 1));
    QVERIFY(a->transport->isConnected(QStringLiteral("b")));
}

void TestPeerTransport::peerThatDialsUsIsRedialledAtOnce()
{
    // a backs off 60 s after losing b; b's Hello on its own connection to a cuts that short.
    auto a = makeNode(QStringLiteral("a"), 0, 4096, 60000);
    auto b = makeNode(QStringLiteral("b"));
    const quint16 port = b->transport->serverPort();
    a->transport->setPeer(QStringLiteral("b"), addressOf(*b));
    a->transport->send(QStringLiteral("b"), frame(0));
    QTRY_COMPARE_WITH_TIMEOUT(b->received.size(), 1, 5000);

    b.reset();
    QTRY_VERIFY_WITH_TIMEOUT(!a->transport->isConnected(QStringLiteral("b")), 5000);
    a->transport->send(QStringLiteral("b"), frame(1));

    b = makeNode(QStringLiteral("b"), port);
    QCOMPARE(b->transport->serverPort(), port);
    b->transport->setPeer(QStringLiteral("a"), addressOf(*a));
    QTRY_COMPARE_WITH_TIMEOUT(b->received.size(), 1, 5000);
    QCOMPARE(b->received.at(0).frame, frame(1));
    QVERIFY(a->transport->isConnected(QStringLiteral("b")));
}

void TestPeerTransport::boundedQueueDropsOldest()
{
    auto b = makeNode(QStringLiteral("b"));
    const quint16 port = b->transport->serverPort();
    b.reset();
    auto a = makeNode(QStringLiteral("a"), 0, 3);
    a->transport->setPeer(QStringLiteral("b"), QStringLiteral("127.0.0.1:%1").arg(port));
    for (int i = 0; i < 10; ++i)
        a->transport->send(QStringLiteral("b"), frame(i));
    QCOMPARE(a->transport->droppedFrames(), quint64(7));
    b = makeNode(QStringLiteral("b"), port);
    QTRY_COMPARE_WITH_TIMEOUT(b->received.size(), 3, 5000);
    QCOMPARE(b->received.at(0).frame, frame(7));
    QCOMPARE(b->received.at(1).frame, frame(8));
    QCOMPARE(b->received.at(2).frame, frame(9));
}

void TestPeerTransport::unknownPeerIsRefused()
{
    auto a = makeNode(QStringLiteral("a"));
    QVERIFY(!a->transport->send(QStringLiteral("nobody"), frame(1)));
    a->transport->setPeer(QStringLiteral("x"), QStringLiteral("127.0.0.1:1"));
    QCOMPARE(a->transport->peerIds(), QStringList{QStringLiteral("x")});
    a->transport->removePeer(QStringLiteral("x"));
    QVERIFY(a->transport->peerIds().isEmpty());
    QVERIFY(!a->transport->send(QStringLiteral("x"), frame(1)));
}

void TestPeerTransport::badHandshakeClosesConnection_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("unknown preamble") << QByteArray("\x07", 1);
    QTest::newRow("first frame not hello")
        << QByteArray("\x01", 1) + conclave::net::encodeFrame(Frame{100, 1, QByteArray("x")});
    QTest::newRow("oversized frame") << QByteArray("\x01\x7f\xff\xff\xff", 5);
    QTest::newRow("garbage frame") << QByteArray("\x01\x00\x00\x00\x02\xff\xff", 7);
}

void TestPeerTransport::badHandshakeClosesConnection()
{
    QFETCH(QByteArray, bytes);
    auto b = makeNode(QStringLiteral("b"));
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, b->transport->serverPort());
    QTRY_COMPARE_WITH_TIMEOUT(raw.state(), QAbstractSocket::ConnectedState, 5000);
    raw.write(bytes);
    QTRY_COMPARE_WITH_TIMEOUT(raw.state(), QAbstractSocket::UnconnectedState, 5000);
    QVERIFY(b->received.isEmpty());
}

QTEST_GUILESS_MAIN(TestPeerTransport)
#include "tst_peer_transport.moc"
