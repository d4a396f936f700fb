// The wire encoding of RaftNode (server/raft_messages): every raft::Message field round-trips for
// every message type, snapshot chunks and forwarded writes round-trip, malformed input is refused.
#include "server/raft_messages.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QtTest>

using namespace conclave;
using raft::MessageType;

Q_DECLARE_METATYPE(raft::Message)

namespace {

void compareMessages(const raft::Message &a, const raft::Message &b)
{
    QCOMPARE(int(a.type), int(b.type));
    QCOMPARE(a.from.value, b.from.value);
    QCOMPARE(a.to.value, b.to.value);
    QCOMPARE(a.term, b.term);
    QCOMPARE(a.logTerm, b.logTerm);
    QCOMPARE(a.index, b.index);
    QVERIFY(a.entries == b.entries);
    QCOMPARE(a.commit, b.commit);
    QCOMPARE(a.reject, b.reject);
    QCOMPARE(a.rejectHint, b.rejectHint);
    QVERIFY(a.snapshot == b.snapshot);
    QCOMPARE(a.context, b.context);
}

raft::Message fullMessage(MessageType type)
{
    raft::Message m;
    m.type = type;
    m.from = raft::NodeId{QStringLiteral("server-a")};
    m.to = raft::NodeId{QStringLiteral("server-b")};
    m.term = raft::Term{quint64(1) << 40};
    m.logTerm = raft::Term{6};
    m.index = raft::LogIndex{123456789};
    m.entries = {raft::Entry{raft::Term{6}, raft::LogIndex{123456790}, raft::EntryType::Normal, QByteArray("put k v")},
                 raft::Entry{raft::Term{7}, raft::LogIndex{123456791}, raft::EntryType::ConfChange,
                             raft::ConfChange{raft::ConfChangeType::AddLearner, raft::NodeId{QStringLiteral("c")},
                                              QByteArray("127.0.0.1:8300")}
                                 .encode()},
                 raft::Entry{raft::Term{7}, raft::LogIndex{123456792}, raft::EntryType::Normal, QByteArray()}};
    m.commit = raft::LogIndex{99};
    m.reject = true;
    m.rejectHint = raft::LogIndex{42};
    m.snapshot.index = raft::LogIndex{77};
    m.snapshot.term = raft::Term{5};
    m.snapshot.membership.voters = {raft::NodeId{QStringLiteral("a")}, raft::NodeId{QStringLiteral("b")}};
    m.snapshot.membership.learners = {raft::NodeId{QStringLiteral("c")}};
    m.context = QByteArray("\x00read-7", 7);
    return m;
}

}  // namespace

class TestRaftNodeWire : public QObject {
    Q_OBJECT
private slots:
    void messageRoundTrip_data();
    void messageRoundTrip();
    void malformedMessage_data();
    void malformedMessage();
    void snapshotChunkRoundTrip();
    void malformedSnapshotChunk();
    void forwardRoundTrip();
};

void TestRaftNodeWire::messageRoundTrip_data()
{
    QTest::addColumn<raft::Message>("message");
    for (int t = int(MessageType::PreVote); t <= int(MessageType::ReadIndexResp); ++t) {
        const auto type = MessageType(t);
        QTest::newRow(raft::messageTypeName(type)) << fullMessage(type);
    }
    raft::Message empty;
    empty.type = MessageType::Heartbeat;
    QTest::newRow("all defaults") << empty;
}

void TestRaftNodeWire::messageRoundTrip()
{
    QFETCH(raft::Message, message);
    QString error;
    const std::optional<raft::Message> got = server::decodeRaftMessage(server::encodeRaftMessage(message), &error);
    QVERIFY2(got.has_value(), qPrintable(error));
    compareMessages(*got, message);
}

void TestRaftNodeWire::malformedMessage_data()
{
    QTest::addColumn<QByteArray>("bytes");
    auto cbor = [](const QCborMap &m) { return m.toCborValue().toCbor(); };
    QTest::newRow("not cbor") << QByteArray("\xff", 1);
    QTest::newRow("array") << QCborValue(QCborArray{1}).toCbor();
    QTest::newRow("no type") << cbor(QCborMap{{2, QStringLiteral("a")}});
    QTest::newRow("type 0") << cbor(QCborMap{{1, 0}});
    QTest::newRow("type 13") << cbor(QCborMap{{1, 13}});
    QTest::newRow("negative term") << cbor(QCborMap{{1, 5}, {4, -3}});
    QTest::newRow("from is bytes") << cbor(QCborMap{{1, 5}, {2, QByteArray("a")}});
    QTest::newRow("entries not array") << cbor(QCborMap{{1, 5}, {7, 3}});
    QTest::newRow("entry not map") << cbor(QCborMap{{1, 5}, {7, QCborArray{1}}});
    QTest::newRow("entry without index") << cbor(QCborMap{{1, 5}, {7, QCborArray{QCborMap{{1, 1}}}}});
    QTest::newRow("entry type 9") << cbor(QCborMap{{1, 5}, {7, QCborArray{QCborMap{{1, 1}, {2, 1}, {3, 9}}}}});
    QTest::newRow("reject not bool") << cbor(QCborMap{{1, 6}, {9, 1}});
    QTest::newRow("bad membership") << cbor(QCborMap{{1, 9}, {13, QByteArray("\xff", 1)}});
    QTest::newRow("context is text") << cbor(QCborMap{{1, 11}, {14, QStringLiteral("c")}});
    QTest::newRow("trailing bytes") << cbor(QCborMap{{1, 7}}) + QByteArray("\x01", 1);
}

