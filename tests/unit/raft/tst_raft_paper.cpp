// RaftCore against the Raft paper (Ongaro & Ousterhout 2014) and thesis, sentence by sentence in
// etcd's raft_paper_test.go style: set up, act, check. Each test cites the section it covers.

#include "raft_test_util.h"

#include "core/raft/invariants.h"

#include <QtTest>

using namespace conclave::raft;
using namespace conclave::raft::test;

namespace {

Message msg(MessageType type, const NodeId &from, const NodeId &to, quint64 term)
{
    Message m;
    m.type = type;
    m.from = from;
    m.to = to;
    m.term = Term{term};
    return m;
}

std::vector<Message> take(RaftCore &core)
{
    std::vector<Message> out;
    while (core.hasReady()) {
        Ready rd = core.ready();
        for (Message &m : rd.messages)
            out.push_back(std::move(m));
        core.advance(rd);
    }
    return out;
}

// Terms of a node's log, for compact assertions.
QList<quint64> logTerms(const RaftCore &core)
{
    QList<quint64> out;
    for (LogIndex i = core.log().firstIndex(); i <= core.lastIndex(); i = i + 1)
        out << core.log().term(i)->value;
    return out;
}

Entry entry(quint64 term, quint64 index, const char *data = "")
{
    return Entry{Term{term}, LogIndex{index}, EntryType::Normal, QByteArray(data)};
}

// A single core n1 in a cluster of `n` voters, with a given stored log and term.
std::unique_ptr<RaftCore> coreWithLog(int n, const std::vector<Entry> &log, quint64 term,
                                      const NodeId &id = nid(1), bool preVote = false)
{
    InitialState s = InitialState::bootstrap(voters(n));
    s.entries = log;
    s.hardState.term = Term{term};
    return std::make_unique<RaftCore>(testConfig(id, preVote), s, 7);
}

}  // namespace

class TestRaftPaper : public QObject {
    Q_OBJECT

private slots:
    // ---- §5.1 terms -------------------------------------------------------------------------
    void higherTermTurnsAnyRoleIntoFollower_data();
    void higherTermTurnsAnyRoleIntoFollower();
    void staleTermMessageIsAnsweredWithCurrentTerm();

    // ---- §5.2 leader election ---------------------------------------------------------------
    void followerStartsElectionAfterTimeout();
    void electionTimeoutIsRandomizedInRange();
    void candidateWinsWithMajority_data();
    void candidateWinsWithMajority();
    void voterGrantsOneVotePerTerm();
    void candidateStepsDownOnAppendOfSameTerm();
    void leaderSendsHeartbeatsEveryHeartbeatTicks();

    // ---- §5.3 log replication ---------------------------------------------------------------
    void leaderReplicatesAndCommitsOnQuorum();
    void followerRejectsMismatchedPrevWithHint_data();
    void followerRejectsMismatchedPrevWithHint();
    void followerTruncatesConflictingSuffix();
    void leaderBringsDivergentFollowersInLine_data();
    void leaderBringsDivergentFollowersInLine();
    void appendsAreBatchedAndPipelined();
    void staleReorderedAppendDoesNotTruncate();

    // ---- §5.4 safety ------------------------------------------------------------------------
    void voteRequiresUpToDateLog_data();
    void voteRequiresUpToDateLog();
    void oldTermEntriesCommitOnlyWithCurrentTermEntry();
    void newLeaderAppendsEmptyEntry();

    // ---- thesis §9.6 pre-vote and §6.2 check-quorum ----------------------------------------
    void preVoteKeepsRejoiningNodeFromBumpingTerm();
    void preVoteWinsThenRealElection();
    void checkQuorumLeaderStepsDownWhenIsolated();
    void checkQuorumFollowerIgnoresVotesWhileLeaderIsAlive();

    // ---- thesis §3.10 leadership transfer ---------------------------------------------------
    void transferToUpToDateFollower();
    void transferCatchesUpLaggingFollowerFirst();
    void transferBlocksProposalsAndTimesOut();

    // ---- thesis §4 membership changes -------------------------------------------------------
    void learnerReceivesLogButDoesNotVoteOrCount();
    void learnerIsPromotedToVoter();
    void oneMembershipChangeAtATime();
    void removedLeaderStepsDown();
    void confChangeRejectedUntilLeaderCommitsInTerm();

    // ---- thesis §5 snapshots ----------------------------------------------------------------
    void laggingFollowerInstallsSnapshot();
    void compactRejectsUnappliedIndex();

    // ---- thesis §6.4 ReadIndex --------------------------------------------------------------
    void readIndexOnLeaderAfterQuorumHeartbeat();
    void readIndexForwardedFromFollower();
    void readIndexNeverConfirmedByMinority();

    // ---- restart and determinism ------------------------------------------------------------
    void restartKeepsPersistedStateAndReapplies();
    void sameSeedSameReadyBatches();
    void invariantsFlagTwoLeadersInOneTerm();
};

// -------------------------------------------------------------------------------- §5.1

void TestRaftPaper::higherTermTurnsAnyRoleIntoFollower_data()
{
    QTest::addColumn<int>("role");
    QTest::newRow("follower") << int(Role::Follower);
    QTest::newRow("candidate") << int(Role::Candidate);
    QTest::newRow("leader") << int(Role::Leader);
}

