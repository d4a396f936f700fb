// Seeded simulation of gossip pools of 10, 50 and 200 members with default LAN parameters:
// joins and failures reach every member, no false positives under 5% and 20% UDP loss, and a
// CPU-starved member does not get healthy peers declared failed (Lifeguard). Prints detection
// time (kill → failed at all members) and convergence time (join → known by all).
//
//   tst_sim_gossip            CI sizes and durations (< 60 s in RelWithDebInfo)
//   tst_sim_gossip --long     the full soak (10 simulated minutes at 200 members per loss rate)
//   SIM_SEED=n tst_sim_gossip replay one seed (the default seed is 1; failures print theirs)

#include "gossip_sim.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QtTest>

#include <algorithm>
#include <cstdio>

using namespace conclave::sim;
using conclave::gossip::MemberEventType;
using conclave::gossip::NodeState;

namespace {

bool g_long = false;
quint64 g_seed = 1;

struct Summary {
    qint64 median = -1;
    qint64 p99 = -1;
    qint64 max = -1;
};

Summary summarize(std::vector<qint64> v)
{
    Summary s;
    if (v.empty())
        return s;
    std::sort(v.begin(), v.end());
    const auto at = [&](double q) {
        return v[std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5))];
    };
    s.median = at(0.5);
    s.p99 = at(0.99);
    s.max = v.back();
    return s;
}

QString seedNote(quint64 seed)
{
    return QStringLiteral(" (replay: SIM_SEED=%1)").arg(seed);
}

/// n members, each joining through member 0 and one random earlier member, 20 ms apart.
void bootstrap(GossipSim &sim, int n, std::mt19937_64 &rng)
{
    sim.addMember({});
    for (int i = 1; i < n; ++i) {
        std::vector<int> seeds{0};
        if (i > 1)
            seeds.push_back(1 + int(rng() % quint64(i - 1)));
        sim.addMember(seeds);
        sim.runFor(20);
    }
}

}  // namespace

class TestSimGossip : public QObject {
    Q_OBJECT

private slots:
    void joinAndFailure_data();
    void joinAndFailure();
    void noFalsePositivesUnderLoss_data();
    void noFalsePositivesUnderLoss();
    void starvedMemberDoesNotAccuseHealthyPeers_data();
    void starvedMemberDoesNotAccuseHealthyPeers();
    void gracefulLeaveIsNotAFailure();
    void sameSeedSameRun();
};

void TestSimGossip::joinAndFailure_data()
{
    QTest::addColumn<int>("members");
    QTest::addColumn<int>("joins");
    QTest::addColumn<int>("kills");
    QTest::newRow("10 members") << 10 << 5 << 5;
    QTest::newRow("50 members") << 50 << 5 << 5;
    QTest::newRow("200 members") << 200 << (g_long ? 10 : 3) << (g_long ? 10 : 3);
}

