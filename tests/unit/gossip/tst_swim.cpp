// Swim core without a network: the test plays every other member by hand (packets in, outbox
// out) and drives time explicitly. Covers memberlist's incarnation precedence (state.go rules),
// the derived formulas, refutation, Lifeguard awareness and buddy notification, the broadcast
// queue's retransmit budget, leave, reaping and dead-node name reclaim.
#include "core/gossip/swim.h"

#include <QtTest>

using namespace conclave::gossip;

Q_DECLARE_METATYPE(conclave::gossip::Message)

namespace {

QString addrOf(const QString &name)
{
    return QStringLiteral("10.0.0.%1:8301").arg(name.at(0).unicode() - u'a' + 1);
}

Config cfg(const QString &name)
{
    return Config::lan(name, addrOf(name));
}

/// Every message of every packet in an outbox, with its destination.
std::vector<std::pair<QString, Message>> messagesOf(const Outbox &out)
{
    std::vector<std::pair<QString, Message>> all;
    for (const Packet &p : out.packets) {
        const std::optional<Message> m = decode(p.bytes);
        if (!m)
            continue;
        if (const auto *c = std::get_if<Compound>(&*m)) {
            for (const QByteArray &part : c->parts)
                all.emplace_back(p.to, *decode(part));
        } else {
            all.emplace_back(p.to, *m);
        }
    }
    return all;
}

template <typename T>
std::vector<T> find(const Outbox &out, const QString &to = {})
{
    std::vector<T> found;
    for (const auto &[dest, m] : messagesOf(out)) {
        if ((to.isEmpty() || dest == to) && std::holds_alternative<T>(m))
            found.push_back(std::get<T>(m));
    }
    return found;
}

void feed(Swim &s, const Message &m, qint64 now, const QString &from = QStringLiteral("10.0.0.9:8301"))
{
    s.handlePacket(from, encode(m), now);
}

void addAlive(Swim &s, const QString &name, quint32 inc, qint64 now)
{
    feed(s, Alive{inc, name, addrOf(name), {}}, now);
}

/// Ticks at each deadline until a probe ping goes out; returns it and leaves `now` there.
std::optional<Ping> nextPing(Swim &s, qint64 &now, Outbox *outbox = nullptr)
{
    for (int i = 0; i < 200; ++i) {
        now = s.nextDeadline();
        s.tick(now);
        Outbox out = s.takeOutbox();
        const std::vector<Ping> pings = find<Ping>(out);
        if (!pings.empty()) {
            if (outbox)
                *outbox = out;
            return pings.front();
        }
    }
    return std::nullopt;
}

/// Ticks through deadlines until `t`, collecting the outboxes.
Outbox runUntil(Swim &s, qint64 t)
{
    Outbox all;
    while (s.nextDeadline() <= t) {
        s.tick(s.nextDeadline());
        Outbox o = s.takeOutbox();
        all.packets.insert(all.packets.end(), o.packets.begin(), o.packets.end());
        all.streams.insert(all.streams.end(), o.streams.begin(), o.streams.end());
        all.events.insert(all.events.end(), o.events.begin(), o.events.end());
    }
    return all;
}

}  // namespace

class TestSwim : public QObject {
    Q_OBJECT
private slots:
    void defaults();
    void suspicionTimeout_data();
    void suspicionTimeout();
    void dynamicSuspicion_data();
    void dynamicSuspicion();
    void retransmitLimit_data();
    void retransmitLimit();
    void pushPullScale_data();
    void pushPullScale();
    void precedence_data();
    void precedence();
    void refutation_data();
    void refutation();
    void confirmationsShrinkTheTimer();
    void awareness_data();
    void awareness();
    void successfulProbeLowersScore();
    void buddySuspectRidesOnThePing();
    void buddyTargetRefutesAtOnce();
    void indirectPingRelaysAckOrNack();
    void broadcastQueue();
    void packetsStayUnderTheLimit();
    void leaveIsNotRefuted();
    void reapAfterTimeouts();
    void deadNodeReclaim();
    void forceLeave();
    void tcpFallbackSavesTheProbe();
    void remoteDeadOnlyMakesUsSuspect();
    void sameSeedSameOutboxes();
    void joinAndPushPull();
    void malformedPacketsAreCounted();
};