void TestRaftPaper::higherTermTurnsAnyRoleIntoFollower()
{
    // §5.1: "If a server receives a request with a stale term... if a candidate or leader
    // discovers that its term is out of date, it immediately reverts to follower state."
    QFETCH(int, role);
    TestNetwork net(3);
    if (role == int(Role::Candidate)) {
        net.isolate(nid(1));
        net.campaign(nid(1));
        QCOMPARE(net.core(1).role(), Role::Candidate);
    } else if (role == int(Role::Leader)) {
        net.campaign(nid(1));
        QCOMPARE(net.core(1).role(), Role::Leader);
    }
    const quint64 before = net.core(1).term().value;
    net.core(1).step(msg(MessageType::Heartbeat, nid(2), nid(1), before + 5));
    QCOMPARE(net.core(1).role(), Role::Follower);
    QCOMPARE(net.core(1).term().value, before + 5);
    QCOMPARE(net.core(1).lead(), nid(2));
}

void TestRaftPaper::staleTermMessageIsAnsweredWithCurrentTerm()
{
    // §5.1: a stale request is rejected; with check-quorum the stale leader learns our term.
    TestNetwork net(3, false, true);
    net.campaign(nid(1));
    auto m = msg(MessageType::App, nid(3), nid(2), 0);
    net.core(2).step(m);
    const std::vector<Message> out = take(net.core(2));
    QCOMPARE(out.size(), std::size_t(1));
    QCOMPARE(out[0].type, MessageType::AppResp);
    QCOMPARE(out[0].term, net.core(2).term());
    QCOMPARE(net.core(2).lead(), nid(1));
}

// -------------------------------------------------------------------------------- §5.2

void TestRaftPaper::followerStartsElectionAfterTimeout()
{
    // §5.2: "If a follower receives no communication over a period of time called the election
    // timeout, then it ... begins an election": term+1, votes for itself, RequestVote to all.
    auto core = coreWithLog(3, {}, 1);
    take(*core);
    const int timeout = core->randomizedElectionTimeout();
    for (int i = 0; i < timeout - 1; ++i)
        core->tick();
    QCOMPARE(core->role(), Role::Follower);
    core->tick();
    QCOMPARE(core->role(), Role::Candidate);
    QCOMPARE(core->term().value, quint64(2));
    QCOMPARE(core->vote(), nid(1));
    const std::vector<Message> out = take(*core);
    QCOMPARE(out.size(), std::size_t(2));
    std::set<NodeId> to;
    for (const Message &m : out) {
        QCOMPARE(m.type, MessageType::Vote);
        QCOMPARE(m.term.value, quint64(2));
        to.insert(m.to);
    }
    QCOMPARE(to, (std::set<NodeId>{nid(2), nid(3)}));
}

void TestRaftPaper::electionTimeoutIsRandomizedInRange()
{
    // §5.2: "election timeouts are chosen randomly from a fixed interval" [et, 2et).
    std::set<int> seen;
    for (quint64 seed = 0; seed < 200; ++seed) {
        RaftCore core(testConfig(nid(1)), InitialState::bootstrap(voters(3)), seed);
        const int t = core.randomizedElectionTimeout();
        QVERIFY2(t >= 10 && t < 20, qPrintable(QString::number(t)));
        seen.insert(t);
    }
    QCOMPARE(seen.size(), std::size_t(10));  // every value of the range occurs
}

void TestRaftPaper::candidateWinsWithMajority_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<QList<bool>>("answers");  // answers of n2, n3, ... in order
    QTest::addColumn<int>("expectedRole");
    QTest::newRow("1 of 1 wins at once") << 1 << QList<bool>{} << int(Role::Leader);
    QTest::newRow("3: one grant wins") << 3 << QList<bool>{true} << int(Role::Leader);
    QTest::newRow("3: two rejections lose") << 3 << QList<bool>{false, false} << int(Role::Follower);
    QTest::newRow("3: one rejection pending") << 3 << QList<bool>{false} << int(Role::Candidate);
    QTest::newRow("5: two grants win") << 5 << QList<bool>{true, true} << int(Role::Leader);
    QTest::newRow("5: one grant pending") << 5 << QList<bool>{true} << int(Role::Candidate);
    QTest::newRow("5: three rejections lose") << 5 << QList<bool>{false, false, false}
                                              << int(Role::Follower);
}

void TestRaftPaper::candidateWinsWithMajority()
{
    // §5.2: "A candidate wins an election if it receives votes from a majority of the servers".
    QFETCH(int, size);
    QFETCH(QList<bool>, answers);
    QFETCH(int, expectedRole);
    auto core = coreWithLog(size, {}, 1);
    core->campaign();
    take(*core);
    for (int i = 0; i < answers.size(); ++i) {
        Message r = msg(MessageType::VoteResp, nid(i + 2), nid(1), 2);
        r.reject = !answers[i];
        core->step(r);
    }
    QCOMPARE(int(core->role()), expectedRole);
}