void TestSimGossip::joinAndFailure()
{
    QFETCH(int, members);
    QFETCH(int, joins);
    QFETCH(int, kills);
    const quint64 seed = g_seed;
    std::mt19937_64 rng(seed);
    GossipSim sim(GossipSimConfig{seed});
    bootstrap(sim, members, rng);
    const qint64 bootStart = 0;
    QVERIFY2(sim.runUntilTrue([&] { return sim.converged(); }, sim.now() + 300000),
             qPrintable(QStringLiteral("bootstrap did not converge") + seedNote(seed)));
    const qint64 bootConverged = sim.now() - bootStart;
    sim.runFor(10000);

    // Joins: one new member at a time, through one random existing member.
    std::vector<qint64> joinAll;
    std::vector<qint64> joinEach;
    for (int j = 0; j < joins; ++j) {
        int via = int(rng() % quint64(sim.size()));
        while (!sim.isUp(via))
            via = int(rng() % quint64(sim.size()));
        const qint64 t0 = sim.now();
        const int fresh = sim.addMember({via});
        QVERIFY2(sim.runUntilTrue([&] { return sim.allSee(fresh, NodeState::Alive); }, t0 + 120000),
                 qPrintable(QStringLiteral("join of %1 not known by all").arg(fresh) + seedNote(seed)));
        joinAll.push_back(sim.now() - t0);
        sim.runFor(5000);
        for (qint64 t : sim.eventTimes(fresh, MemberEventType::Join)) {
            if (t >= 0)
                joinEach.push_back(t - t0);
        }
        sim.runFor(5000);
    }

    // Failures: kill one member at a time; every live member must declare it failed.
    std::vector<qint64> detectAll;
    std::vector<qint64> detectEach;
    for (int k = 0; k < kills; ++k) {
        int victim = 1 + int(rng() % quint64(sim.size() - 1));
        while (!sim.isUp(victim))
            victim = 1 + int(rng() % quint64(sim.size() - 1));
        const qint64 t0 = sim.now();
        sim.kill(victim);
        QVERIFY2(sim.runUntilTrue([&] { return sim.allSee(victim, NodeState::Dead); }, t0 + 120000),
                 qPrintable(QStringLiteral("failure of %1 not detected by all").arg(victim) + seedNote(seed)));
        detectAll.push_back(sim.now() - t0);
        for (qint64 t : sim.eventTimes(victim, MemberEventType::Failed)) {
            QVERIFY(t >= t0);
            detectEach.push_back(t - t0);
        }
        sim.runFor(20000);
    }
    QVERIFY2(sim.falsePositives() == 0, qPrintable(sim.firstFalsePositive() + seedNote(seed)));

    const Summary da = summarize(detectAll), de = summarize(detectEach);
    const Summary ja = summarize(joinAll), je = summarize(joinEach);
    std::printf("gossip sim n=%d seed=%llu: bootstrap converged in %lld ms\n"
                "  detection  (kill → failed) at all members: median %lld  p99 %lld  max %lld ms"
                "  | per member: median %lld  p99 %lld  max %lld ms  (%d kills)\n"
                "  convergence (join → alive) at all members: median %lld  p99 %lld  max %lld ms"
                "  | per member: median %lld  p99 %lld  max %lld ms  (%d joins)\n"
                "  false positives: %d, packets %llu\n",
                members, static_cast<unsigned long long>(seed), static_cast<long long>(bootConverged),
                static_cast<long long>(da.median), static_cast<long long>(da.p99), static_cast<long long>(da.max),
                static_cast<long long>(de.median), static_cast<long long>(de.p99), static_cast<long long>(de.max), kills,
                static_cast<long long>(ja.median), static_cast<long long>(ja.p99), static_cast<long long>(ja.max),
                static_cast<long long>(je.median), static_cast<long long>(je.p99), static_cast<long long>(je.max), joins,
                sim.falsePositives(), static_cast<unsigned long long>(sim.packets()));
    std::fflush(stdout);
    // Detection needs a failed probe (≤ 1–2 probe intervals per prober, n probers) plus the
    // suspicion timeout (≥ SuspicionMult × log10(n) s); 60 s would mean something is broken.
    QVERIFY(da.max < 60000);
}

void TestSimGossip::noFalsePositivesUnderLoss_data()
{
    QTest::addColumn<double>("loss");
    QTest::addColumn<int>("members");
    QTest::addColumn<qint64>("durationMs");
    const qint64 soak = 600000;
    QTest::newRow("5% loss") << 0.05 << (g_long ? 200 : 50) << (g_long ? soak : qint64(120000));
    QTest::newRow("20% loss") << 0.20 << (g_long ? 200 : 50) << (g_long ? soak : qint64(120000));
}

void TestSimGossip::noFalsePositivesUnderLoss()
{
    QFETCH(double, loss);
    QFETCH(int, members);
    QFETCH(qint64, durationMs);
    const quint64 seed = g_seed;
    std::mt19937_64 rng(seed);
    GossipSimConfig c{seed};
    c.loss = loss;
    GossipSim sim(c);
    bootstrap(sim, members, rng);
    QVERIFY2(sim.runUntilTrue([&] { return sim.converged(); }, sim.now() + 300000),
             qPrintable(QStringLiteral("bootstrap did not converge") + seedNote(seed)));
    const qint64 t0 = sim.now();
    sim.runFor(durationMs);
    int suspects = 0;
    for (int i = 0; i < sim.size(); ++i) {
        for (const auto &m : sim.core(i).members())
            suspects += m.state == NodeState::Suspect ? 1 : 0;
    }
    std::printf("gossip sim n=%d loss=%.0f%% seed=%llu: %lld simulated s, false positives %d, "
                "suspects at the end %d, packets %llu\n",
                members, loss * 100, static_cast<unsigned long long>(seed),
                static_cast<long long>((sim.now() - t0) / 1000), sim.falsePositives(), suspects,
                static_cast<unsigned long long>(sim.packets()));
    std::fflush(stdout);
    QVERIFY2(sim.falsePositives() == 0, qPrintable(sim.firstFalsePositive() + seedNote(seed)));
    QVERIFY(sim.converged());
    QVERIFY(sim.coresConverged());
}