void TestSwim::defaults()
{
    const Config lan = Config::lan(QStringLiteral("a"), QStringLiteral("x"));
    QCOMPARE(lan.probeIntervalMs, 1000);
    QCOMPARE(lan.probeTimeoutMs, 500);
    QCOMPARE(lan.indirectChecks, 3);
    QCOMPARE(lan.suspicionMult, 4);
    QCOMPARE(lan.suspicionMaxTimeoutMult, 6);
    QCOMPARE(lan.retransmitMult, 4);
    QCOMPARE(lan.gossipIntervalMs, 200);
    QCOMPARE(lan.gossipNodes, 3);
    QCOMPARE(lan.pushPullIntervalMs, 30000);
    QCOMPARE(lan.tcpTimeoutMs, 10000);
    QCOMPARE(lan.gossipToTheDeadMs, 30000);
    QCOMPARE(lan.awarenessMaxMultiplier, 8);
    QCOMPARE(lan.udpBufferSize, 1400);
    QCOMPARE(lan.deadNodeReclaimMs, 30000);
    QCOMPARE(lan.reconnectTimeoutMs, 72LL * 3600 * 1000);
    QCOMPARE(lan.tombstoneTimeoutMs, 24LL * 3600 * 1000);
    const Config wan = Config::wan(QStringLiteral("a.dc1"), QStringLiteral("x"));
    QCOMPARE(wan.probeIntervalMs, 5000);
    QCOMPARE(wan.probeTimeoutMs, 3000);
    QCOMPARE(wan.suspicionMult, 6);
    QCOMPARE(wan.gossipIntervalMs, 500);
    QCOMPARE(wan.gossipNodes, 3);
    QCOMPARE(wan.pushPullIntervalMs, 60000);
    QCOMPARE(wan.tcpTimeoutMs, 30000);
    QCOMPARE(wan.gossipToTheDeadMs, 60000);
    const Config local = Config::local(QStringLiteral("a"), QStringLiteral("x"));
    QCOMPARE(local.probeTimeoutMs, 200);
    QCOMPARE(local.indirectChecks, 1);
    QCOMPARE(local.suspicionMult, 3);
    QCOMPARE(local.retransmitMult, 2);
    QCOMPARE(local.gossipIntervalMs, 100);
}

void TestSwim::suspicionTimeout_data()
{
    QTest::addColumn<int>("mult");
    QTest::addColumn<int>("n");
    QTest::addColumn<qint64>("interval");
    QTest::addColumn<qint64>("expected");
    QTest::newRow("LAN, 1 node") << 4 << 1 << qint64(1000) << qint64(4000);
    QTest::newRow("LAN, 10 nodes") << 4 << 10 << qint64(1000) << qint64(4000);
    QTest::newRow("LAN, 50 nodes") << 4 << 50 << qint64(1000) << qint64(6792);
    QTest::newRow("LAN, 100 nodes") << 4 << 100 << qint64(1000) << qint64(8000);
    QTest::newRow("LAN, 200 nodes") << 4 << 200 << qint64(1000) << qint64(9204);
    QTest::newRow("LAN, 1000 nodes") << 4 << 1000 << qint64(1000) << qint64(12000);
    QTest::newRow("WAN, 10 nodes") << 6 << 10 << qint64(5000) << qint64(30000);
    QTest::newRow("local, 5 nodes") << 3 << 5 << qint64(1000) << qint64(3000);
}

void TestSwim::suspicionTimeout()
{
    QFETCH(int, mult);
    QFETCH(int, n);
    QFETCH(qint64, interval);
    QFETCH(qint64, expected);
    QCOMPARE(suspicionTimeoutMs(mult, n, interval), expected);
}

void TestSwim::dynamicSuspicion_data()
{
    QTest::addColumn<int>("confirmations");
    QTest::addColumn<int>("k");
    QTest::addColumn<qint64>("expected");
    // min 4 s, max 24 s (LAN, n ≤ 10): max − (max − min)·ln(c + 1)/ln(k + 1)
    QTest::newRow("none yet") << 0 << 2 << qint64(24000);
    QTest::newRow("one of two") << 1 << 2 << qint64(11381);
    QTest::newRow("two of two") << 2 << 2 << qint64(4000);
    QTest::newRow("more than k is min") << 3 << 2 << qint64(4000);
    QTest::newRow("k = 0 is min") << 0 << 0 << qint64(4000);
    QTest::newRow("one of three") << 1 << 3 << qint64(14000);
}

void TestSwim::dynamicSuspicion()
{
    QFETCH(int, confirmations);
    QFETCH(int, k);
    QFETCH(qint64, expected);
    QCOMPARE(suspicionDurationMs(confirmations, k, 4000, 24000), expected);
}

void TestSwim::retransmitLimit_data()
{
    QTest::addColumn<int>("mult");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("expected");
    QTest::newRow("1 node") << 4 << 1 << 4;
    QTest::newRow("9 nodes") << 4 << 9 << 4;
    QTest::newRow("10 nodes") << 4 << 10 << 8;
    QTest::newRow("99 nodes") << 4 << 99 << 8;
    QTest::newRow("100 nodes") << 4 << 100 << 12;
    QTest::newRow("200 nodes") << 4 << 200 << 12;
    QTest::newRow("local, 3 nodes") << 2 << 3 << 2;
}

void TestSwim::retransmitLimit()
{
    QFETCH(int, mult);
    QFETCH(int, n);
    QFETCH(int, expected);
    QCOMPARE(conclave::gossip::retransmitLimit(mult, n), expected);
}

void TestSwim::pushPullScale_data()
{
    QTest::addColumn<int>("n");
    QTest::addColumn<qint64>("expected");
    QTest::newRow("32") << 32 << qint64(30000);
    QTest::newRow("33") << 33 << qint64(60000);
    QTest::newRow("64") << 64 << qint64(60000);
    QTest::newRow("65") << 65 << qint64(90000);
    QTest::newRow("200") << 200 << qint64(120000);
}