void TestRaftPaper::voterGrantsOneVotePerTerm()
{
    // §5.2: "each server will vote for at most one candidate in a given term, first-come".
    auto core = coreWithLog(3, {}, 1);
    take(*core);
    Message v2 = msg(MessageType::Vote, nid(2), nid(1), 2);
    Message v3 = msg(MessageType::Vote, nid(3), nid(1), 2);
    core->step(v2);
    core->step(v3);
    core->step(v2);  // a retry of the same candidate is granted again
    std::vector<Message> out = take(*core);
    QCOMPARE(out.size(), std::size_t(3));
    QCOMPARE(out[0].reject, false);
    QCOMPARE(out[1].reject, true);
    QCOMPARE(out[2].reject, false);
    QCOMPARE(core->vote(), nid(2));
    QCOMPARE(core->hardState().vote, nid(2));
}

void TestRaftPaper::candidateStepsDownOnAppendOfSameTerm()
{
    // §5.2: "If the leader's term is at least as large as the candidate's current term, then the
    // candidate recognizes the leader as legitimate and returns to follower state."
    auto core = coreWithLog(3, {}, 1);
    core->campaign();
    QCOMPARE(core->role(), Role::Candidate);
    Message app = msg(MessageType::App, nid(2), nid(1), 2);
    core->step(app);
    QCOMPARE(core->role(), Role::Follower);
    QCOMPARE(core->lead(), nid(2));
    QCOMPARE(core->term().value, quint64(2));
}

void TestRaftPaper::leaderSendsHeartbeatsEveryHeartbeatTicks()
{
    // §5.2: "Leaders send periodic heartbeats ... to all followers in order to maintain their
    // authority."
    TestNetwork net(3);
    net.campaign(nid(1));
    take(net.core(1));
    net.core(1).tick();
    const std::vector<Message> out = take(net.core(1));
    QCOMPARE(out.size(), std::size_t(2));
    for (const Message &m : out)
        QCOMPARE(m.type, MessageType::Heartbeat);
}

// -------------------------------------------------------------------------------- §5.3

void TestRaftPaper::leaderReplicatesAndCommitsOnQuorum()
{
    // §5.3: "once the entry has been safely replicated [on a majority] the leader applies it ...
    // [and] the leader's commit index [is sent] so followers apply it too."
    TestNetwork net(3);
    net.campaign(nid(1));
    net.cut(nid(1), nid(3));
    net.propose(nid(1), "x");
    QCOMPARE(net.core(1).commitIndex().value, quint64(2));  // n1+n2 are a majority
    QCOMPARE(net.core(3).lastIndex().value, quint64(1));
    net.recover();
    net.tickAll();  // heartbeat → n3 catches up
    for (int i = 1; i <= 3; ++i) {
        QCOMPARE(logTerms(net.core(i)), (QList<quint64>{1, 1}));
        QCOMPARE(net.core(i).commitIndex().value, quint64(2));
        QCOMPARE(net.node(i).applied.back().data, QByteArray("x"));
    }
}

void TestRaftPaper::followerRejectsMismatchedPrevWithHint_data()
{
    QTest::addColumn<QList<quint64>>("followerTerms");
    QTest::addColumn<quint64>("prevIndex");
    QTest::addColumn<quint64>("prevTerm");
    QTest::addColumn<quint64>("hintIndex");
    QTest::addColumn<quint64>("hintTerm");
    // §5.3 optimisation ("the follower can include the term of the conflicting entry and the
    // first index it stores for that term"), in etcd's findConflictByTerm form.
    QTest::newRow("follower shorter: hint its last") << QList<quint64>{1, 1} << quint64(5)
                                                     << quint64(3) << quint64(2) << quint64(1);
    QTest::newRow("skip a whole higher term") << QList<quint64>{1, 1, 4, 4, 4} << quint64(5)
                                              << quint64(2) << quint64(2) << quint64(1);
    QTest::newRow("same length, older term") << QList<quint64>{1, 2, 2} << quint64(3)
                                             << quint64(3) << quint64(3) << quint64(2);
    QTest::newRow("empty follower") << QList<quint64>{} << quint64(3) << quint64(1) << quint64(0)
                                    << quint64(0);
}

void TestRaftPaper::followerRejectsMismatchedPrevWithHint()
{
    QFETCH(QList<quint64>, followerTerms);
    QFETCH(quint64, prevIndex);
    QFETCH(quint64, prevTerm);
    QFETCH(quint64, hintIndex);
    QFETCH(quint64, hintTerm);
    std::vector<Entry> log;
    for (int i = 0; i < followerTerms.size(); ++i)
        log.push_back(entry(followerTerms[i], quint64(i + 1)));
    auto core = coreWithLog(3, log, 5);
    Message app = msg(MessageType::App, nid(2), nid(1), 5);
    app.index = LogIndex{prevIndex};
    app.logTerm = Term{prevTerm};
    core->step(app);
    std::vector<Message> out = take(*core);
    QCOMPARE(out.size(), std::size_t(1));
    QVERIFY(out[0].reject);
    QCOMPARE(out[0].index.value, prevIndex);
    QCOMPARE(out[0].rejectHint.value, hintIndex);
    QCOMPARE(out[0].logTerm.value, hintTerm);
}

