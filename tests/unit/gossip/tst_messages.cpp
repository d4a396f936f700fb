// Gossip wire codec: every message type round-trips, compounds nest parts, and malformed input
// (truncation, bad version/type, oversized lengths, trailing bytes, invalid UTF-8, …) is refused.
#include "core/gossip/messages.h"

#include <QtTest>

using namespace conclave::gossip;

Q_DECLARE_METATYPE(conclave::gossip::Message)

namespace {
QByteArray raw(std::initializer_list<int> bytes)
{
    QByteArray out;
    for (int b : bytes)
        out.append(char(b));
    return out;
}
}  // namespace

class TestMessages : public QObject {
    Q_OBJECT
private slots:
    void roundTrip_data();
    void roundTrip();
    void compoundParts();
    void malformed_data();
    void malformed();
    void everyTruncationIsRejected();
    void tagsSize();
};

void TestMessages::roundTrip_data()
{
    QTest::addColumn<Message>("msg");
    const Tags tags{{QStringLiteral("role"), QStringLiteral("consul")},
                    {QStringLiteral("dc"), QStringLiteral("dc1")},
                    {QStringLiteral("port"), QStringLiteral("8300")},
                    {QStringLiteral("build"), QStringLiteral("1.17.0:abc")},
                    {QStringLiteral("vsn"), QStringLiteral("2")}};
    QTest::newRow("ping") << Message(Ping{7, QStringLiteral("b"), QStringLiteral("a"), QStringLiteral("10.0.0.1:8301")});
    QTest::newRow("ping, large seq") << Message(Ping{0xffffffffu, {}, QStringLiteral("ä"), {}});
    QTest::newRow("indirect ping") << Message(IndirectPing{300, QStringLiteral("b"), QStringLiteral("10.0.0.2:8301"), true, QStringLiteral("a"), QStringLiteral("10.0.0.1:8301")});
    QTest::newRow("indirect ping, no nack") << Message(IndirectPing{1, QStringLiteral("b"), QStringLiteral("x"), false, QStringLiteral("a"), QStringLiteral("y")});
    QTest::newRow("ack") << Message(Ack{128});
    QTest::newRow("nack") << Message(Nack{0});
    QTest::newRow("suspect") << Message(Suspect{3, QStringLiteral("b"), QStringLiteral("a")});
    QTest::newRow("alive with tags") << Message(Alive{9, QStringLiteral("srv1"), QStringLiteral("127.0.0.1:8301"), tags});
    QTest::newRow("alive, no tags") << Message(Alive{1, QStringLiteral("c"), QStringLiteral("127.0.0.3:8301"), {}});
    QTest::newRow("dead") << Message(Dead{4, QStringLiteral("b"), QStringLiteral("a")});
    QTest::newRow("leave") << Message(Dead{4, QStringLiteral("b"), QStringLiteral("b")});
    PushPull pp;
    pp.join = true;
    pp.states = {PushNodeState{QStringLiteral("a"), QStringLiteral("10.0.0.1:8301"), 2, NodeState::Alive, tags},
                 PushNodeState{QStringLiteral("b"), QStringLiteral("10.0.0.2:8301"), 5, NodeState::Suspect, {}},
                 PushNodeState{QStringLiteral("c"), QStringLiteral("10.0.0.3:8301"), 1, NodeState::Dead, {}},
                 PushNodeState{QStringLiteral("d"), QStringLiteral("10.0.0.4:8301"), 8, NodeState::Left, {}}};
    QTest::newRow("push-pull") << Message(pp);
    QTest::newRow("push-pull, empty") << Message(PushPull{});
    QTest::newRow("compound") << Message(Compound{{encode(Ack{1}), encode(Suspect{1, QStringLiteral("x"), QStringLiteral("y")})}});
}

void TestMessages::roundTrip()
{
    QFETCH(Message, msg);
    const QByteArray bytes = encode(msg);
    QCOMPARE(quint8(bytes[0]), kWireVersion);
    QCOMPARE(quint8(bytes[1]), quint8(typeOf(msg)));
    const std::optional<Message> back = decode(bytes);
    QVERIFY(back.has_value());
    QVERIFY(*back == msg);
}