void TestSwim::pushPullScale()
{
    QFETCH(int, n);
    QFETCH(qint64, expected);
    QCOMPARE(pushPullScaleMs(30000, n), expected);
}

void TestSwim::precedence_data()
{
    // b starts in `initial` at incarnation 5 (or unknown); then `msg` arrives from c's gossip.
    QTest::addColumn<QString>("initial");
    QTest::addColumn<QString>("msg");
    QTest::addColumn<int>("inc");
    QTest::addColumn<QString>("expectState");  // "" = unknown member
    QTest::addColumn<int>("expectInc");
    const QString alive = QStringLiteral("alive"), suspect = QStringLiteral("suspect"),
                  dead = QStringLiteral("dead"), left = QStringLiteral("left"),
                  leave = QStringLiteral("leave"), none;
    QTest::newRow("alive, older alive ignored") << alive << alive << 4 << alive << 5;
    QTest::newRow("alive, same alive ignored") << alive << alive << 5 << alive << 5;
    QTest::newRow("alive, newer alive taken") << alive << alive << 6 << alive << 6;
    QTest::newRow("alive, older suspect ignored") << alive << suspect << 4 << alive << 5;
    QTest::newRow("alive, same suspect taken") << alive << suspect << 5 << suspect << 5;
    QTest::newRow("alive, newer suspect taken") << alive << suspect << 6 << suspect << 6;
    QTest::newRow("alive, older dead ignored") << alive << dead << 4 << alive << 5;
    QTest::newRow("alive, same dead taken") << alive << dead << 5 << dead << 5;
    QTest::newRow("alive, newer dead taken") << alive << dead << 7 << dead << 7;
    QTest::newRow("alive, leave") << alive << leave << 5 << left << 5;
    QTest::newRow("suspect, same alive ignored") << suspect << alive << 5 << suspect << 5;
    QTest::newRow("suspect, newer alive refutes") << suspect << alive << 6 << alive << 6;
    QTest::newRow("suspect, newer suspect only confirms") << suspect << suspect << 6 << suspect << 5;
    QTest::newRow("suspect, same dead taken") << suspect << dead << 5 << dead << 5;
    QTest::newRow("suspect, older dead ignored") << suspect << dead << 4 << suspect << 5;
    QTest::newRow("dead, same alive ignored") << dead << alive << 5 << dead << 5;
    QTest::newRow("dead, newer alive revives") << dead << alive << 6 << alive << 6;
    QTest::newRow("dead, newer suspect ignored") << dead << suspect << 6 << dead << 5;
    QTest::newRow("dead, newer dead ignored") << dead << dead << 6 << dead << 5;
    QTest::newRow("dead, older leave ignored") << dead << leave << 4 << dead << 5;
    QTest::newRow("dead, leave (force-leave) → left") << dead << leave << 5 << left << 5;
    QTest::newRow("left, newer alive rejoins") << left << alive << 6 << alive << 6;
    QTest::newRow("left, same alive ignored") << left << alive << 5 << left << 5;
    QTest::newRow("left, newer dead ignored") << left << dead << 6 << left << 5;
    QTest::newRow("unknown, alive creates") << none << alive << 3 << alive << 3;
    QTest::newRow("unknown, suspect ignored") << none << suspect << 3 << none << 0;
    QTest::newRow("unknown, dead ignored") << none << dead << 3 << none << 0;
}

void TestSwim::precedence()
{
    QFETCH(QString, initial);
    QFETCH(QString, msg);
    QFETCH(int, inc);
    QFETCH(QString, expectState);
    QFETCH(int, expectInc);
    const QString b = QStringLiteral("b"), c = QStringLiteral("c");
    Swim s(cfg(QStringLiteral("a")), 1, 0);
    addAlive(s, c, 1, 0);
    if (!initial.isEmpty()) {
        addAlive(s, b, 5, 0);
        if (initial == QLatin1String("suspect"))
            feed(s, Suspect{5, b, c}, 0);
        else if (initial == QLatin1String("dead"))
            feed(s, Dead{5, b, c}, 0);
        else if (initial == QLatin1String("left"))
            feed(s, Dead{5, b, b}, 0);
        QCOMPARE(nodeStateName(s.member(b)->state), initial);
    }
    const quint32 i = quint32(inc);
    if (msg == QLatin1String("alive"))
        addAlive(s, b, i, 10);
    else if (msg == QLatin1String("suspect"))
        feed(s, Suspect{i, b, QStringLiteral("d")}, 10);
    else if (msg == QLatin1String("dead"))
        feed(s, Dead{i, b, c}, 10);
    else
        feed(s, Dead{i, b, b}, 10);
    const Member *m = s.member(b);
    if (expectState.isEmpty()) {
        QVERIFY(!m);
        return;
    }
    QVERIFY(m);
    QCOMPARE(nodeStateName(m->state), expectState);
    QCOMPARE(int(m->incarnation), expectInc);
}

