#include "core/raft/raft_core.h"

#include "core/raft/quorum.h"

#include <algorithm>

namespace conclave::raft {

namespace {
// Context of Vote requests sent after TimeoutNow: voters drop their leader lease for it.
const QByteArray kCampaignTransfer = QByteArrayLiteral("transfer");

bool isVoteResponse(MessageType t)
{
    return t == MessageType::VoteResp || t == MessageType::PreVoteResp;
}
}  // namespace

InitialState InitialState::bootstrap(const Membership &membership)
{
    InitialState s;
    s.snapshot.membership = membership;
    return s;
}

RaftCore::RaftCore(const Config &config, const InitialState &initial, quint64 randomSeed)
    : m_config(config), m_rng(randomSeed), m_log(initial.snapshot, initial.entries)
{
    m_config.electionTicks = std::max(1, m_config.electionTicks);
    m_config.heartbeatTicks = std::max(1, m_config.heartbeatTicks);
    m_config.maxEntriesPerMsg = std::max<std::size_t>(1, m_config.maxEntriesPerMsg);
    m_config.maxInflight = std::max(1, m_config.maxInflight);
    m_log.commitTo(initial.hardState.commit);
    const LogIndex applied = std::clamp(initial.applied, initial.snapshot.index, m_log.committed());
    // Entries the state machine already has are neither handed out again nor re-applied.
    m_log.takeNextCommitted(applied.value - initial.snapshot.index.value);
    m_log.appliedTo(applied);
    becomeFollower(initial.hardState.term, NodeId{});
    m_vote = initial.hardState.vote;
    m_prevHard = hardState();
    m_prevSoft = softState();
}

// ---------------------------------------------------------------------------- role changes

void RaftCore::resetRandomizedElectionTimeout()
{
    // Raft §5.2: a random timeout in [electionTicks, 2*electionTicks) spreads candidates out.
    // Plain modulo instead of a std distribution keeps the sequence identical across libraries.
    const auto span = static_cast<quint64>(m_config.electionTicks);
    m_randomizedElectionTimeout = m_config.electionTicks + static_cast<int>(m_rng() % span);
}

Progress RaftCore::newProgress(const NodeId &id) const
{
    Progress pr(m_config.maxInflight);
    pr.next = m_log.lastIndex() + 1;
    pr.isLearner = m_tracked.isLearner(id);
    if (id == m_config.id)
        pr.match = m_log.lastIndex();
    return pr;
}

void RaftCore::reset(Term term)
{
    if (m_term != term) {
        m_term = term;
        m_vote = NodeId{};
    }
    m_lead = NodeId{};
    m_electionElapsed = 0;
    m_heartbeatElapsed = 0;
    resetRandomizedElectionTimeout();
    abortLeaderTransfer();
    m_votes.clear();
    m_tracked = m_log.membership();
    m_progress.clear();
    for (const NodeId &id : m_tracked.voters)
        m_progress.emplace(id, newProgress(id));
    for (const NodeId &id : m_tracked.learners)
        m_progress.emplace(id, newProgress(id));
    m_pendingConfIndex = LogIndex{};
    m_readQueue.clear();
    m_pendingReads.clear();
}

void RaftCore::becomeFollower(Term term, const NodeId &lead)
{
    reset(term);
    m_lead = lead;
    m_role = Role::Follower;
}

void RaftCore::becomePreCandidate()
{
    // Pre-vote (thesis §9.6) changes neither term nor vote: a node that cannot win never
    // disrupts the cluster by raising its term.
    m_votes.clear();
    m_lead = NodeId{};
    m_role = Role::PreCandidate;
    resetRandomizedElectionTimeout();
}

void RaftCore::becomeCandidate()
{
    reset(Term{m_term.value + 1});
    m_vote = m_config.id;
    m_role = Role::Candidate;
}

void RaftCore::becomeLeader()
{
    reset(m_term);
    m_lead = m_config.id;
    m_role = Role::Leader;
    if (auto it = m_progress.find(m_config.id); it != m_progress.end()) {
        it->second.becomeReplicate();
        it->second.recentActive = true;
    }
    // Conf changes wait until everything before this term is committed (thesis §4.1 fix).
    m_pendingConfIndex = m_log.lastIndex();
    // Raft §5.4.2 / §8: an entry of the new term lets earlier entries commit and reads start.
    appendEntry(Entry{m_term, m_log.lastIndex() + 1, EntryType::Normal, QByteArray()});
}

bool RaftCore::promotable() const
{
    return m_log.membership().isVoter(m_config.id) && !m_log.hasPendingSnapshot();
}

void RaftCore::hup(CampaignKind kind)
{
    if (m_role == Role::Leader || !promotable())
        return;
    doCampaign(kind);
}

void RaftCore::campaign()
{
    hup(m_config.preVote ? CampaignKind::PreElection : CampaignKind::Election);
}

void RaftCore::doCampaign(CampaignKind kind)
{
    Term voteTerm;
    MessageType type;
    if (kind == CampaignKind::PreElection) {
        becomePreCandidate();
        type = MessageType::PreVote;
        voteTerm = Term{m_term.value + 1};  // the term it would campaign in
    } else {
        becomeCandidate();
        type = MessageType::Vote;
        voteTerm = m_term;
    }
    bool lost = false;
    if (poll(m_config.id, true, &lost)) {
        // A single voter wins at once.
        if (kind == CampaignKind::PreElection)
            doCampaign(CampaignKind::Election);
        else
            becomeLeader();
        return;
    }
    for (const NodeId &id : m_log.membership().voters) {
        if (id == m_config.id)
            continue;
        Message m;
        m.type = type;
        m.to = id;
        m.term = voteTerm;
        m.index = m_log.lastIndex();
        m.logTerm = m_log.lastTerm();
        if (kind == CampaignKind::Transfer)
            m.context = kCampaignTransfer;
        send(std::move(m));
    }
}

bool RaftCore::poll(const NodeId &from, bool granted, bool *lost)
{
    m_votes.emplace(from, granted);  // the first answer of each voter counts
    const quorum::VoteResult r = quorum::voteResult(m_log.membership().voters, m_votes);
    *lost = r == quorum::VoteResult::Lost;
    return r == quorum::VoteResult::Won;
}

// ---------------------------------------------------------------------------- ticks

void RaftCore::tick()
{
    if (m_role == Role::Leader)
        tickHeartbeat();
    else
        tickElection();
}

void RaftCore::tickElection()
{
    ++m_electionElapsed;
    if (promotable() && m_electionElapsed >= m_randomizedElectionTimeout) {
        m_electionElapsed = 0;
        hup(m_config.preVote ? CampaignKind::PreElection : CampaignKind::Election);
    }
}

void RaftCore::tickHeartbeat()
{
    ++m_heartbeatElapsed;
    ++m_electionElapsed;
    if (m_electionElapsed >= m_config.electionTicks) {
        m_electionElapsed = 0;
        if (m_config.checkQuorum) {
            // Thesis §6.2: without a quorum heard from in an election timeout, step down so
            // clients look elsewhere and reads under this leader stop.
            if (!quorumActive()) {
                becomeFollower(m_term, NodeId{});
                return;
            }
            for (auto &[id, pr] : m_progress)
                pr.recentActive = id == m_config.id;
        }
        // A transfer that did not finish within an election timeout is abandoned (§3.10).
        abortLeaderTransfer();
    }
    for (auto &[id, pr] : m_progress) {
        // A lost snapshot is not reported by anyone: retry after an election timeout.
        if (pr.state == ProgressState::Snapshot && ++pr.snapshotTicks >= m_config.electionTicks)
            pr.becomeProbe();
    }
    if (m_heartbeatElapsed >= m_config.heartbeatTicks) {
        m_heartbeatElapsed = 0;
        bcastHeartbeat(m_readQueue.empty() ? QByteArray() : m_readQueue.back().context);
    }
}

bool RaftCore::quorumActive() const
{
    std::set<NodeId> active;
    for (const auto &[id, pr] : m_progress) {
        if (id == m_config.id || pr.recentActive)
            active.insert(id);
    }
    return quorum::hasQuorum(m_log.membership().voters, active);
}

// ---------------------------------------------------------------------------- step

void RaftCore::send(Message m)
{
    m.from = m_config.id;
    // Vote requests and responses carry their own term (pre-votes use the future term).
    const bool explicitTerm = m.type == MessageType::Vote || m.type == MessageType::PreVote
        || isVoteResponse(m.type);
    if (!explicitTerm)
        m.term = m_term;
    m_msgs.push_back(std::move(m));
}

void RaftCore::step(const Message &m)
{
    if (m.to != m_config.id || m.from == m_config.id)
        return;
    if (m.term > m_term) {
        if (m.type == MessageType::Vote || m.type == MessageType::PreVote) {
            // Thesis §4.2.3: while we hear from a leader, ignore candidates (a removed or
            // partitioned server cannot depose it), unless the leader itself asked (transfer).
            const bool force = m.context == kCampaignTransfer;
            const bool inLease = m_config.checkQuorum && !m_lead.isNone()
                && m_electionElapsed < m_config.electionTicks;
            if (!force && inLease)
                return;
        }
        if (m.type == MessageType::PreVote) {
            // Never change term for a pre-vote.
        } else if (m.type == MessageType::PreVoteResp && !m.reject) {
            // The term is raised when the pre-vote wins.
        } else if (m.type == MessageType::App || m.type == MessageType::Heartbeat
                   || m.type == MessageType::Snapshot) {
            becomeFollower(m.term, m.from);
        } else {
            becomeFollower(m.term, NodeId{});
        }
    } else if (m.term < m_term) {
        if ((m_config.checkQuorum || m_config.preVote)
            && (m.type == MessageType::App || m.type == MessageType::Heartbeat)) {
            // A stale leader (e.g. back from a partition) learns the newer term from our answer
            // and steps down; without this it could stay stuck with pre-vote on.
            Message r;
            r.type = MessageType::AppResp;
            r.to = m.from;
            send(std::move(r));
        } else if (m.type == MessageType::PreVote) {
            Message r;
            r.type = MessageType::PreVoteResp;
            r.to = m.from;
            r.term = m_term;
            r.reject = true;
            send(std::move(r));
        }
        return;
    }

    switch (m.type) {
    case MessageType::Vote:
    case MessageType::PreVote:
        handleVoteRequest(m);
        return;
    default:
        break;
    }
    switch (m_role) {
    case Role::Leader: stepLeader(m); break;
    case Role::Candidate:
    case Role::PreCandidate: stepCandidate(m); break;
    case Role::Follower: stepFollower(m); break;
    }
}

void RaftCore::handleVoteRequest(const Message &m)
{
    // Raft §5.2/§5.4.1: one vote per term, only for a log at least as up to date as ours.
    const bool canVote = m_vote == m.from || (m_vote.isNone() && m_lead.isNone())
        || (m.type == MessageType::PreVote && m.term > m_term);
    Message r;
    r.type = m.type == MessageType::Vote ? MessageType::VoteResp : MessageType::PreVoteResp;
    r.to = m.from;
    if (canVote && m_log.isUpToDate(m.index, m.logTerm)) {
        r.term = m.term;
        send(std::move(r));
        if (m.type == MessageType::Vote) {
            m_electionElapsed = 0;
            m_vote = m.from;
        }
    } else {
        r.term = m_term;
        r.reject = true;
        send(std::move(r));
    }
}

void RaftCore::stepFollower(const Message &m)
{
    switch (m.type) {
    case MessageType::App:
        m_electionElapsed = 0;
        m_lead = m.from;
        handleAppendEntries(m);
        break;
    case MessageType::Heartbeat:
        m_electionElapsed = 0;
        m_lead = m.from;
        handleHeartbeat(m);
        break;
    case MessageType::Snapshot:
        m_electionElapsed = 0;
        m_lead = m.from;
        handleSnapshot(m);
        break;
    case MessageType::TimeoutNow:
        // Thesis §3.10: the leader wants us to take over; skip pre-vote and the lease.
        hup(CampaignKind::Transfer);
        break;
    case MessageType::ReadIndexResp:
        m_readStates.push_back(ReadState{m.index, m.context});
        break;
    default:
        break;
    }
}

void RaftCore::stepCandidate(const Message &m)
{
    const MessageType myResp =
        m_role == Role::PreCandidate ? MessageType::PreVoteResp : MessageType::VoteResp;
    switch (m.type) {
    case MessageType::App:
        becomeFollower(m.term, m.from);  // a leader of this term exists (Raft §5.2)
        handleAppendEntries(m);
        break;
    case MessageType::Heartbeat:
        becomeFollower(m.term, m.from);
        handleHeartbeat(m);
        break;
    case MessageType::Snapshot:
        becomeFollower(m.term, m.from);
        handleSnapshot(m);
        break;
    case MessageType::PreVoteResp:
    case MessageType::VoteResp: {
        if (m.type != myResp)
            break;
        bool lost = false;
        if (poll(m.from, !m.reject, &lost)) {
            if (m_role == Role::PreCandidate) {
                doCampaign(CampaignKind::Election);
            } else {
                becomeLeader();
                bcastAppend();
            }
        } else if (lost) {
            becomeFollower(m_term, NodeId{});
        }
        break;
    }
    default:
        break;
    }
}

void RaftCore::stepLeader(const Message &m)
{
    if (m.type == MessageType::ReadIndex) {
        handleReadIndexRequest(m.from, m.context);
        return;
    }
    auto it = m_progress.find(m.from);
    if (it == m_progress.end())
        return;  // not a member (removed, or not yet added)
    Progress &pr = it->second;
    switch (m.type) {
    case MessageType::AppResp:
        pr.recentActive = true;
        handleAppendResponse(m, pr);
        break;
    case MessageType::HeartbeatResp:
        pr.recentActive = true;
        handleHeartbeatResponse(m, pr);
        break;
    default:
        break;
    }
}

// ---------------------------------------------------------------------------- follower side

void RaftCore::handleAppendEntries(const Message &m)
{
    Message r;
    r.type = MessageType::AppResp;
    r.to = m.from;
    if (m.index < m_log.committed()) {
        r.index = m_log.committed();
        send(std::move(r));
        return;
    }
    bool conflictBelowCommit = false;
    const std::optional<LogIndex> lastNew =
        m_log.maybeAppend(m.index, m.logTerm, m.commit, m.entries, &conflictBelowCommit);
    if (conflictBelowCommit) {
        m_safetyViolation = QStringLiteral("leader %1 (term %2) tried to overwrite committed entry"
                                           " at or below %3")
                                .arg(m.from.value)
                                .arg(m.term.value)
                                .arg(m_log.committed().value);
        return;
    }
    if (lastNew) {
        syncMembership();
        r.index = *lastNew;
        send(std::move(r));
        return;
    }
    // Fast back-off: tell the leader where our log could match (etcd's findConflictByTerm), so
    // it skips a whole term of mismatching entries per round trip.
    const LogIndex hintIndex = std::min(m.index, m_log.lastIndex());
    const auto [idx, t] = m_log.findConflictByTerm(hintIndex, m.logTerm);
    r.index = m.index;
    r.reject = true;
    r.rejectHint = idx;
    r.logTerm = t;
    send(std::move(r));
}

void RaftCore::handleHeartbeat(const Message &m)
{
    // The leader sends min(match, commit), which our log is known to hold.
    m_log.commitTo(m.commit);
    Message r;
    r.type = MessageType::HeartbeatResp;
    r.to = m.from;
    r.context = m.context;
    send(std::move(r));
}

void RaftCore::handleSnapshot(const Message &m)
{
    Message r;
    r.type = MessageType::AppResp;
    r.to = m.from;
    const SnapshotMeta &s = m.snapshot;
    if (s.index <= m_log.committed()) {
        r.index = m_log.committed();
    } else if (m_log.matchTerm(s.index, s.term)) {
        // We already hold the covered entries: just learn that they are committed.
        m_log.commitTo(s.index);
        r.index = m_log.lastIndex();
    } else {
        m_log.restore(s);
        syncMembership();
        r.index = m_log.lastIndex();
    }
    send(std::move(r));
}

// ---------------------------------------------------------------------------- leader side

void RaftCore::handleAppendResponse(const Message &m, Progress &pr)
{
    if (m.reject) {
        LogIndex nextProbe = m.rejectHint;
        if (m.logTerm.value > 0)
            nextProbe = m_log.findConflictByTerm(m.rejectHint, m.logTerm).first;
        if (pr.maybeDecrTo(m.index, nextProbe)) {
            if (pr.state == ProgressState::Replicate)
                pr.becomeProbe();
            sendAppend(m.from, true);
        }
        return;
    }
    const bool wasPaused = pr.isPaused();
    if (pr.maybeUpdate(m.index) || (pr.match == m.index && pr.state == ProgressState::Probe)) {
        if (pr.state == ProgressState::Probe) {
            pr.becomeReplicate();
        } else if (pr.state == ProgressState::Snapshot && pr.match + 1 >= m_log.firstIndex()) {
            pr.becomeProbe();
            pr.becomeReplicate();
        } else if (pr.state == ProgressState::Replicate) {
            pr.inflights.freeLE(m.index);
        }
        if (maybeCommit()) {
            if (m_role == Role::Leader)
                bcastAppend();
        } else if (wasPaused) {
            sendAppend(m.from, true);
        }
        if (m_role != Role::Leader)
            return;  // the commit removed us
        // Fill the window: several appends in flight per follower.
        auto it = m_progress.find(m.from);
        while (it != m_progress.end() && sendAppend(m.from, false)) {
        }
        if (m.from == m_leadTransferee && it != m_progress.end()
            && it->second.match == m_log.lastIndex())
            sendTimeoutNow(m.from);
    }
}

void RaftCore::handleHeartbeatResponse(const Message &m, Progress &pr)
{
    pr.probeSent = false;
    if (pr.state == ProgressState::Replicate && pr.inflights.full())
        pr.inflights.freeFirstOne();  // an append was probably lost; let one more through
    if (pr.match < m_log.lastIndex())
        sendAppend(m.from, true);
    if (m.context.isEmpty())
        return;
    // ReadIndex (thesis §6.4): a quorum answering a heartbeat sent after the read was queued
    // proves we were still leader then. Earlier reads are confirmed with it.
    auto it = std::find_if(m_readQueue.begin(), m_readQueue.end(),
                           [&](const ReadRequest &r) { return r.context == m.context; });
    if (it == m_readQueue.end())
        return;
    it->acks.insert(m.from);
    if (!quorum::hasQuorum(m_log.membership().voters, it->acks))
        return;
    std::vector<ReadRequest> done(m_readQueue.begin(), it + 1);
    m_readQueue.erase(m_readQueue.begin(), it + 1);
    for (const ReadRequest &r : done)
        answerRead(r.from, r.index, r.context);
}

void RaftCore::answerRead(const NodeId &from, LogIndex index, const QByteArray &context)
{
    if (from == m_config.id) {
        m_readStates.push_back(ReadState{index, context});
        return;
    }
    Message r;
    r.type = MessageType::ReadIndexResp;
    r.to = from;
    r.index = index;
    r.context = context;
    send(std::move(r));
}

void RaftCore::handleReadIndexRequest(const NodeId &from, const QByteArray &context)
{
    const Membership &mem = m_log.membership();
    if (mem.voters.size() == 1 && mem.isVoter(m_config.id)) {
        answerRead(from, m_log.committed(), context);
        return;
    }
    // Until an entry of this term commits, our commit index may lag the real one (thesis §6.4).
    if (!committedEntryInCurrentTerm()) {
        m_pendingReads.emplace_back(from, context);
        return;
    }
    for (const ReadRequest &r : m_readQueue) {
        if (r.context == context)
            return;  // already pending
    }
    ReadRequest r{context, m_log.committed(), from, {m_config.id}};
    m_readQueue.push_back(std::move(r));
    bcastHeartbeat(context);
}

bool RaftCore::committedEntryInCurrentTerm() const
{
    return m_log.term(m_log.committed()) == m_term;
}

bool RaftCore::sendAppend(const NodeId &to, bool sendIfEmpty)
{
    auto it = m_progress.find(to);
    if (it == m_progress.end() || to == m_config.id)
        return false;
    Progress &pr = it->second;
    if (pr.isPaused())
        return false;
    const LogIndex prevIndex = pr.next - 1;
    const std::optional<Term> prevTerm = m_log.term(prevIndex);
    if (!prevTerm)
        return sendSnapshot(to, pr);  // the entries it needs were compacted away
    std::vector<Entry> ents =
        m_log.entries(pr.next, m_config.maxEntriesPerMsg, m_config.maxBytesPerMsg);
    if (ents.empty() && !sendIfEmpty)
        return false;
    Message m;
    m.type = MessageType::App;
    m.to = to;
    m.index = prevIndex;
    m.logTerm = *prevTerm;
    m.commit = m_log.committed();
    const LogIndex last = ents.empty() ? prevIndex : ents.back().index;
    const std::size_t count = ents.size();
    m.entries = std::move(ents);
    send(std::move(m));
    pr.sentEntries(count, last);
    return true;
}

bool RaftCore::sendSnapshot(const NodeId &to, Progress &pr)
{
    // Only to a follower that answers: a dead one would pin a snapshot transfer.
    if (!pr.recentActive)
        return false;
    Message m;
    m.type = MessageType::Snapshot;
    m.to = to;
    m.snapshot = m_log.snapshot();
    pr.becomeSnapshot(m.snapshot.index);
    send(std::move(m));
    return true;
}

void RaftCore::reportSnapshotFailure(const NodeId &to)
{
    auto it = m_progress.find(to);
    if (m_role == Role::Leader && it != m_progress.end()
        && it->second.state == ProgressState::Snapshot)
        it->second.becomeProbe();
}

void RaftCore::sendHeartbeat(const NodeId &to, const QByteArray &context)
{
    const Progress &pr = m_progress.at(to);
    Message m;
    m.type = MessageType::Heartbeat;
    m.to = to;
    // The follower may not hold our whole committed prefix yet.
    m.commit = std::min(pr.match, m_log.committed());
    m.context = context;
    send(std::move(m));
}

void RaftCore::sendTimeoutNow(const NodeId &to)
{
    Message m;
    m.type = MessageType::TimeoutNow;
    m.to = to;
    send(std::move(m));
}

void RaftCore::bcastAppend()
{
    for (const auto &[id, pr] : m_progress) {
        if (id != m_config.id)
            sendAppend(id, true);
    }
}

void RaftCore::bcastHeartbeat(const QByteArray &context)
{
    for (const auto &[id, pr] : m_progress) {
        if (id != m_config.id)
            sendHeartbeat(id, context);
    }
}

void RaftCore::appendEntry(Entry e)
{
    e.term = m_term;
    e.index = m_log.lastIndex() + 1;
    m_log.append({e});
    syncMembership();
    if (auto it = m_progress.find(m_config.id); it != m_progress.end())
        it->second.maybeUpdate(m_log.lastIndex());
    // A single voter commits at once.
    maybeCommit();
}

bool RaftCore::maybeCommit()
{
    const LogIndex mci = quorum::committedIndex(m_log.membership().voters, [&](const NodeId &id) {
        auto it = m_progress.find(id);
        return it == m_progress.end() ? LogIndex{} : it->second.match;
    });
    if (!m_log.maybeCommit(mci, m_term))
        return false;
    onCommitAdvanced();
    return true;
}

void RaftCore::onCommitAdvanced()
{
    if (m_role != Role::Leader)
        return;
    if (committedEntryInCurrentTerm() && !m_pendingReads.empty()) {
        auto pending = std::move(m_pendingReads);
        m_pendingReads.clear();
        for (const auto &[from, ctx] : pending)
            handleReadIndexRequest(from, ctx);
    }
    // A leader that removed itself steps down once the change is committed (thesis §4.2.2).
    if (!m_log.membership().isVoter(m_config.id) && m_log.committed() >= m_log.lastConfIndex())
        becomeFollower(m_term, NodeId{});
}

// ---------------------------------------------------------------------------- commands

ProposeResult RaftCore::propose(const QByteArray &data)
{
    ProposeResult res;
    if (m_role != Role::Leader) {
        res.error = RaftError::NotLeader;
        return res;
    }
    if (!m_leadTransferee.isNone()) {
        res.error = RaftError::TransferInProgress;
        return res;
    }
    appendEntry(Entry{m_term, LogIndex{}, EntryType::Normal, data});
    if (m_role == Role::Leader)
        bcastAppend();
    res.index = m_log.lastIndex();
    res.term = m_term;
    return res;
}

ProposeResult RaftCore::proposeConfChange(const ConfChange &change)
{
    ProposeResult res;
    if (m_role != Role::Leader) {
        res.error = RaftError::NotLeader;
        return res;
    }
    if (!m_leadTransferee.isNone()) {
        res.error = RaftError::TransferInProgress;
        return res;
    }
    if (m_pendingConfIndex > m_log.committed()) {
        res.error = RaftError::ConfChangeInProgress;
        return res;
    }
    if (!committedEntryInCurrentTerm()) {
        res.error = RaftError::LeaderNotReady;
        return res;
    }
    Membership next = m_log.membership();
    if (!change.applyTo(next)) {
        res.error = RaftError::InvalidConfChange;
        return res;
    }
    appendEntry(Entry{m_term, LogIndex{}, EntryType::ConfChange, change.encode()});
    m_pendingConfIndex = m_log.lastIndex();
    if (m_role == Role::Leader)
        bcastAppend();
    res.index = m_log.lastIndex();
    res.term = m_term;
    return res;
}

RaftError RaftCore::transferLeadership(const NodeId &to)
{
    if (m_role != Role::Leader)
        return RaftError::NotLeader;
    if (to == m_config.id)
        return RaftError::None;
    if (!m_log.membership().isVoter(to))
        return RaftError::InvalidConfChange;
    if (m_leadTransferee == to)
        return RaftError::None;
    // The transfer must finish within an election timeout, or it is abandoned.
    m_electionElapsed = 0;
    m_leadTransferee = to;
    const Progress &pr = m_progress.at(to);
    if (pr.match == m_log.lastIndex())
        sendTimeoutNow(to);
    else
        sendAppend(to, true);
    return RaftError::None;
}

RaftError RaftCore::readIndex(const QByteArray &context)
{
    if (m_role == Role::Leader) {
        handleReadIndexRequest(m_config.id, context);
        return RaftError::None;
    }
    if (m_lead.isNone())
        return RaftError::NoLeader;
    Message m;
    m.type = MessageType::ReadIndex;
    m.to = m_lead;
    m.context = context;
    send(std::move(m));
    return RaftError::None;
}

std::optional<SnapshotMeta> RaftCore::snapshotMetaAt(LogIndex index) const
{
    if (index < m_log.snapshot().index || index > m_log.applied())
        return std::nullopt;
    const std::optional<Term> t = m_log.term(index);
    if (!t)
        return std::nullopt;
    return SnapshotMeta{index, *t, m_log.membershipAt(index)};
}

RaftError RaftCore::compact(const SnapshotMeta &meta)
{
    const std::optional<SnapshotMeta> expected = snapshotMetaAt(meta.index);
    if (!expected || !(*expected == meta))
        return RaftError::SnapshotOutOfRange;
    return m_log.compact(meta) ? RaftError::None : RaftError::SnapshotOutOfRange;
}

const Progress *RaftCore::progress(const NodeId &id) const
{
    auto it = m_progress.find(id);
    return it == m_progress.end() ? nullptr : &it->second;
}

void RaftCore::syncMembership()
{
    const Membership &current = m_log.membership();
    if (current == m_tracked)
        return;
    m_tracked = current;
    for (auto it = m_progress.begin(); it != m_progress.end();) {
        if (!current.contains(it->first))
            it = m_progress.erase(it);
        else
            ++it;
    }
    for (const NodeId &id : current.voters) {
        auto [it, added] = m_progress.try_emplace(id, newProgress(id));
        it->second.isLearner = false;
        if (added)
            it->second.recentActive = true;  // give a new member a full timeout to answer
    }
    for (const NodeId &id : current.learners) {
        auto [it, added] = m_progress.try_emplace(id, newProgress(id));
        it->second.isLearner = true;
        if (added)
            it->second.recentActive = true;
    }
    if (!m_leadTransferee.isNone() && !current.isVoter(m_leadTransferee))
        abortLeaderTransfer();
    if (m_role == Role::Leader) {
        // A smaller quorum may commit more; a new member needs the log.
        if (maybeCommit() && m_role == Role::Leader)
            bcastAppend();
    } else if (m_role == Role::Candidate || m_role == Role::PreCandidate) {
        bool lost = false;
        poll(m_config.id, true, &lost);
    }
}

// ---------------------------------------------------------------------------- Ready

bool RaftCore::hasReady() const
{
    if (m_readyOutstanding)
        return false;
    return softState() != m_prevSoft || hardState() != m_prevHard || m_log.hasPendingSnapshot()
        || m_log.hasUnstable() || m_log.hasNextCommitted() || !m_msgs.empty()
        || !m_readStates.empty();
}

Ready RaftCore::ready()
{
    Ready rd;
    rd.softState = softState();
    rd.softStateChanged = rd.softState != m_prevSoft;
    rd.hardState = hardState();
    rd.hardStateChanged = rd.hardState != m_prevHard;
    if (m_log.hasPendingSnapshot())
        rd.snapshot = m_log.takePendingSnapshot();
    // Order matters: every committed entry handed out is in this Ready's entries or an earlier
    // one, so the driver persists before it applies.
    rd.entries = m_log.takeUnstable();
    rd.committedEntries = m_log.takeNextCommitted(m_config.maxCommittedPerReady);
    rd.messages = std::move(m_msgs);
    m_msgs.clear();
    rd.readStates = std::move(m_readStates);
    m_readStates.clear();
    m_prevSoft = rd.softState;
    m_prevHard = rd.hardState;
    m_readyOutstanding = true;
    return rd;
}

void RaftCore::advance(const Ready &rd)
{
    m_readyOutstanding = false;
    if (rd.snapshot)
        m_log.appliedTo(rd.snapshot->index);
    if (!rd.committedEntries.empty())
        m_log.appliedTo(rd.committedEntries.back().index);
}

}  // namespace conclave::raft