void TestRaftNodeWire::malformedMessage()
{
    QFETCH(QByteArray, bytes);
    QString error;
    QVERIFY(!server::decodeRaftMessage(bytes, &error).has_value());
    QVERIFY(error.startsWith(QLatin1String("malformed raft message")));
}

void TestRaftNodeWire::snapshotChunkRoundTrip()
{
    server::SnapshotChunk first;
    first.offset = 0;
    first.total = 10;
    first.snapshotIndex = 77;
    first.snapshotTerm = 5;
    first.data = QByteArray("01234");
    QString error;
    std::optional<server::SnapshotChunk> got = server::decodeSnapshotChunk(server::encodeSnapshotChunk(first), &error);
    QVERIFY2(got.has_value(), qPrintable(error));
    QCOMPARE(got->offset, quint64(0));
    QCOMPARE(got->total, quint64(10));
    QCOMPARE(got->snapshotIndex, quint64(77));
    QCOMPARE(got->snapshotTerm, quint64(5));
    QCOMPARE(got->data, QByteArray("01234"));
    QVERIFY(!got->isLast());

    server::SnapshotChunk last = first;
    last.offset = 5;
    last.data = QByteArray("56789");
    last.message = fullMessage(MessageType::Snapshot);
    got = server::decodeSnapshotChunk(server::encodeSnapshotChunk(last), &error);
    QVERIFY2(got.has_value(), qPrintable(error));
    QVERIFY(got->isLast());
    compareMessages(got->message, last.message);
}

void TestRaftNodeWire::malformedSnapshotChunk()
{
    server::SnapshotChunk c;
    c.offset = 5;
    c.total = 8;  // 5 + 5 > 8
    c.snapshotIndex = 77;
    c.data = QByteArray("56789");
    QString error;
    QVERIFY(!server::decodeSnapshotChunk(server::encodeSnapshotChunk(c), &error).has_value());
    QVERIFY(error.contains(QLatin1String("past the total")));

    // A last chunk whose message names another snapshot.
    c.total = 10;
    c.message = fullMessage(MessageType::Snapshot);
    c.message.snapshot.index = raft::LogIndex{78};
    QVERIFY(!server::decodeSnapshotChunk(server::encodeSnapshotChunk(c), &error).has_value());
    c.message = fullMessage(MessageType::App);
    c.message.snapshot.index = raft::LogIndex{77};
    QVERIFY(!server::decodeSnapshotChunk(server::encodeSnapshotChunk(c), &error).has_value());
}

void TestRaftNodeWire::forwardRoundTrip()
{
    QString error;
    const auto q = server::decodeForwardRequest(server::encodeForwardRequest({987654321, QByteArray("cmd\x00", 4)}), &error);
    QVERIFY2(q.has_value(), qPrintable(error));
    QCOMPARE(q->id, quint64(987654321));
    QCOMPARE(q->command, QByteArray("cmd\x00", 4));

    server::ForwardResponse s;
    s.id = 5;
    s.index = 17;
    s.error = 1;
    s.errorText = QStringLiteral("No cluster leader");
    s.result.ok = false;
    s.result.error = QStringLiteral("bad");
    const auto r = server::decodeForwardResponse(server::encodeForwardResponse(s), &error);
    QVERIFY2(r.has_value(), qPrintable(error));
    QCOMPARE(r->id, quint64(5));
    QCOMPARE(r->index, quint64(17));
    QCOMPARE(r->error, 1);
    QCOMPARE(r->errorText, s.errorText);
    QCOMPARE(r->result.ok, false);
    QCOMPARE(r->result.error, QStringLiteral("bad"));

    QVERIFY(!server::decodeForwardRequest(QCborValue(QCborMap{{2, QByteArray("x")}}).toCbor(), &error));
    QVERIFY(!server::decodeForwardResponse(QCborValue(QCborMap{{1, 1}}).toCbor(), &error));
}

QTEST_APPLESS_MAIN(TestRaftNodeWire)
#include "tst_raft_node_wire.moc"