void TestMessages::compoundParts()
{
    const QByteArray one = encode(Ack{5});
    QCOMPARE(encodeCompound({one}), one);  // a single message is sent bare
    const QByteArray two = encodeCompound({one, encode(Nack{6})});
    const auto m = decode(two);
    QVERIFY(m && std::holds_alternative<Compound>(*m));
    const Compound &c = std::get<Compound>(*m);
    QCOMPARE(c.parts.size(), std::size_t(2));
    QVERIFY(*decode(c.parts[1]) == Message(Nack{6}));
    QCOMPARE(compoundOverhead(10), 11);
    QCOMPARE(compoundOverhead(200), 202);
}

void TestMessages::malformed_data()
{
    QTest::addColumn<QByteArray>("bytes");
    const QByteArray ack = encode(Ack{5});
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("version only") << raw({0x01});
    QTest::newRow("version 0") << raw({0x00, 0x03, 0x05});
    QTest::newRow("version 2") << raw({0x02, 0x03, 0x05});
    QTest::newRow("type 0") << raw({0x01, 0x00, 0x05});
    QTest::newRow("type 10") << raw({0x01, 0x0a, 0x05});
    QTest::newRow("ack without seq") << raw({0x01, 0x03});
    QTest::newRow("ack, trailing byte") << ack + '\x00';
    QTest::newRow("seq above 32 bits") << raw({0x01, 0x03, 0x80, 0x80, 0x80, 0x80, 0x10});
    QTest::newRow("varint never ends") << raw({0x01, 0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    QTest::newRow("string longer than input") << raw({0x01, 0x05, 0x01, 0x10, 0x61, 0x62});
    QTest::newRow("string over the limit") << raw({0x01, 0x05, 0x01, 0x81, 0x10});
    QTest::newRow("invalid utf-8") << raw({0x01, 0x05, 0x01, 0x02, 0xc3, 0x28, 0x00});
    QTest::newRow("bool 2") << raw({0x01, 0x08, 0x02, 0x00});
    QTest::newRow("node state 4") << raw({0x01, 0x08, 0x00, 0x01, 0x01, 0x61, 0x01, 0x62, 0x01, 0x04, 0x00});
    QTest::newRow("duplicate tag") << raw({0x01, 0x06, 0x01, 0x01, 0x61, 0x01, 0x62, 0x02, 0x01, 0x6b, 0x01, 0x76, 0x01, 0x6b, 0x01, 0x77});
    QTest::newRow("too many tags") << raw({0x01, 0x06, 0x01, 0x01, 0x61, 0x01, 0x62, 0x41});
    QTest::newRow("push-pull count beyond data") << raw({0x01, 0x08, 0x00, 0x05});
    QTest::newRow("compound with nested compound") << raw({0x01, 0x09, 0x01, 0x03, 0x01, 0x09, 0x00});
    QTest::newRow("compound part without type") << raw({0x01, 0x09, 0x01, 0x01, 0x01});
    QTest::newRow("compound part, wrong version") << raw({0x01, 0x09, 0x01, 0x03, 0x02, 0x03, 0x05});
    QTest::newRow("compound part too long") << raw({0x01, 0x09, 0x01, 0x09, 0x01, 0x03});
}

void TestMessages::malformed()
{
    QFETCH(QByteArray, bytes);
    QVERIFY(!decode(bytes).has_value());
}

void TestMessages::everyTruncationIsRejected()
{
    PushPull pp;
    pp.states = {PushNodeState{QStringLiteral("a"), QStringLiteral("10.0.0.1:8301"), 300, NodeState::Alive,
                               {{QStringLiteral("role"), QStringLiteral("node")}}}};
    for (const Message &m : {Message(pp), Message(IndirectPing{999, QStringLiteral("t"), QStringLiteral("ta"), true, QStringLiteral("s"), QStringLiteral("sa")})}) {
        const QByteArray full = encode(m);
        for (qsizetype n = 0; n < full.size(); ++n)
            QVERIFY2(!decode(full.left(n)).has_value(), qPrintable(QString::number(n)));
    }
}

void TestMessages::tagsSize()
{
    QCOMPARE(conclave::gossip::tagsSize({}), 1);
    QCOMPARE(conclave::gossip::tagsSize({{QStringLiteral("dc"), QStringLiteral("dc1")}}), 1 + 3 + 4);
}

QTEST_APPLESS_MAIN(TestMessages)
#include "tst_messages.moc"