void TestRaftPaper::followerTruncatesConflictingSuffix()
{
    // §5.3: "If an existing entry conflicts with a new one (same index but different terms),
    // delete the existing entry and all that follow it."
    auto core = coreWithLog(3, {entry(1, 1), entry(2, 2), entry(2, 3)}, 3);
    Message app = msg(MessageType::App, nid(2), nid(1), 3);
    app.index = LogIndex{1};
    app.logTerm = Term{1};
    app.entries = {entry(3, 2, "a")};
    app.commit = LogIndex{2};
    core->step(app);
    QCOMPARE(logTerms(*core), (QList<quint64>{1, 3}));
    QCOMPARE(core->commitIndex().value, quint64(2));
    Ready rd = core->ready();
    QCOMPARE(rd.entries.size(), std::size_t(1));  // only the replacement goes to storage
    QCOMPARE(rd.entries[0].index.value, quint64(2));
    QCOMPARE(rd.entries[0].data, QByteArray("a"));
    QCOMPARE(rd.messages.back().index.value, quint64(2));
    QVERIFY(!rd.messages.back().reject);
}

void TestRaftPaper::leaderBringsDivergentFollowersInLine_data()
{
    QTest::addColumn<QList<quint64>>("followerTerms");
    // Figure 7 (a)-(f) against the leader's log 1 1 1 4 4 5 5 6 6 6.
    QTest::newRow("a: missing one") << QList<quint64>{1, 1, 1, 4, 4, 5, 5, 6, 6};
    QTest::newRow("b: missing many") << QList<quint64>{1, 1, 1, 4};
    QTest::newRow("c: one extra") << QList<quint64>{1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6};
    QTest::newRow("d: extra term 7") << QList<quint64>{1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7};
    QTest::newRow("e: term 4 tail") << QList<quint64>{1, 1, 1, 4, 4, 4, 4};
    QTest::newRow("f: terms 2 and 3") << QList<quint64>{1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3};
}