void TestSwim::refutation_data()
{
    QTest::addColumn<Message>("accusation");
    QTest::addColumn<int>("expectInc");
    QTest::addColumn<int>("expectScore");
    const QString a = QStringLiteral("a"), b = QStringLiteral("b");
    QTest::newRow("suspect at our incarnation") << Message(Suspect{1, a, b}) << 2 << 1;
    QTest::newRow("suspect from the future") << Message(Suspect{7, a, b}) << 8 << 1;
    QTest::newRow("dead") << Message(Dead{3, a, b}) << 4 << 1;
    QTest::newRow("leave we did not ask for") << Message(Dead{1, a, a}) << 2 << 1;
    QTest::newRow("alive with other tags") << Message(Alive{1, a, addrOf(a), {{QStringLiteral("x"), QStringLiteral("y")}}}) << 2 << 1;
    QTest::newRow("our own alive: nothing to do") << Message(Alive{1, a, addrOf(a), {}}) << 1 << 0;
    QTest::newRow("stale suspect is ignored") << Message(Suspect{0, a, b}) << 1 << 0;
}

void TestSwim::refutation()
{
    QFETCH(Message, accusation);
    QFETCH(int, expectInc);
    QFETCH(int, expectScore);
    Swim s(cfg(QStringLiteral("a")), 1, 0);
    addAlive(s, QStringLiteral("b"), 1, 0);
    s.takeOutbox();
    feed(s, accusation, 5);
    QCOMPARE(int(s.self().incarnation), expectInc);
    QCOMPARE(s.self().state, NodeState::Alive);
    QCOMPARE(s.healthScore(), expectScore);
    if (expectInc > 1) {
        // The refutation goes out with the next packet: an alive at the new incarnation.
        feed(s, Ping{42, QStringLiteral("a"), QStringLiteral("b"), addrOf(QStringLiteral("b"))}, 6);
        const Outbox out = s.takeOutbox();
        QCOMPARE(find<Ack>(out).size(), std::size_t(1));
        bool refuted = false;
        for (const Alive &al : find<Alive>(out))
            refuted |= al.node == QLatin1String("a") && int(al.incarnation) == expectInc;
        QVERIFY(refuted);
    }
}

void TestSwim::confirmationsShrinkTheTimer()
{
    Swim s(cfg(QStringLiteral("a")), 1, 0);
    for (const char *n : {"b", "c", "d", "e", "f"})
        addAlive(s, QString::fromLatin1(n), 1, 0);
    // n = 6 → k = SuspicionMult − 2 = 2; min = 4 s, max = 24 s.
    feed(s, Suspect{1, QStringLiteral("b"), QStringLiteral("c")}, 1000);
    QCOMPARE(*s.suspicionDeadline(QStringLiteral("b")), 1000 + 24000);
    feed(s, Suspect{1, QStringLiteral("b"), QStringLiteral("c")}, 2000);  // same suspector: no
    QCOMPARE(*s.suspicionDeadline(QStringLiteral("b")), 1000 + 24000);
    feed(s, Suspect{1, QStringLiteral("b"), QStringLiteral("d")}, 2000);
    QCOMPARE(s.suspicionConfirmations(QStringLiteral("b")), 1);
    QCOMPARE(*s.suspicionDeadline(QStringLiteral("b")), 1000 + 11381);
    feed(s, Suspect{1, QStringLiteral("b"), QStringLiteral("e")}, 3000);
    QCOMPARE(*s.suspicionDeadline(QStringLiteral("b")), 1000 + 4000);
    s.takeOutbox();
    s.tick(4999);
    QCOMPARE(s.member(QStringLiteral("b"))->state, NodeState::Suspect);
    s.tick(5000);
    QCOMPARE(s.member(QStringLiteral("b"))->state, NodeState::Dead);
    const Outbox out = s.takeOutbox();
    QCOMPARE(out.events.size(), std::size_t(1));
    QCOMPARE(out.events[0].type, MemberEventType::Failed);
    QCOMPARE(out.events[0].member.status(), MemberStatus::Failed);
}

void TestSwim::awareness_data()
{
    QTest::addColumn<int>("helpers");
    QTest::addColumn<int>("nacks");
    QTest::addColumn<int>("expectScore");
    QTest::newRow("no helpers: +1") << 0 << 0 << 1;
    QTest::newRow("3 helpers, no nack: +3") << 3 << 0 << 3;
    QTest::newRow("3 helpers, 1 nack: +2") << 3 << 1 << 2;
    QTest::newRow("3 helpers, all nack: +0") << 3 << 3 << 0;
    QTest::newRow("2 helpers, 1 nack: +1") << 2 << 1 << 1;
}