void TestSimGossip::starvedMemberDoesNotAccuseHealthyPeers_data()
{
    QTest::addColumn<bool>("lifeguard");
    QTest::newRow("lifeguard") << true;
    // For comparison only: what the same starvation does without Lifeguard (not asserted).
    QTest::newRow("without lifeguard") << false;
}

void TestSimGossip::starvedMemberDoesNotAccuseHealthyPeers()
{
    QFETCH(bool, lifeguard);
    const quint64 seed = g_seed;
    std::mt19937_64 rng(seed);
    GossipSimConfig c{seed};
    c.lifeguard = lifeguard;
    GossipSim sim(c);
    const int members = 20;
    bootstrap(sim, members, rng);
    QVERIFY(sim.runUntilTrue([&] { return sim.converged(); }, sim.now() + 120000));
    // Member 5 is starved: every packet it receives waits 0–2 s in its backlog (so most acks
    // and nacks come after its probe timeout), and it gets the CPU for 1 s out of every 2, its
    // late timers running before the packets that queued up meanwhile.
    const int slow = 5;
    sim.lagInput(slow, 2000);
    sim.starve(slow, 2000, 1000);
    sim.runFor(g_long ? 600000 : 180000);
    int aboutHealthy = 0;
    int aboutSlow = 0;
    for (const auto &[observer, subject] : sim.falseFailures()) {
        Q_UNUSED(observer);
        (subject == slow ? aboutSlow : aboutHealthy) += 1;
    }
    const auto &st = sim.core(slow).stats();
    std::printf("gossip sim starved member (input lag 0-2 s, frozen 1 s of 2, lifeguard %s): "
                "healthy peers declared failed %d, starved member declared failed %d times; "
                "it probed %llu times, %llu failed (its accusations), health score %d, "
                "refutes %llu\n",
                lifeguard ? "on" : "off", aboutHealthy, aboutSlow,
                static_cast<unsigned long long>(st.probes), static_cast<unsigned long long>(st.failedProbes),
                sim.core(slow).healthScore(), static_cast<unsigned long long>(st.refutes));
    std::fflush(stdout);
    if (lifeguard)
        QVERIFY2(aboutHealthy == 0, qPrintable(sim.firstFalsePositive() + seedNote(seed)));
}

void TestSimGossip::gracefulLeaveIsNotAFailure()
{
    const quint64 seed = g_seed;
    std::mt19937_64 rng(seed);
    GossipSim sim(GossipSimConfig{seed});
    bootstrap(sim, 30, rng);
    QVERIFY(sim.runUntilTrue([&] { return sim.converged(); }, sim.now() + 120000));
    const qint64 t0 = sim.now();
    sim.leave(7);
    sim.runFor(3000);  // LeavePropagateDelay, then the process exits
    sim.kill(7);
    QVERIFY(sim.runUntilTrue([&] { return sim.allSee(7, NodeState::Left); }, t0 + 60000));
    sim.runFor(60000);
    QVERIFY(sim.allSee(7, NodeState::Left));
    for (qint64 t : sim.eventTimes(7, MemberEventType::Failed))
        QCOMPARE(t, qint64(-1));
    for (qint64 t : sim.eventTimes(7, MemberEventType::Leave))
        QVERIFY(t >= t0 && t < t0 + 3000);
}

void TestSimGossip::sameSeedSameRun()
{
    auto run = [](quint64 seed) {
        std::mt19937_64 rng(seed);
        GossipSimConfig c{seed};
        c.loss = 0.1;
        GossipSim sim(c);
        bootstrap(sim, 10, rng);
        sim.runFor(30000);
        sim.kill(3);
        sim.runFor(30000);
        return std::make_tuple(sim.packets(), sim.events(), sim.core(0).stats().probes,
                               sim.core(1).self().incarnation);
    };
    QCOMPARE(run(g_seed), run(g_seed));
}

int main(int argc, char **argv)
{
    std::vector<char *> args;
    for (int i = 0; i < argc; ++i) {
        if (qstrcmp(argv[i], "--long") == 0) {
            g_long = true;
            continue;
        }
        args.push_back(argv[i]);
    }
    const QByteArray single = qgetenv("SIM_SEED");
    if (!single.isEmpty())
        g_seed = single.toULongLong();
    int qtArgc = int(args.size());
    QCoreApplication app(qtArgc, args.data());
    TestSimGossip test;
    return QTest::qExec(&test, qtArgc, args.data());
}

#include "tst_sim_gossip.moc"