void TestRaftPaper::leaderBringsDivergentFollowersInLine()
{
    // §5.3 Figure 7: "the leader handles inconsistencies by forcing the followers' logs to
    // duplicate its own"; with the conflict hint it needs few round trips.
    QFETCH(QList<quint64>, followerTerms);
    const QList<quint64> leaderTerms{1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
    auto mk = [](const QList<quint64> &terms) {
        std::vector<Entry> log;
        for (int i = 0; i < terms.size(); ++i)
            log.push_back(entry(terms[i], quint64(i + 1), "v"));
        return log;
    };
    // n3 holds the leader's log and votes for it; n2 is the follower of the figure.
    TestNetwork net;
    const Membership m = voters(3);
    auto stored = [&](const QList<quint64> &terms, quint64 term) {
        MemoryLog s(m);
        Ready seed;
        seed.entries = mk(terms);
        seed.hardState.term = Term{term};
        seed.hardStateChanged = true;
        s.persist(seed);
        return s;
    };
    net.add(testConfig(nid(1)), stored(leaderTerms, 8), 1);
    net.add(testConfig(nid(2)), stored(followerTerms, 7), 2);
    net.add(testConfig(nid(3)), stored(leaderTerms, 8), 3);
    net.campaign(nid(1));
    QCOMPARE(net.core(1).role(), Role::Leader);
    QList<quint64> expected = leaderTerms;
    expected << 9;  // the new leader's empty entry
    QCOMPARE(logTerms(net.core(2)), expected);
    QCOMPARE(net.core(2).commitIndex().value, quint64(11));
    int rejects = 0;
    for (const Message &msg : net.delivered)
        rejects += msg.type == MessageType::AppResp && msg.reject;
    QVERIFY2(rejects <= 3, qPrintable(QString::number(rejects)));
}

void TestRaftPaper::appendsAreBatchedAndPipelined()
{
    // Batching (maxEntriesPerMsg, like Consul's MaxAppendEntries) and several appends in flight
    // per follower, bounded by maxInflight (etcd tracker/inflights.go).
    Config c = testConfig(nid(1));
    c.maxEntriesPerMsg = 4;
    c.maxInflight = 3;
    RaftCore leader(c, InitialState::bootstrap(voters(2)), 1);
    leader.campaign();
    take(leader);
    Message grant = msg(MessageType::VoteResp, nid(2), nid(1), 1);
    leader.step(grant);
    take(leader);
    Message ack = msg(MessageType::AppResp, nid(2), nid(1), 1);
    ack.index = LogIndex{1};
    leader.step(ack);  // probe → replicate
    take(leader);
    QCOMPARE(leader.progress(nid(2))->state, ProgressState::Replicate);
    for (int i = 0; i < 20; ++i)
        leader.propose("p");
    std::vector<Message> out = take(leader);
    std::size_t entries = 0;
    int apps = 0;
    for (const Message &m : out) {
        if (m.type != MessageType::App || m.entries.empty())
            continue;
        ++apps;
        entries += m.entries.size();
        QVERIFY(m.entries.size() <= 4);
    }
    QCOMPARE(leader.progress(nid(2))->inflights.count(), 3);
    QVERIFY(leader.progress(nid(2))->isPaused());
    QCOMPARE(apps, 3);
    // An acknowledgement frees the window and more goes out in full batches.
    ack.index = LogIndex{1 + entries};
    leader.step(ack);
    out = take(leader);
    std::size_t more = 0;
    for (const Message &m : out)
        more += m.type == MessageType::App ? m.entries.size() : 0;
    QCOMPARE(more, std::size_t(3 * 4));  // the whole window again, in full batches
}

void TestRaftPaper::staleReorderedAppendDoesNotTruncate()
{
    // §5.3 receiver step 3 only deletes on a real conflict: a late duplicate of an earlier
    // append must not cut entries that arrived after it.
    auto core = coreWithLog(3, {entry(1, 1)}, 1);
    Message a1 = msg(MessageType::App, nid(2), nid(1), 1);
    a1.index = LogIndex{1};
    a1.logTerm = Term{1};
    a1.entries = {entry(1, 2, "a")};
    Message a2 = a1;
    a2.index = LogIndex{2};
    a2.entries = {entry(1, 3, "b")};
    core->step(a1);
    core->step(a2);
    core->step(a1);
    QCOMPARE(core->lastIndex().value, quint64(3));
}

// -------------------------------------------------------------------------------- §5.4

void TestRaftPaper::voteRequiresUpToDateLog_data()
{
    QTest::addColumn<quint64>("lastIndex");
    QTest::addColumn<quint64>("lastTerm");
    QTest::addColumn<bool>("granted");
    // Voter's log: terms 1 2 2 (last index 3, last term 2).
    QTest::newRow("higher last term, shorter") << quint64(1) << quint64(3) << true;
    QTest::newRow("same term, longer") << quint64(4) << quint64(2) << true;
    QTest::newRow("same term, same length") << quint64(3) << quint64(2) << true;
    QTest::newRow("same term, shorter") << quint64(2) << quint64(2) << false;
    QTest::newRow("lower last term, longer") << quint64(9) << quint64(1) << false;
}

void TestRaftPaper::voteRequiresUpToDateLog()
{
    // §5.4.1: "the voter denies its vote if its own log is more up-to-date than the candidate's".
    QFETCH(quint64, lastIndex);
    QFETCH(quint64, lastTerm);
    QFETCH(bool, granted);
    auto core = coreWithLog(3, {entry(1, 1), entry(2, 2), entry(2, 3)}, 2);
    take(*core);
    Message v = msg(MessageType::Vote, nid(2), nid(1), 3);
    v.index = LogIndex{lastIndex};
    v.logTerm = Term{lastTerm};
    core->step(v);
    const std::vector<Message> out = take(*core);
    QCOMPARE(out.size(), std::size_t(1));
    QCOMPARE(out[0].type, MessageType::VoteResp);
    QCOMPARE(!out[0].reject, granted);
    QCOMPARE(core->vote(), granted ? nid(2) : NodeId{});
}

void TestRaftPaper::oldTermEntriesCommitOnlyWithCurrentTermEntry()
{
    // §5.4.2: "Raft never commits log entries from previous terms by counting replicas. Only log
    // entries from the leader's current term are committed by counting replicas."
    auto core = coreWithLog(3, {entry(1, 1), entry(2, 2)}, 2);
    core->campaign();
    Message grant = msg(MessageType::VoteResp, nid(2), nid(1), 3);
    core->step(grant);
    QVERIFY(core->isLeader());
    QCOMPARE(core->lastIndex().value, quint64(3));  // the term-3 empty entry
    take(*core);
    Message ack = msg(MessageType::AppResp, nid(2), nid(1), 3);
    ack.index = LogIndex{2};
    core->step(ack);
    QCOMPARE(core->commitIndex().value, quint64(0));  // index 2 is term 2: not by counting
    ack.index = LogIndex{3};
    core->step(ack);
    QCOMPARE(core->commitIndex().value, quint64(3));  // commits 1..3 at once
}

void TestRaftPaper::newLeaderAppendsEmptyEntry()
{
    // §8: "each leader commit[s] a blank no-op entry into the log at the start of its term".
    TestNetwork net(3);
    net.campaign(nid(1));
    const Entry *e = net.core(1).log().entry(LogIndex{1});
    QVERIFY(e);
    QCOMPARE(e->term.value, quint64(1));
    QVERIFY(e->data.isEmpty());
    QCOMPARE(net.core(2).commitIndex().value, quint64(1));
}

// -------------------------------------------------------------------------------- pre-vote, CQ

void TestRaftPaper::preVoteKeepsRejoiningNodeFromBumpingTerm()
{
    // Thesis §9.6: a server that was partitioned away "first asks whether it could win"; it
    // cannot, so the cluster's term is not disturbed when it comes back.
    TestNetwork net(3, true, true);
    net.campaign(nid(1));
    QVERIFY(net.core(1).isLeader());
    const Term term = net.core(1).term();
    net.isolate(nid(3));
    for (int i = 0; i < 60; ++i) {
        net.tick(nid(3));
        net.tick(nid(1));
        net.tick(nid(2));
    }
    QCOMPARE(net.core(3).term(), term);  // pre-votes never raised it
    QCOMPARE(net.core(3).role(), Role::PreCandidate);
    net.recover();
    net.tickAll(3);
    QVERIFY(net.core(1).isLeader());
    QCOMPARE(net.core(1).term(), term);
    QCOMPARE(net.core(3).lead(), nid(1));
}

void TestRaftPaper::preVoteWinsThenRealElection()
{
    // Thesis §9.6: after a successful pre-vote the real election uses term+1.
    TestNetwork net(3, true, false);
    net.campaign(nid(1));
    QVERIFY(net.core(1).isLeader());
    QCOMPARE(net.core(1).term().value, quint64(1));
    int preVotes = 0;
    for (const Message &m : net.delivered)
        preVotes += m.type == MessageType::PreVote;
    QCOMPARE(preVotes, 2);
}

void TestRaftPaper::checkQuorumLeaderStepsDownWhenIsolated()
{
    // Thesis §6.2: "a leader steps down if an election timeout elapses without a successful
    // round of heartbeats to a majority of its cluster".
    TestNetwork net(3, true, true);
    net.campaign(nid(1));
    net.isolate(nid(1));
    for (int i = 0; i < 2 * 10 && net.core(1).isLeader(); ++i)
        net.tick(nid(1));
    QCOMPARE(net.core(1).role(), Role::Follower);
    QVERIFY(net.core(1).lead().isNone());
}

void TestRaftPaper::checkQuorumFollowerIgnoresVotesWhileLeaderIsAlive()
{
    // Thesis §4.2.3: "if a server receives a RequestVote request within the minimum election
    // timeout of hearing from a current leader, it does not update its term or grant its vote".
    TestNetwork net(3, false, true);
    net.campaign(nid(1));
    const Term term = net.core(2).term();
    Message v = msg(MessageType::Vote, nid(3), nid(2), term.value + 1);
    v.index = LogIndex{100};
    v.logTerm = Term{100};
    net.core(2).step(v);
    QCOMPARE(net.core(2).term(), term);
    QCOMPARE(net.core(2).lead(), nid(1));
    // ...but a transfer's campaign carries the leader's blessing.
    v.context = QByteArrayLiteral("transfer");
    net.core(2).step(v);
    QCOMPARE(net.core(2).term().value, term.value + 1);
    QCOMPARE(net.core(2).vote(), nid(3));
}

// -------------------------------------------------------------------------------- transfer

void TestRaftPaper::transferToUpToDateFollower()
{
    // Thesis §3.10: the leader sends TimeoutNow to an up-to-date target, which campaigns at once.
    TestNetwork net(3, true, true);
    net.campaign(nid(1));
    QCOMPARE(net.core(1).transferLeadership(nid(3)), RaftError::None);
    net.settle();
    QVERIFY(net.core(3).isLeader());
    QCOMPARE(net.core(1).lead(), nid(3));
    QCOMPARE(net.core(3).term().value, quint64(2));
}

void TestRaftPaper::transferCatchesUpLaggingFollowerFirst()
{
    // Thesis §3.10 step 2: "the prior leader ... bring[s] the target server's log up to date".
    TestNetwork net(3, true, true);
    net.campaign(nid(1));
    net.cut(nid(1), nid(3));
    for (int i = 0; i < 5; ++i)
        net.propose(nid(1), "x");
    QCOMPARE(net.core(3).lastIndex().value, quint64(1));
    net.recover();
    QCOMPARE(net.core(1).transferLeadership(nid(3)), RaftError::None);
    net.settle();
    QVERIFY(net.core(3).isLeader());
    QCOMPARE(net.core(3).commitIndex().value, quint64(7));
}

void TestRaftPaper::transferBlocksProposalsAndTimesOut()
{
    // Thesis §3.10: proposals stop during a transfer; it is abandoned after an election timeout.
    TestNetwork net(3, true, true);
    net.campaign(nid(1));
    net.isolate(nid(3));
    // Keep n1's quorum with n2 alive while n3 is unreachable.
    QCOMPARE(net.core(1).transferLeadership(nid(3)), RaftError::None);
    QCOMPARE(net.core(1).leadTransferee(), nid(3));
    QCOMPARE(net.core(1).propose("x").error, RaftError::TransferInProgress);
    for (int i = 0; i < 10; ++i) {
        net.tick(nid(1));
        net.tick(nid(2));
    }
    QVERIFY(net.core(1).isLeader());
    QVERIFY(net.core(1).leadTransferee().isNone());
    QCOMPARE(net.core(1).propose("x").error, RaftError::None);
}

// -------------------------------------------------------------------------------- membership

void TestRaftPaper::learnerReceivesLogButDoesNotVoteOrCount()
{
    // Thesis §4.2.1: new servers join as non-voting members until they have caught up.
    TestNetwork net(2);
    Config lc = testConfig(nid(3));
    net.add(lc, MemoryLog(), 3);  // knows no membership yet
    net.campaign(nid(1));
    const ProposeResult r =
        net.core(1).proposeConfChange(ConfChange{ConfChangeType::AddLearner, nid(3), {}});
    QCOMPARE(r.error, RaftError::None);
    net.settle();
    net.tickAll();
    QVERIFY(net.core(1).membership().isLearner(nid(3)));
    QVERIFY(net.core(3).membership().isLearner(nid(3)));
    QCOMPARE(net.core(3).commitIndex(), net.core(1).commitIndex());
    // n2 down: n1 + learner n3 are not a majority of the voters {n1, n2}.
    net.isolate(nid(2));
    net.propose(nid(1), "y");
    QCOMPARE(net.core(3).lastIndex(), net.core(1).lastIndex());
    QVERIFY(net.core(1).commitIndex() < net.core(1).lastIndex());
    // A learner never campaigns.
    for (int i = 0; i < 40; ++i)
        net.core(3).tick();
    QCOMPARE(net.core(3).role(), Role::Follower);
}

void TestRaftPaper::learnerIsPromotedToVoter()
{
    TestNetwork net(2);
    net.add(testConfig(nid(3)), MemoryLog(), 3);
    net.campaign(nid(1));
    net.core(1).proposeConfChange(ConfChange{ConfChangeType::AddLearner, nid(3), {}});
    net.settle();
    net.tickAll();
    QCOMPARE(net.core(1).proposeConfChange(ConfChange{ConfChangeType::Promote, nid(3), {}}).error,
             RaftError::None);
    net.settle();
    net.tickAll();
    QCOMPARE(net.core(1).membership().voters, (std::set<NodeId>{nid(1), nid(2), nid(3)}));
    // Now n1 + n3 are a majority of three.
    net.isolate(nid(2));
    net.propose(nid(1), "z");
    QCOMPARE(net.core(1).commitIndex(), net.core(1).lastIndex());
}

void TestRaftPaper::oneMembershipChangeAtATime()
{
    // Thesis §4.1: "a leader ... does not begin a new configuration change until the previous
    // one is committed".
    TestNetwork net(3);
    net.campaign(nid(1));
    net.isolate(nid(1));
    QCOMPARE(net.core(1).proposeConfChange(ConfChange{ConfChangeType::AddLearner, nid(4), {}}).error,
             RaftError::None);
    QCOMPARE(net.core(1).proposeConfChange(ConfChange{ConfChangeType::AddLearner, nid(5), {}}).error,
             RaftError::ConfChangeInProgress);
    QCOMPARE(net.core(1).proposeConfChange(ConfChange{ConfChangeType::Promote, nid(2), {}}).error,
             RaftError::ConfChangeInProgress);
    net.recover();
    net.tickAll();
    QCOMPARE(net.core(1).proposeConfChange(ConfChange{ConfChangeType::Promote, nid(2), {}}).error,
             RaftError::InvalidConfChange);  // already a voter
    QCOMPARE(net.core(1).proposeConfChange(ConfChange{ConfChangeType::AddLearner, nid(5), {}}).error,
             RaftError::None);
}

void TestRaftPaper::removedLeaderStepsDown()
{
    // Thesis §4.2.2: a leader removed from the configuration steps down once the change commits.
    TestNetwork net(3, true, true);
    net.campaign(nid(1));
    QCOMPARE(net.core(1).proposeConfChange(ConfChange{ConfChangeType::Remove, nid(1), {}}).error,
             RaftError::None);
    net.settle();
    QCOMPARE(net.core(1).role(), Role::Follower);
    QCOMPARE(net.core(2).membership().voters, (std::set<NodeId>{nid(2), nid(3)}));
    // The remaining two elect a leader among themselves.
    net.isolate(nid(1));
    for (int i = 0; i < 60 && !net.core(2).isLeader() && !net.core(3).isLeader(); ++i)
        net.tickAll();
    QVERIFY(net.core(2).isLeader() || net.core(3).isLeader());
}

void TestRaftPaper::confChangeRejectedUntilLeaderCommitsInTerm()
{
    // Thesis §4.1 (the 2015 single-server fix): a leader must commit an entry of its own term
    // before changing membership.
    TestNetwork net(3);
    net.isolate(nid(1));
    net.core(1).campaign();
    const std::vector<Message> votes = net.drain(nid(1));
    net.recover();
    // Deliver only the votes: n1 becomes leader but nothing of its term commits yet.
    for (const Message &v : votes)
        net.core(v.to).step(v);
    for (int i = 2; i <= 3; ++i) {
        for (const Message &r : net.drain(nid(i)))
            net.core(1).step(r);
    }
    QVERIFY(net.core(1).isLeader());
    QCOMPARE(net.core(1).commitIndex().value, quint64(0));
    QCOMPARE(net.core(1).proposeConfChange(ConfChange{ConfChangeType::AddLearner, nid(4), {}}).error,
             RaftError::LeaderNotReady);
    net.settle();
    QCOMPARE(net.core(1).commitIndex().value, quint64(1));
    QCOMPARE(net.core(1).proposeConfChange(ConfChange{ConfChangeType::AddLearner, nid(4), {}}).error,
             RaftError::None);
}

// -------------------------------------------------------------------------------- snapshots

void TestRaftPaper::laggingFollowerInstallsSnapshot()
{
    // Thesis §5.1: "the leader must occasionally send snapshots to followers that lag behind" when
    // the entries they need were discarded.
    TestNetwork net(3);
    net.campaign(nid(1));
    net.isolate(nid(3));
    for (int i = 0; i < 10; ++i)
        net.propose(nid(1), QByteArray("e") + QByteArray::number(i));
    QCOMPARE(net.core(1).appliedIndex().value, quint64(11));
    const std::optional<SnapshotMeta> meta = net.core(1).snapshotMetaAt(LogIndex{9});
    QVERIFY(meta);
    QCOMPARE(meta->term.value, quint64(1));
    QCOMPARE(meta->membership, voters(3));
    QCOMPARE(net.core(1).compact(*meta), RaftError::None);
    QCOMPARE(net.core(1).log().firstIndex().value, quint64(10));
    net.recover();
    net.tickAll(3);
    QCOMPARE(net.node(3).snapshotsRestored, 1);
    QCOMPARE(net.core(3).log().snapshot().index.value, quint64(9));
    QCOMPARE(net.core(3).lastIndex().value, quint64(11));
    QCOMPARE(net.core(3).commitIndex().value, quint64(11));
    QCOMPARE(net.node(3).storage.snapshot().index.value, quint64(9));
    // After the snapshot only entries 10 and 11 were applied on n3.
    QCOMPARE(net.node(3).applied.back().index.value, quint64(11));
    QCOMPARE(net.node(3).applied.back().data, QByteArray("e9"));
    QCOMPARE(net.core(1).progress(nid(3))->state, ProgressState::Replicate);
}

void TestRaftPaper::compactRejectsUnappliedIndex()
{
    TestNetwork net(3);
    net.campaign(nid(1));
    QVERIFY(!net.core(1).snapshotMetaAt(LogIndex{5}));
    SnapshotMeta bogus{LogIndex{1}, Term{9}, voters(3)};
    QCOMPARE(net.core(1).compact(bogus), RaftError::SnapshotOutOfRange);
}

// -------------------------------------------------------------------------------- ReadIndex

void TestRaftPaper::readIndexOnLeaderAfterQuorumHeartbeat()
{
    // Thesis §6.4: record the commit index, confirm leadership with a round of heartbeats, then
    // the read may be served once that index is applied.
    TestNetwork net(3);
    net.campaign(nid(1));
    net.propose(nid(1), "x");
    QCOMPARE(net.core(1).readIndex("r1"), RaftError::None);
    net.settle();
    QCOMPARE(net.node(1).reads.size(), std::size_t(1));
    QCOMPARE(net.node(1).reads[0], (ReadState{LogIndex{2}, QByteArray("r1")}));
}

void TestRaftPaper::readIndexForwardedFromFollower()
{
    TestNetwork net(3);
    net.campaign(nid(1));
    QCOMPARE(net.core(2).readIndex("r2"), RaftError::None);
    net.settle();
    QCOMPARE(net.node(2).reads.size(), std::size_t(1));
    QCOMPARE(net.node(2).reads[0].index.value, quint64(1));
    QCOMPARE(net.node(2).reads[0].context, QByteArray("r2"));
    TestNetwork lonely(3);
    QCOMPARE(lonely.core(2).readIndex("r"), RaftError::NoLeader);
}

void TestRaftPaper::readIndexNeverConfirmedByMinority()
{
    // A deposed leader cut off from the majority must not serve reads (stale data).
    TestNetwork net(3);
    net.campaign(nid(1));
    net.isolate(nid(1));
    net.core(1).readIndex("r");
    net.tickAll(5);
    QVERIFY(net.node(1).reads.empty());
}

// -------------------------------------------------------------------------------- restart

void TestRaftPaper::restartKeepsPersistedStateAndReapplies()
{
    // Figure 2: currentTerm, votedFor and log[] are persistent state; the rest is rebuilt.
    TestNetwork net(3);
    net.campaign(nid(1));
    net.propose(nid(1), "a");
    net.propose(nid(1), "b");
    net.tickAll();
    const HardState before = net.core(2).hardState();
    net.restart(nid(2), 99);
    QCOMPARE(net.core(2).term(), before.term);
    QCOMPARE(net.core(2).vote(), before.vote);
    QCOMPARE(net.core(2).commitIndex(), before.commit);
    QCOMPARE(net.core(2).lastIndex().value, quint64(3));
    net.settle();
    QCOMPARE(net.node(2).applied.size(), std::size_t(3));
    QCOMPARE(net.node(2).applied[2].data, QByteArray("b"));
}

void TestRaftPaper::sameSeedSameReadyBatches()
{
    // Determinism: the same seed, config and inputs give the same outputs.
    auto run = [](quint64 seed) {
        TestNetwork net(5, true, true, seed);
        QStringList trace;
        for (int t = 0; t < 80; ++t) {
            net.tickAll();
            for (int i = 1; i <= 5; ++i) {
                if (net.core(i).isLeader() && t % 7 == 0)
                    net.propose(nid(i), "p");
            }
        }
        for (const Message &m : net.delivered)
            trace << QStringLiteral("%1>%2 %3 t%4 i%5").arg(m.from.value, m.to.value,
                                                           QLatin1String(messageTypeName(m.type)))
                         .arg(m.term.value).arg(m.index.value);
        return trace;
    };
    const QStringList a = run(42);
    QVERIFY(a.size() > 100);
    QCOMPARE(run(42), a);
    QVERIFY(run(43) != a);
}

void TestRaftPaper::invariantsFlagTwoLeadersInOneTerm()
{
    // LogCabin-style invariants must catch a violation, not just pass on good runs.
    TestNetwork a(3);
    a.campaign(nid(1));
    a.propose(nid(1), "x");
    TestNetwork b(3);
    b.campaign(nid(2));  // the same term 1 in a disjoint "cluster" with the same ids
    b.propose(nid(2), "y");
    Invariants inv;
    QVERIFY(inv.check(a.core(1)).isEmpty());
    const QString v = inv.check(b.core(2)).join(QLatin1Char('\n'));
    QVERIFY2(v.contains(QLatin1String("two leaders in term 1")), qPrintable(v));
    QVERIFY2(v.contains(QLatin1String("log matching")), qPrintable(v));
    QVERIFY2(v.contains(QLatin1String("committed index 2")), qPrintable(v));
    QVERIFY(inv.recordApplied(nid(1), a.node(1).applied[1]).isEmpty());
    QVERIFY(!inv.recordApplied(nid(2), b.node(2).applied[1]).isEmpty());
}

QTEST_GUILESS_MAIN(TestRaftPaper)
#include "tst_raft_paper.moc"