void TestSwim::awareness()
{
    QFETCH(int, helpers);
    QFETCH(int, nacks);
    QFETCH(int, expectScore);
    Config c = cfg(QStringLiteral("a"));
    c.disableTcpPings = true;
    Swim s(c, 7, 0);
    addAlive(s, QStringLiteral("b"), 1, 0);
    const QStringList others{QStringLiteral("c"), QStringLiteral("d"), QStringLiteral("e")};
    for (int i = 0; i < helpers; ++i)
        addAlive(s, others[i], 1, 0);
    // Probe until the target is b (with helpers, others get probed too: ack those).
    qint64 now = 0;
    std::optional<Ping> ping;
    for (int round = 0; round < 10; ++round) {
        ping = nextPing(s, now);
        QVERIFY(ping);
        if (ping->target == QLatin1String("b"))
            break;
        feed(s, Ack{ping->seqNo}, now + 1);
    }
    QCOMPARE(ping->target, QStringLiteral("b"));
    const int before = s.healthScore();
    // The direct ping times out after ProbeTimeout × (score + 1): indirect pings go out.
    const qint64 start = now;
    const Outbox ind = runUntil(s, start + s.scaledMs(500));
    const std::vector<IndirectPing> reqs = find<IndirectPing>(ind);
    QCOMPARE(int(reqs.size()), helpers);
    for (const IndirectPing &r : reqs) {
        QCOMPARE(r.target, QStringLiteral("b"));
        QCOMPARE(r.seqNo, ping->seqNo);
        QVERIFY(r.wantNack);
    }
    for (int i = 0; i < nacks; ++i)
        feed(s, Nack{ping->seqNo}, start + 800);
    runUntil(s, start + s.scaledMs(1000));
    QCOMPARE(s.member(QStringLiteral("b"))->state, NodeState::Suspect);
    QCOMPARE(s.healthScore() - before, expectScore);
    // The score stretches the next probe's timeout and interval.
    QCOMPARE(s.scaledMs(500), 500 * (s.healthScore() + 1));
}

void TestSwim::successfulProbeLowersScore()
{
    Swim s(cfg(QStringLiteral("a")), 3, 0);
    addAlive(s, QStringLiteral("b"), 1, 0);
    feed(s, Suspect{1, QStringLiteral("a"), QStringLiteral("b")}, 0);  // refute: +1
    feed(s, Suspect{2, QStringLiteral("a"), QStringLiteral("b")}, 0);  // refute: +1
    QCOMPARE(s.healthScore(), 2);
    qint64 now = 0;
    const std::optional<Ping> ping = nextPing(s, now);
    QVERIFY(ping);
    feed(s, Ack{ping->seqNo}, now + 3);
    QCOMPARE(s.healthScore(), 1);
    // The next probe comes one scaled interval (2 × 1 s at score 1 when it started: 3 s) later.
    const qint64 first = now;
    QVERIFY(nextPing(s, now));
    QCOMPARE(now - first, 3000);
}

void TestSwim::buddySuspectRidesOnThePing()
{
    Swim s(cfg(QStringLiteral("a")), 5, 0);
    addAlive(s, QStringLiteral("b"), 4, 0);
    feed(s, Suspect{4, QStringLiteral("b"), QStringLiteral("c")}, 0);
    qint64 now = 0;
    Outbox out;
    const std::optional<Ping> ping = nextPing(s, now, &out);
    QVERIFY(ping);
    QCOMPARE(ping->target, QStringLiteral("b"));
    const std::vector<Suspect> sus = find<Suspect>(out, addrOf(QStringLiteral("b")));
    QVERIFY(!sus.empty());
    QCOMPARE(sus.front().node, QStringLiteral("b"));
    QCOMPARE(sus.front().incarnation, 4u);
    QCOMPARE(sus.front().from, QStringLiteral("a"));
}

void TestSwim::buddyTargetRefutesAtOnce()
{
    Swim b(cfg(QStringLiteral("b")), 5, 0);
    addAlive(b, QStringLiteral("a"), 1, 0);
    b.takeOutbox();
    const QByteArray pkt = encodeCompound({encode(Ping{9, QStringLiteral("b"), QStringLiteral("a"), addrOf(QStringLiteral("a"))}),
                                           encode(Suspect{1, QStringLiteral("b"), QStringLiteral("a")})});
    b.handlePacket(addrOf(QStringLiteral("a")), pkt, 10);
    const Outbox out = b.takeOutbox();
    QCOMPARE(out.packets.size(), std::size_t(1));
    QCOMPARE(out.packets[0].to, addrOf(QStringLiteral("a")));
    // The ack carries the refutation.
    QCOMPARE(find<Ack>(out).size(), std::size_t(1));
    const std::vector<Alive> alive = find<Alive>(out);
    QVERIFY(std::any_of(alive.begin(), alive.end(), [](const Alive &al) {
        return al.node == QLatin1String("b") && al.incarnation == 2;
    }));
}

void TestSwim::indirectPingRelaysAckOrNack()
{
    Swim h(cfg(QStringLiteral("h")), 5, 0);
    h.takeOutbox();
    const QString a = addrOf(QStringLiteral("a")), t = addrOf(QStringLiteral("t"));
    feed(h, IndirectPing{77, QStringLiteral("t"), t, true, QStringLiteral("a"), a}, 100, a);
    Outbox out = h.takeOutbox();
    const std::vector<Ping> pings = find<Ping>(out, t);
    QCOMPARE(pings.size(), std::size_t(1));
    // Target answers: the ack goes back to the prober with the prober's sequence number.
    feed(h, Ack{pings[0].seqNo}, 120, t);
    out = h.takeOutbox();
    const std::vector<Ack> acks = find<Ack>(out, a);
    QCOMPARE(acks.size(), std::size_t(1));
    QCOMPARE(acks[0].seqNo, 77u);
    // Second request: the target stays silent → a nack before the prober's interval ends.
    feed(h, IndirectPing{78, QStringLiteral("t"), t, true, QStringLiteral("a"), a}, 200, a);
    h.takeOutbox();
    const Outbox later = runUntil(h, 200 + 500);
    const std::vector<Nack> nacks = find<Nack>(later, a);
    QCOMPARE(nacks.size(), std::size_t(1));
    QCOMPARE(nacks[0].seqNo, 78u);
}

void TestSwim::broadcastQueue()
{
    BroadcastQueue q;
    q.queue(QStringLiteral("x"), QByteArray(10, 'a'));
    q.queue(QStringLiteral("y"), QByteArray(10, 'b'));
    q.queue(QStringLiteral("x"), QByteArray(10, 'c'));  // replaces the older news about x
    QCOMPARE(q.size(), 2);
    std::vector<QByteArray> got = q.take(0, 1400, 2);
    QCOMPARE(got.size(), std::size_t(2));
    QCOMPARE(got[0], QByteArray(10, 'c'));  // newest first
    QCOMPARE(q.transmitsOf(QStringLiteral("x")), 1);
    // Budget: only one fits.
    got = q.take(0, 12, 2);
    QCOMPARE(got.size(), std::size_t(1));
    got = q.take(0, 1400, 2);
    QCOMPARE(got.size(), std::size_t(1));  // the other had its 2 transmits
    QVERIFY(q.isEmpty());
}

void TestSwim::packetsStayUnderTheLimit()
{
    Swim s(cfg(QStringLiteral("a")), 1, 0);
    for (int i = 0; i < 300; ++i) {
        feed(s, Alive{1, QStringLiteral("member-%1").arg(i), QStringLiteral("10.1.%1.%2:8301").arg(i / 256).arg(i % 256),
                      {{QStringLiteral("role"), QStringLiteral("node")}, {QStringLiteral("dc"), QStringLiteral("dc1")}}}, 0);
    }
    QVERIFY(s.pendingBroadcasts() >= 300);
    const Outbox out = runUntil(s, 5000);
    QVERIFY(out.packets.size() > 10);
    for (const Packet &p : out.packets)
        QVERIFY2(p.bytes.size() <= 1400, qPrintable(QString::number(p.bytes.size())));
    QVERIFY(std::any_of(out.packets.begin(), out.packets.end(), [](const Packet &p) { return p.bytes.size() > 1200; }));
}

void TestSwim::leaveIsNotRefuted()
{
    Swim s(cfg(QStringLiteral("a")), 1, 0);
    addAlive(s, QStringLiteral("b"), 1, 0);
    s.takeOutbox();
    s.leave(100);
    QCOMPARE(s.self().state, NodeState::Left);
    QCOMPARE(s.self().status(), MemberStatus::Leaving);
    feed(s, Suspect{1, QStringLiteral("a"), QStringLiteral("b")}, 200);
    feed(s, Dead{1, QStringLiteral("a"), QStringLiteral("b")}, 200);
    QCOMPARE(s.self().incarnation, 1u);
    const Outbox out = runUntil(s, 1000);
    const std::vector<Dead> d = find<Dead>(out);
    QVERIFY(!d.empty());
    QCOMPARE(d.front().node, QStringLiteral("a"));
    QCOMPARE(d.front().from, QStringLiteral("a"));
    // b sees it as left, not failed.
    Swim b(cfg(QStringLiteral("b")), 2, 0);
    addAlive(b, QStringLiteral("a"), 1, 0);
    b.takeOutbox();
    feed(b, d.front(), 300);
    QCOMPARE(b.member(QStringLiteral("a"))->status(), MemberStatus::Left);
    const Outbox bo = b.takeOutbox();
    QCOMPARE(bo.events.size(), std::size_t(1));
    QCOMPARE(bo.events[0].type, MemberEventType::Leave);
}

void TestSwim::reapAfterTimeouts()
{
    Config c = cfg(QStringLiteral("a"));
    c.reconnectTimeoutMs = 60000;
    c.tombstoneTimeoutMs = 120000;
    Swim s(c, 1, 0);
    addAlive(s, QStringLiteral("b"), 1, 0);
    addAlive(s, QStringLiteral("c"), 1, 0);
    addAlive(s, QStringLiteral("d"), 1, 0);
    feed(s, Dead{1, QStringLiteral("b"), QStringLiteral("d")}, 1000);
    feed(s, Dead{1, QStringLiteral("c"), QStringLiteral("c")}, 1000);
    s.takeOutbox();
    // Keep d answering so it stays alive.
    auto drive = [&](qint64 until) {
        Outbox all;
        while (s.nextDeadline() <= until) {
            const qint64 t = s.nextDeadline();
            s.tick(t);
            Outbox o = s.takeOutbox();
            for (const Ping &p : find<Ping>(o))
                feed(s, Ack{p.seqNo}, t + 1);
            const Outbox o2 = s.takeOutbox();
            o.events.insert(o.events.end(), o2.events.begin(), o2.events.end());
            all.events.insert(all.events.end(), o.events.begin(), o.events.end());
        }
        return all;
    };
    Outbox o = drive(60000);
    QVERIFY(s.member(QStringLiteral("b")));
    o = drive(80000);
    QVERIFY(!s.member(QStringLiteral("b")));
    QVERIFY(s.member(QStringLiteral("c")));
    QCOMPARE(o.events.size(), std::size_t(1));
    QCOMPARE(o.events[0].type, MemberEventType::Reap);
    QCOMPARE(o.events[0].member.name, QStringLiteral("b"));
    drive(140000);
    QVERIFY(!s.member(QStringLiteral("c")));
    QCOMPARE(s.member(QStringLiteral("d"))->state, NodeState::Alive);
}

void TestSwim::deadNodeReclaim()
{
    Swim s(cfg(QStringLiteral("a")), 1, 0);
    addAlive(s, QStringLiteral("b"), 3, 0);
    feed(s, Dead{3, QStringLiteral("b"), QStringLiteral("c")}, 1000);
    s.takeOutbox();
    const QString newAddr = QStringLiteral("10.9.9.9:8301");
    feed(s, Alive{1, QStringLiteral("b"), newAddr, {}}, 20000);  // too early
    QCOMPARE(s.member(QStringLiteral("b"))->state, NodeState::Dead);
    QCOMPARE(s.stats().addrConflicts, 1u);
    feed(s, Alive{1, QStringLiteral("b"), newAddr, {}}, 31000);  // 30 s dead: name reclaimed
    QCOMPARE(s.member(QStringLiteral("b"))->state, NodeState::Alive);
    QCOMPARE(s.member(QStringLiteral("b"))->addr, newAddr);
    const Outbox out = s.takeOutbox();
    QCOMPARE(out.events.size(), std::size_t(1));
    QCOMPARE(out.events[0].type, MemberEventType::Join);
    // An alive member's name is never taken over.
    feed(s, Alive{9, QStringLiteral("b"), addrOf(QStringLiteral("b")), {}}, 90000);
    QCOMPARE(s.member(QStringLiteral("b"))->addr, newAddr);
}

void TestSwim::forceLeave()
{
    Swim s(cfg(QStringLiteral("a")), 1, 0);
    addAlive(s, QStringLiteral("b"), 2, 0);
    addAlive(s, QStringLiteral("c"), 1, 0);
    QVERIFY(!s.forceLeave(QStringLiteral("b"), false, 10));  // alive: refused
    QVERIFY(!s.forceLeave(QStringLiteral("zz"), false, 10));
    feed(s, Dead{2, QStringLiteral("b"), QStringLiteral("c")}, 100);
    s.takeOutbox();
    QVERIFY(s.forceLeave(QStringLiteral("b"), false, 200));
    QCOMPARE(s.member(QStringLiteral("b"))->status(), MemberStatus::Left);
    Outbox out = s.takeOutbox();
    QCOMPARE(out.events.size(), std::size_t(1));
    QCOMPARE(out.events[0].type, MemberEventType::Leave);
    // The leave is gossiped so others turn failed into left too.
    out = runUntil(s, 1500);
    const std::vector<Dead> d = find<Dead>(out);
    QVERIFY(std::any_of(d.begin(), d.end(), [](const Dead &x) { return x.node == QLatin1String("b") && x.from == x.node; }));
    QVERIFY(s.forceLeave(QStringLiteral("b"), true, 2000));  // prune
    QVERIFY(!s.member(QStringLiteral("b")));
    out = s.takeOutbox();
    QCOMPARE(out.events.size(), std::size_t(1));
    QCOMPARE(out.events[0].type, MemberEventType::Reap);
}

void TestSwim::tcpFallbackSavesTheProbe()
{
    Swim s(cfg(QStringLiteral("a")), 11, 0);
    addAlive(s, QStringLiteral("b"), 1, 0);
    qint64 now = 0;
    const std::optional<Ping> ping = nextPing(s, now);
    QVERIFY(ping);
    const qint64 start = now;
    const Outbox out = runUntil(s, start + 500);
    QCOMPARE(out.streams.size(), std::size_t(1));
    const StreamRequest &req = out.streams[0];
    QCOMPARE(req.kind, StreamKind::Ping);
    QCOMPARE(req.to, addrOf(QStringLiteral("b")));
    QCOMPARE(req.timeoutMs, 500);  // what is left of the probe interval
    // b answers over TCP (its UDP is lost): the probe succeeds, nobody is suspected.
    Swim b(cfg(QStringLiteral("b")), 12, 0);
    const QByteArray reply = b.handleStream(addrOf(QStringLiteral("a")), req.bytes, start + 600);
    s.handleStreamResponse(req.id, reply, start + 610);
    runUntil(s, start + 999);
    QCOMPARE(s.member(QStringLiteral("b"))->state, NodeState::Alive);
    QCOMPARE(s.stats().failedProbes, 0u);
    // Next probe: the TCP ping fails too → suspect.
    const std::optional<Ping> again = nextPing(s, now);
    QVERIFY(again);
    const Outbox out2 = runUntil(s, now + 500);
    QCOMPARE(out2.streams.size(), std::size_t(1));
    s.streamFailed(out2.streams[0].id, now + 510);
    runUntil(s, now + 999);
    QCOMPARE(s.member(QStringLiteral("b"))->state, NodeState::Alive);
    s.tick(now + 1000);
    QCOMPARE(s.member(QStringLiteral("b"))->state, NodeState::Suspect);
    QCOMPARE(s.stats().failedProbes, 1u);
}

void TestSwim::remoteDeadOnlyMakesUsSuspect()
{
    Swim a(cfg(QStringLiteral("a")), 1, 0);
    addAlive(a, QStringLiteral("b"), 3, 0);
    a.takeOutbox();
    PushPull remote;
    remote.states = {PushNodeState{QStringLiteral("b"), addrOf(QStringLiteral("b")), 3, NodeState::Dead, {}},
                     PushNodeState{QStringLiteral("c"), addrOf(QStringLiteral("c")), 2, NodeState::Left, {}},
                     PushNodeState{QStringLiteral("a"), addrOf(QStringLiteral("a")), 4, NodeState::Dead, {}}};
    const QByteArray reply = a.handleStream(addrOf(QStringLiteral("c")), encode(remote), 100);
    QCOMPARE(a.member(QStringLiteral("b"))->state, NodeState::Suspect);
    QVERIFY(!a.member(QStringLiteral("c")));  // unknown and not alive: nothing to learn
    QCOMPARE(a.self().incarnation, 5u);        // refuted the remote view of us
    // The reply is our state as it was before the merge.
    const auto back = decode(reply);
    QVERIFY(back && std::holds_alternative<PushPull>(*back));
    const PushPull &ours = std::get<PushPull>(*back);
    QCOMPARE(ours.join, false);
    QCOMPARE(ours.states.size(), std::size_t(2));
    QCOMPARE(ours.states[1].name, QStringLiteral("b"));
    QCOMPARE(ours.states[1].state, NodeState::Alive);
}

void TestSwim::sameSeedSameOutboxes()
{
    auto run = [](quint64 seed) {
        Swim s(cfg(QStringLiteral("a")), seed, 0);
        for (const char *n : {"b", "c", "d", "e"})
            addAlive(s, QString::fromLatin1(n), 1, 0);
        QList<QByteArray> trace;
        for (int i = 0; i < 100; ++i) {
            s.tick(s.nextDeadline());
            for (const Packet &p : s.takeOutbox().packets)
                trace << p.to.toUtf8() + ' ' + p.bytes.toHex();
        }
        return trace;
    };
    const QList<QByteArray> one = run(42);
    QVERIFY(one.size() > 20);
    QCOMPARE(run(42), one);
    QVERIFY(run(43) != one);
}

void TestSwim::joinAndPushPull()
{
    Swim a(cfg(QStringLiteral("a")), 1, 0);
    Swim b(cfg(QStringLiteral("b")), 2, 0);
    addAlive(b, QStringLiteral("c"), 4, 0);
    const Outbox first = a.takeOutbox();
    QCOMPARE(first.events.size(), std::size_t(1));  // ourselves
    QCOMPARE(first.events[0].type, MemberEventType::Join);
    b.takeOutbox();
    const std::vector<quint64> ids = a.join({addrOf(QStringLiteral("b")), addrOf(QStringLiteral("a"))}, 10);
    QCOMPARE(ids.size(), std::size_t(1));  // our own address is skipped
    Outbox out = a.takeOutbox();
    QCOMPARE(out.streams.size(), std::size_t(1));
    QCOMPARE(out.streams[0].kind, StreamKind::Join);
    QCOMPARE(out.streams[0].to, addrOf(QStringLiteral("b")));
    const QByteArray reply = b.handleStream(addrOf(QStringLiteral("a")), out.streams[0].bytes, 15);
    QVERIFY(b.member(QStringLiteral("a")));
    a.handleStreamResponse(ids[0], reply, 20);
    QCOMPARE(a.joinedCount(), 1);
    QCOMPARE(a.member(QStringLiteral("b"))->state, NodeState::Alive);
    QCOMPARE(a.member(QStringLiteral("c"))->incarnation, 4u);
    out = a.takeOutbox();
    QCOMPARE(out.events.size(), std::size_t(2));
    // A TCP ping is answered with an ack only when addressed to us.
    const auto ack = decode(b.handleStream(addrOf(QStringLiteral("a")), encode(Ping{5, QStringLiteral("b"), QStringLiteral("a"), {}}), 30));
    QVERIFY(ack && *ack == Message(Ack{5}));
    QVERIFY(b.handleStream(addrOf(QStringLiteral("a")), encode(Ping{5, QStringLiteral("z"), QStringLiteral("a"), {}}), 30).isEmpty());
}

void TestSwim::malformedPacketsAreCounted()
{
    Swim s(cfg(QStringLiteral("a")), 1, 0);
    s.handlePacket(QStringLiteral("x"), QByteArray("garbage"), 1);
    s.handlePacket(QStringLiteral("x"), encode(PushPull{}), 1);  // not on UDP
    QCOMPARE(s.stats().malformed, 2u);
    QVERIFY(s.handleStream(QStringLiteral("x"), QByteArray("\x01"), 1).isEmpty());
    QCOMPARE(s.stats().malformed, 3u);
}

QTEST_APPLESS_MAIN(TestSwim)
#include "tst_swim.moc"
