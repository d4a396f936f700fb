#include "server/raft_node.h"

#include <QLoggingCategory>
#include <QMetaObject>
#include <QPointer>
#include <QRandomGenerator>

Q_LOGGING_CATEGORY(lcRaft, "conclave.server.raft")

namespace conclave::server {

namespace {

// Consul's texts (structs.ErrNoLeader, raft.ErrRaftShutdown, raft.ErrLeadershipLost).
const QString kNoLeader = QStringLiteral("No cluster leader");
const QString kShutdown = QStringLiteral("raft is already shutdown");
const QString kLeadershipLost = QStringLiteral("leadership lost while committing log");

ProposeResult errorResult(LogError error, const QString &text)
{
    ProposeResult r;
    r.error = error;
    r.errorText = text;
    r.result.ok = false;
    r.result.error = text;
    return r;
}

storage::SnapshotMeta toStorage(const raft::SnapshotMeta &m)
{
    return storage::SnapshotMeta{m.index.value, m.term.value, m.membership.encode()};
}

// On disk a command is stored as is, like SingleNodeLog does (commands are CBOR maps, so their
// first byte is never 0x00 or 0x01); a membership change gets a 0x01 tag byte in front, and a
// no-op or a command that could be mistaken for a tag gets 0x00. A dev-mode log thus opens here.
storage::LogEntry toStorage(const raft::Entry &e)
{
    QByteArray data;
    if (e.type == raft::EntryType::ConfChange)
        data = QByteArray(1, '\x01') + e.data;
    else if (e.data.isEmpty() || quint8(e.data.at(0)) <= 1)
        data = QByteArray(1, '\x00') + e.data;
    else
        data = e.data;
    return storage::LogEntry{e.index.value, e.term.value, data};
}

raft::Entry fromStorage(const storage::LogEntry &e)
{
    raft::Entry entry{raft::Term{e.term}, raft::LogIndex{e.index}, raft::EntryType::Normal, e.data};
    const quint8 tag = e.data.isEmpty() ? 0xff : quint8(e.data.at(0));
    if (tag <= quint8(raft::EntryType::ConfChange)) {
        entry.type = raft::EntryType(tag);
        entry.data = e.data.mid(1);
    }
    return entry;
}

net::Frame frameOf(RaftFrameType type, const QByteArray &payload)
{
    return net::Frame{quint32(type), 1, payload};
}

}  // namespace

RaftNode::RaftNode(StateMachine &stateMachine, net::PeerTransport &transport, Config config, QObject *parent)
    : ReplicatedLog(parent), m_stateMachine(stateMachine), m_transport(transport), m_config(std::move(config))
{
    m_clock.start();
    // Precise: a coarse timer lets Qt align the ticks of every process on the machine to the same
    // 100 ms grid, and candidates whose random timeouts match would then stand in the same
    // millisecond (split votes).
    m_tick.setTimerType(Qt::PreciseTimer);
    m_snapshotPool.setMaxThreadCount(1);
    connect(&m_tick, &QTimer::timeout, this, &RaftNode::onTick);
}

RaftNode::~RaftNode()
{
    shutdown();
}

bool RaftNode::open(const QString &dataDir, QString *error)
{
    auto failOpen = [&](const QString &why) {
        if (error)
            *error = QStringLiteral("cannot open data dir %1: %2").arg(dataDir, why);
        if (m_storage)
            m_storage->stop();
        m_storage.reset();
        return false;
    };
    if (m_state != State::Closed)
        return failOpen(QStringLiteral("the log was already opened"));
    storage::StorageWorker::Config storageConfig;
    storageConfig.dataDir = dataDir;
    storageConfig.maxDatabasePages = m_config.maxDatabasePages;
    m_storage = std::make_unique<storage::StorageThread>(storageConfig);
    storage::LoadedState loaded;
    if (!m_storage->open(&loaded, error)) {
        m_storage.reset();
        return false;
    }

    connect(m_storage.get(), &storage::StorageThread::durable, this, [this] {
        ++m_appendsDone;
        maybeFinishReady();
    });
    connect(m_storage.get(), &storage::StorageThread::hardStateSaved, this, [this] {
        ++m_hardStatesDone;
        maybeFinishReady();
    });
    connect(m_storage.get(), &storage::StorageThread::snapshotWritten, this, [this] { onSnapshotDone(true, {}); });
    connect(m_storage.get(), &storage::StorageThread::snapshotFailed, this,
            [this](const QString &text) { onSnapshotDone(false, text); });
    connect(m_storage.get(), &storage::StorageThread::storageFailed, this, &RaftNode::fail);
    connect(&m_transport, &net::PeerTransport::frameReceived, this, &RaftNode::onFrame);
    connect(&m_transport, &net::PeerTransport::peerIntroduced, this, &RaftNode::setPeerAddress);
    m_dataDir = dataDir;

    const bool fresh = loaded.hardState.currentTerm == 0 && loaded.entries.isEmpty() && !loaded.snapshot;
    if (fresh && m_config.peers.isEmpty()) {
        // bootstrap_expect: nothing on disk and the voters not known yet. Frames are ignored and
        // proposals held until bootstrap() is given the voters.
        m_state = State::AwaitingBootstrap;
        m_tick.start(m_config.tickMs);
        qCInfo(lcRaft).noquote() << m_config.nodeId << "opened" << dataDir << "empty; waiting to bootstrap";
        return true;
    }

    const raft::Membership initial = initialMembership();
    raft::InitialState init;
    if (fresh) {
        init = raft::InitialState::bootstrap(initial);
    } else {
        init.snapshot.membership = initial;  // index 0 holds the initial voters (not stored)
        if (loaded.snapshot) {
            std::optional<raft::Membership> membership = raft::Membership::decode(loaded.snapshot->meta.membership);
            if (!membership) {
                // Written by SingleNodeLog (dev mode): its voters are the configured ones.
                qCWarning(lcRaft).noquote() << "the snapshot at index" << loaded.snapshot->meta.index
                                            << "has no Raft membership; using the configured peers";
                membership = initial;
            }
            QString why;
            if (!m_stateMachine.restore(loaded.snapshot->payload, &why))
                return failOpen(QStringLiteral("the snapshot at index %1 does not restore: %2")
                                    .arg(loaded.snapshot->meta.index)
                                    .arg(why));
            init.snapshot = raft::SnapshotMeta{raft::LogIndex{loaded.snapshot->meta.index},
                                               raft::Term{loaded.snapshot->meta.term}, *membership};
            m_lastSnapshot = SnapshotData{init.snapshot, loaded.snapshot->payload};
        }
        const quint64 base = init.snapshot.index.value;
        for (const storage::LogEntry &e : std::as_const(loaded.entries)) {
            if (e.index <= base)
                continue;  // trailing entries kept behind the snapshot
            if (e.index != base + 1 + init.entries.size())
                return failOpen(QStringLiteral("the log continues at index %1 after the snapshot at index %2")
                                    .arg(e.index)
                                    .arg(base));
            init.entries.push_back(fromStorage(e));
        }
        const quint64 last = base + init.entries.size();
        init.hardState.term = raft::Term{loaded.hardState.currentTerm};
        init.hardState.vote = raft::NodeId{loaded.hardState.votedFor};
        init.hardState.commit = raft::LogIndex{qBound(base, loaded.hardState.commit, last)};
        init.applied = init.snapshot.index;
    }
    m_previousSnapshotIndex = m_lastSnapshot.meta.index.value;
    m_compactedIndex = loaded.entries.isEmpty() ? m_previousSnapshotIndex : loaded.entries.first().index - 1;
    startCore(init, fresh);
    return true;
}

raft::Membership RaftNode::initialMembership()
{
    raft::Membership m;
    for (const Peer &p : std::as_const(m_config.peers)) {
        m.voters.insert(raft::NodeId{p.id});
        if (p.id != m_config.nodeId && !p.address.isEmpty())
            m_addresses.insert(p.id, p.address);
    }
    if (m_config.selfIsInitialVoter)
        m.voters.insert(raft::NodeId{m_config.nodeId});
    return m;
}

bool RaftNode::bootstrap(const QList<Peer> &peers, QString *error)
{
    return leaveWaiting(peers, true, error);
}

bool RaftNode::joinExisting(const QList<Peer> &clusterVoters, QString *error)
{
    return leaveWaiting(clusterVoters, false, error);
}

bool RaftNode::leaveWaiting(const QList<Peer> &peers, bool selfIsVoter, QString *error)
{
    if (m_state != State::AwaitingBootstrap) {
        if (error)
            *error = QStringLiteral("this server is not waiting to bootstrap");
        return false;
    }
    m_config.peers = peers;
    m_config.selfIsInitialVoter = selfIsVoter;
    startCore(raft::InitialState::bootstrap(initialMembership()), true);
    // What was proposed meanwhile goes in now (or waits on for a leader, as any write).
    std::vector<Held> held = std::exchange(m_held, {});
    for (Held &h : held)
        propose(h.command, std::move(h.done));
    return true;
}

void RaftNode::startCore(const raft::InitialState &init, bool fresh)
{
    m_appliedIndex = init.applied.value;
    m_savedHardState = init.hardState;
    m_membershipIndex = std::max<quint64>(1, init.snapshot.index.value);

    raft::Config rc;
    rc.id = raft::NodeId{m_config.nodeId};
    rc.electionTicks = m_config.electionTicks;
    rc.heartbeatTicks = m_config.heartbeatTicks;
    const quint64 seed = m_config.randomSeed ? m_config.randomSeed : QRandomGenerator::global()->generate64();
    m_core = std::make_unique<raft::RaftCore>(rc, init, seed);

    Forwarder::Hooks hooks;
    hooks.leaderId = [this] { return m_core->lead().value; };
    hooks.isLeader = [this] { return m_core->isLeader(); };
    hooks.tryProposeHere = [this](const QByteArray &command, Done &done) { return tryProposeHere(command, done); };
    hooks.propose = [this](const QByteArray &command, Done done) { propose(command, std::move(done)); };
    hooks.appliedIndex = [this] { return m_appliedIndex; };
    m_forwarder = std::make_unique<Forwarder>(m_transport, m_config.rpcHoldTimeoutMs, std::move(hooks));
    for (auto it = m_addresses.cbegin(); it != m_addresses.cend(); ++it)
        m_transport.setPeer(it.key(), it.value());

    m_state = State::Open;
    m_lastContact = now();
    if (!m_tick.isActive())
        m_tick.start(m_config.tickMs);
    if (fresh && m_core->membership().voters.size() == 1)
        m_core->campaign();  // a single voter need not wait for an election timeout
    QStringList voters = voterIds();
    voters.sort();
    qCInfo(lcRaft).noquote() << m_config.nodeId << "opened" << m_dataDir << "term" << m_core->term().value
                             << "snapshot" << init.snapshot.index.value << "+" << init.entries.size() << "entries"
                             << "voters" << voters.join(QLatin1Char(','));
    scheduleReady();
}

void RaftNode::setPeerAddress(const QString &id, const QString &address)
{
    if (id.isEmpty() || id == m_config.nodeId || address.isEmpty() || m_addresses.value(id) == address)
        return;
    m_addresses.insert(id, address);
    if (m_state == State::Open || m_state == State::AwaitingBootstrap)
        m_transport.setPeer(id, address);
}

void RaftNode::scheduleReady()
{
    if (m_readyScheduled || m_state != State::Open)
        return;
    m_readyScheduled = true;
    QMetaObject::invokeMethod(this, &RaftNode::processReady, Qt::QueuedConnection);
}

// Step 1 of a Ready: hand the snapshot, the entries and the hard state to the storage thread (it
// runs them in this order) and note which completions to wait for before sending anything.
void RaftNode::processReady()
{
    m_readyScheduled = false;
    if (m_state != State::Open || m_ready || !m_core->hasReady())
        return;
    m_ready = m_core->ready();
    const raft::Ready &rd = *m_ready;
    if (rd.softStateChanged && rd.softState.lead.value != m_lastLeader) {
        m_lastLeader = rd.softState.lead.value;
        qCInfo(lcRaft).noquote() << m_config.nodeId << "leader is now" << (m_lastLeader.isEmpty() ? "none" : m_lastLeader)
                                 << "term" << m_core->term().value;
        emit leaderChanged(m_lastLeader);
    }
    if (rd.snapshot) {
        auto it = m_receivedSnapshots.find(rd.snapshot->index.value);
        if (it == m_receivedSnapshots.end()) {
            fail(QStringLiteral("raft asked to install snapshot %1 whose payload never arrived").arg(rd.snapshot->index.value));
            return;
        }
        SnapshotData data{*rd.snapshot, it->second};
        m_storage->writeSnapshot(toStorage(data.meta), data.payload);
        m_postedSnapshots.push_back(PostedSnapshot{true, std::move(data)});
        m_waitSnapshots = ++m_snapshotsPosted;
        m_storage->truncateSuffix(0);  // the core replaced its whole log by the snapshot
    }
    if (!rd.entries.empty()) {
        QList<storage::LogEntry> entries;
        entries.reserve(qsizetype(rd.entries.size()));
        for (const raft::Entry &e : rd.entries)
            entries.append(toStorage(e));
        m_storage->appendEntries(entries);
        m_waitAppends = ++m_appendsPosted;
    }
    if (rd.hardStateChanged) {
        m_storage->setHardState(
            storage::HardState{rd.hardState.term.value, rd.hardState.vote.value, rd.hardState.commit.value});
        ++m_hardStatesPosted;
        // Term and vote must be durable before a message goes out; the commit index need not.
        if (rd.hardState.term != m_savedHardState.term || rd.hardState.vote != m_savedHardState.vote)
            m_waitHardStates = m_hardStatesPosted;
        m_savedHardState = rd.hardState;
    }
    maybeFinishReady();
}

void RaftNode::maybeFinishReady()
{
    if (!m_ready || m_state != State::Open)
        return;
    if (m_appendsDone < m_waitAppends || m_hardStatesDone < m_waitHardStates || m_snapshotsDone < m_waitSnapshots)
        return;
    finishReady();
}

// Steps 2–4: send, apply, advance; then answer the proposers whose entries were applied.
void RaftNode::finishReady()
{
    raft::Ready rd = std::move(*m_ready);
    m_ready.reset();
    for (const raft::Message &m : rd.messages)
        sendMessage(m);

    std::vector<std::pair<Done, ProposeResult>> answers;
    if (rd.snapshot) {
        const QByteArray payload = m_receivedSnapshots[rd.snapshot->index.value];
        QString why;
        if (!m_stateMachine.restore(payload, &why)) {
            fail(QStringLiteral("cannot restore the snapshot at index %1 from the leader: %2")
                     .arg(rd.snapshot->index.value)
                     .arg(why));
            return;
        }
        m_appliedIndex = rd.snapshot->index.value;
        m_receivedSnapshots.erase(m_receivedSnapshots.begin(), m_receivedSnapshots.upper_bound(m_appliedIndex));
        // Whatever we proposed below the snapshot was decided elsewhere; we cannot tell how.
        while (!m_pending.empty() && m_pending.begin()->first <= m_appliedIndex) {
            answers.emplace_back(std::move(m_pending.begin()->second.done), errorResult(LogError::NoLeader, kLeadershipLost));
            m_pending.erase(m_pending.begin());
        }
    }
    for (const raft::Entry &e : rd.committedEntries) {
        state::ApplyResult result;
        if (e.type == raft::EntryType::Normal && !e.data.isEmpty())
            result = m_stateMachine.apply(e.index.value, e.data);
        else if (e.type == raft::EntryType::ConfChange)
            onConfChangeApplied(e);
        m_appliedIndex = e.index.value;
        auto it = m_pending.find(e.index.value);
        if (it == m_pending.end())
            continue;
        const bool ours = e.type == raft::EntryType::ConfChange || (e.type == raft::EntryType::Normal && !e.data.isEmpty());
        if (it->second.term == e.term && ours) {
            ProposeResult r;
            r.index = e.index.value;
            r.result = result;
            answers.emplace_back(std::move(it->second.done), r);
        } else {
            // Another leader's entry took this index: ours was overwritten (Raft §5.3).
            answers.emplace_back(std::move(it->second.done), errorResult(LogError::NoLeader, kLeadershipLost));
        }
        m_pending.erase(it);
    }
    for (const raft::ReadState &rs : rd.readStates) {
        const QByteArray prefix = m_config.nodeId.toUtf8() + ':';
        if (!rs.context.startsWith(prefix))
            continue;
        auto it = m_reads.find(rs.context.mid(prefix.size()).toULongLong());
        if (it != m_reads.end()) {
            it->second.confirmed = true;
            it->second.index = rs.index.value;
        }
    }
    m_core->advance(rd);
    if (m_pendingCompact) {
        m_core->compact(*m_pendingCompact);
        m_pendingCompact.reset();
    }

    QPointer<RaftNode> self(this);
    if (!rd.committedEntries.empty() || rd.snapshot)
        emit applied(m_appliedIndex);
    for (auto &[done, r] : answers) {
        if (!self)
            return;
        if (done)
            done(r);
    }
    if (!self)
        return;
    completeWaiting();
    if (!self)
        return;
    maybeSnapshot();
    scheduleReady();
}

void RaftNode::sendMessage(const raft::Message &m)
{
    if (m.type == raft::MessageType::Snapshot) {
        sendSnapshot(m);
        return;
    }
    m_transport.send(m.to.value, frameOf(RaftFrameType::Message, encodeRaftMessage(m)));
}

// InstallSnapshot in chunks of snapshotChunkBytes; the Snapshot message rides on the last one.
void RaftNode::sendSnapshot(const raft::Message &m)
{
    if (m_lastSnapshot.meta.index != m.snapshot.index || m_lastSnapshot.meta.index.value == 0) {
        m_core->reportSnapshotFailure(m.to);  // compacted again since; the core asks for the newer one
        return;
    }
    const QByteArray &payload = m_lastSnapshot.payload;
    const qsizetype chunk = qMax(1, m_config.snapshotChunkBytes);
    qsizetype offset = 0;
    do {
        SnapshotChunk c;
        c.offset = quint64(offset);
        c.total = quint64(payload.size());
        c.snapshotIndex = m.snapshot.index.value;
        c.snapshotTerm = m.snapshot.term.value;
        c.data = payload.mid(offset, chunk);
        offset += c.data.size();
        if (c.isLast())
            c.message = m;
        m_transport.send(m.to.value, frameOf(RaftFrameType::SnapshotChunk, encodeSnapshotChunk(c)));
    } while (offset < payload.size());
}

void RaftNode::onFrame(const QString &from, net::PeerTransport::Channel, const net::Frame &frame)
{
    if (m_state != State::Open)
        return;
    QString why;
    switch (RaftFrameType(frame.type)) {
    case RaftFrameType::Message:
        if (const std::optional<raft::Message> m = decodeRaftMessage(frame.payload, &why))
            onMessage(*m);
        break;
    case RaftFrameType::SnapshotChunk:
        if (const std::optional<SnapshotChunk> c = decodeSnapshotChunk(frame.payload, &why))
            onSnapshotChunk(from, *c);
        break;
    case RaftFrameType::ForwardRequest:
        if (const std::optional<ForwardRequest> q = decodeForwardRequest(frame.payload, &why))
            m_forwarder->onRequest(from, *q);
        break;
    case RaftFrameType::ForwardResponse:
        if (const std::optional<ForwardResponse> r = decodeForwardResponse(frame.payload, &why))
            m_forwarder->onResponse(*r);
        break;
    default:
        if (frame.type < 100)  // higher types belong to other users of the transport
            why = QStringLiteral("unknown frame type %1").arg(frame.type);
        break;
    }
    if (!why.isEmpty())
        qCWarning(lcRaft).noquote() << "dropping a frame from" << from << ":" << why;
}

void RaftNode::onMessage(const raft::Message &m)
{
    if (m.to.value != m_config.nodeId)
        return;
    m_core->step(m);
    if (!m_core->lead().isNone() && m.from == m_core->lead())
        m_lastContact = now();
    scheduleReady();
}

void RaftNode::onSnapshotChunk(const QString &from, const SnapshotChunk &chunk)
{
    Assembly &a = m_assemblies[from];
    if (chunk.offset == 0) {
        a = Assembly{chunk.snapshotIndex, chunk.snapshotTerm, {}};
    } else if (a.index != chunk.snapshotIndex || a.term != chunk.snapshotTerm || quint64(a.data.size()) != chunk.offset) {
        m_assemblies.remove(from);  // a chunk went missing: drop it, the leader retries
        return;
    }
    a.data.append(chunk.data);
    if (!chunk.isLast())
        return;
    m_receivedSnapshots[chunk.snapshotIndex] = std::exchange(a.data, {});
    m_assemblies.remove(from);
    onMessage(chunk.message);
}

void RaftNode::propose(const QByteArray &command, Done done)
{
    switch (m_state) {
    case State::Open:
        break;
    case State::AwaitingBootstrap:
        m_held.push_back(Held{command, std::move(done), now() + m_config.rpcHoldTimeoutMs});
        return;
    case State::Closed:
        deferError(std::move(done), LogError::NoLeader, kNoLeader);
        return;
    case State::Failed:
        deferError(std::move(done), LogError::StorageFailed, m_failure);
        return;
    case State::ShutDown:
        deferError(std::move(done), LogError::ShuttingDown, kShutdown);
        return;
    }
    if (tryProposeHere(command, done))
        return;
    // Not the leader (or leadership is moving): forward, retrying until a leader answers.
    m_forwarder->forward(command, std::move(done));
}

void RaftNode::changeMembership(const raft::ConfChange &change, Done done)
{
    if (m_state != State::Open || !m_core->isLeader()) {
        deferError(std::move(done), LogError::NoLeader,
                   m_state == State::Open ? QStringLiteral("membership changes are made on the leader") : kNoLeader);
        return;
    }
    const raft::ProposeResult r = m_core->proposeConfChange(change);
    if (r.error != raft::RaftError::None) {
        deferError(std::move(done), LogError::Rejected,
                   r.error == raft::RaftError::ConfChangeInProgress
                       ? QStringLiteral("a membership change is already in progress")
                       : QStringLiteral("the membership change does not apply to the current configuration"));
        return;
    }
    m_pending.emplace(r.index.value, Pending{r.term, std::move(done), now() + m_config.rpcHoldTimeoutMs});
    scheduleReady();
}

// Consul's autopilot promotes a non-voter once it is healthy; here: once it has every committed
// entry (a voter that cannot keep up would only slow commits down).
void RaftNode::promoteCaughtUpLearners()
{
    if (m_promoting || m_transferDone)
        return;
    const quint64 commit = m_core->commitIndex().value;
    for (const raft::NodeId &id : m_core->membership().learners) {
        const raft::Progress *pr = m_core->progress(id);
        if (!pr || pr->match.value < commit)
            continue;
        m_promoting = true;
        const QString who = id.value;
        changeMembership(raft::ConfChange{raft::ConfChangeType::Promote, id, {}}, [this, who](const ProposeResult &r) {
            m_promoting = false;
            if (r.error == LogError::None)
                qCInfo(lcRaft).noquote() << m_config.nodeId << "promoted" << who << "to voter";
        });
        return;
    }
}

void RaftNode::onConfChangeApplied(const raft::Entry &e)
{
    const std::optional<raft::ConfChange> change = raft::ConfChange::decode(e.data);
    if (!change)
        return;
    m_membershipIndex = e.index.value;
    if (change->type == raft::ConfChangeType::Remove) {
        if (change->node.value != m_config.nodeId)
            m_transport.removePeer(change->node.value);
        m_addresses.remove(change->node.value);
    } else if (!change->context.isEmpty()) {
        setPeerAddress(change->node.value, QString::fromUtf8(change->context));
    }
    emit membershipChanged();
}

bool RaftNode::tryProposeHere(const QByteArray &command, Done &done)
{
    if (!m_core->isLeader())
        return false;
    const raft::ProposeResult r = m_core->propose(command);
    if (r.error != raft::RaftError::None)
        return false;
    m_pending.emplace(r.index.value, Pending{r.term, std::move(done), now() + m_config.rpcHoldTimeoutMs});
    scheduleReady();
    return true;
}

void RaftNode::readBarrier(std::function<void(bool ok)> done)
{
    if (m_state != State::Open && m_state != State::AwaitingBootstrap) {
        QMetaObject::invokeMethod(this, [done = std::move(done)] { done(false); }, Qt::QueuedConnection);
        return;
    }
    const quint64 id = m_nextReadId++;
    m_reads.emplace(id, Read{std::move(done), now() + m_config.rpcHoldTimeoutMs, false, {}, 0, false});
    tryAskRead(id);
}

void RaftNode::tryAskRead(quint64 id)
{
    auto it = m_reads.find(id);
    if (it == m_reads.end() || it->second.asked || m_state != State::Open)
        return;
    // The leader tells reads apart by context alone, so it must be unique across servers.
    if (m_core->readIndex(m_config.nodeId.toUtf8() + ':' + QByteArray::number(id)) == raft::RaftError::None) {
        it->second.asked = true;
        it->second.askedLeader = m_core->lead().value;
        scheduleReady();
    }
}

// Forwarded writes and confirmed reads wait until this server applied their index.
void RaftNode::completeWaiting()
{
    QPointer<RaftNode> self(this);
    m_forwarder->onApplied();
    if (!self)
        return;
    for (auto it = m_reads.begin(); it != m_reads.end();) {
        if (it->second.confirmed && it->second.index <= m_appliedIndex) {
            auto done = std::move(it->second.done);
            it = m_reads.erase(it);
            if (done)
                done(true);
            if (!self)
                return;
        } else {
            ++it;
        }
    }
}

void RaftNode::onTick()
{
    if (m_state == State::AwaitingBootstrap) {
        expire();
        return;
    }
    if (m_state != State::Open)
        return;
    m_core->tick();
    if (m_core->isLeader())
        m_lastContact = now();
    QPointer<RaftNode> self(this);
    m_forwarder->retry();
    if (!self || m_state != State::Open)
        return;
    const QString lead = m_core->lead().value;
    for (auto &[id, r] : m_reads) {
        // A read asked of a leader that is gone (killed, partitioned away) would only time out:
        // ask the new one. Reads change nothing, so asking twice is harmless.
        if (r.asked && !r.confirmed && !lead.isEmpty() && r.askedLeader != lead)
            r.asked = false;
        if (!r.asked)
            QMetaObject::invokeMethod(this, [this, id = id] { tryAskRead(id); }, Qt::QueuedConnection);
    }
    if (m_config.promoteLearners && m_core->isLeader())
        promoteCaughtUpLearners();
    if (m_transferDone && (!m_core->isLeader() || now() >= m_transferDeadline)) {
        auto done = std::exchange(m_transferDone, {});
        done();
    }
    expire();
    scheduleReady();
}

// Everything still unanswered after rpcHoldTimeoutMs fails, like Consul's RPC hold.
void RaftNode::expire()
{
    const qint64 t = now();
    std::vector<Done> expired;
    for (auto it = m_held.begin(); it != m_held.end();) {
        if (it->deadline <= t) {
            expired.push_back(std::move(it->done));
            it = m_held.erase(it);
        } else {
            ++it;
        }
    }
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (it->second.deadline <= t) {
            expired.push_back(std::move(it->second.done));
            it = m_pending.erase(it);
        } else {
            ++it;
        }
    }
    std::vector<std::function<void(bool)>> failedReads;
    for (auto it = m_reads.begin(); it != m_reads.end();) {
        if (it->second.deadline <= t && !it->second.confirmed) {
            failedReads.push_back(std::move(it->second.done));
            it = m_reads.erase(it);
        } else {
            ++it;
        }
    }
    QPointer<RaftNode> self(this);
    for (Done &d : expired) {
        if (d)
            d(errorResult(LogError::NoLeader, kNoLeader));
        if (!self)
            return;
    }
    for (auto &d : failedReads) {
        if (d)
            d(false);
        if (!self)
            return;
    }
}

void RaftNode::maybeSnapshot()
{
    if (m_state != State::Open || m_snapshotInFlight)
        return;
    if (m_appliedIndex < m_lastSnapshot.meta.index.value + m_config.snapshotThreshold)
        return;
    const std::optional<raft::SnapshotMeta> meta = m_core->snapshotMetaAt(raft::LogIndex{m_appliedIndex});
    if (!meta)
        return;
    m_snapshotInFlight = true;
    // The tables are copied here, on the loop; encoding them is the slow part and runs on the
    // worker. The result comes back as a queued call (this object outlives the worker: shutdown()
    // waits for it, and a call still queued at destruction is dropped with the object).
    m_snapshotPool.start([this, task = m_stateMachine.snapshotTask(), m = *meta] {
        QByteArray payload = task();
        QMetaObject::invokeMethod(
            this, [this, m, payload = std::move(payload)]() mutable { onSnapshotEncoded(m, std::move(payload)); },
            Qt::QueuedConnection);
    });
}

void RaftNode::onSnapshotEncoded(const raft::SnapshotMeta &meta, QByteArray payload)
{
    if (m_state != State::Open) {
        m_snapshotInFlight = false;
        return;
    }
    SnapshotData data{meta, std::move(payload)};
    m_storage->writeSnapshot(toStorage(data.meta), data.payload);
    m_postedSnapshots.push_back(PostedSnapshot{false, std::move(data)});
    ++m_snapshotsPosted;
}

void RaftNode::onSnapshotDone(bool ok, const QString &text)
{
    ++m_snapshotsDone;
    if (m_postedSnapshots.empty())
        return;
    PostedSnapshot posted = std::move(m_postedSnapshots.front());
    m_postedSnapshots.pop_front();
    if (!posted.install)
        m_snapshotInFlight = false;
    if (!ok) {
        if (posted.install) {
            fail(text);
            return;
        }
        qCWarning(lcRaft).noquote() << text;  // not fatal: the log still holds every entry
        return;
    }
    const quint64 index = posted.data.meta.index.value;
    const quint64 previous = m_previousSnapshotIndex;
    m_previousSnapshotIndex = m_lastSnapshot.meta.index.value;
    if (index >= m_lastSnapshot.meta.index.value)
        m_lastSnapshot = posted.data;
    if (!posted.install && m_state == State::Open) {
        // The core drops entries up to the snapshot; the disk keeps trailingLogs behind it and
        // everything after the previous snapshot (a corrupt newest snapshot falls back to it).
        if (m_ready)
            m_pendingCompact = posted.data.meta;
        else
            m_core->compact(posted.data.meta);
        const quint64 keepFrom = index > m_config.trailingLogs ? index - m_config.trailingLogs : 0;
        const quint64 upTo = qMin(keepFrom, previous);
        if (upTo > m_compactedIndex) {
            m_storage->truncatePrefix(upTo);
            m_compactedIndex = upTo;
        }
    }
    emit snapshotTaken(index);
    maybeFinishReady();
}

void RaftNode::transferLeadership(std::function<void()> done)
{
    if (m_state != State::Open || !m_core->isLeader()) {
        QMetaObject::invokeMethod(this, std::move(done), Qt::QueuedConnection);
        return;
    }
    raft::NodeId best;
    quint64 bestMatch = 0;
    for (const raft::NodeId &id : m_core->membership().voters) {
        if (id.value == m_config.nodeId)
            continue;
        const raft::Progress *pr = m_core->progress(id);
        if (pr && (best.isNone() || pr->match.value > bestMatch)) {
            best = id;
            bestMatch = pr->match.value;
        }
    }
    if (best.isNone() || m_core->transferLeadership(best) != raft::RaftError::None) {
        QMetaObject::invokeMethod(this, std::move(done), Qt::QueuedConnection);
        return;
    }
    m_transferDone = std::move(done);
    m_transferDeadline = now() + qint64(m_config.tickMs) * m_config.electionTicks;
    scheduleReady();
}

void RaftNode::fail(const QString &text)
{
    if (m_state != State::Open && m_state != State::AwaitingBootstrap)
        return;
    m_state = State::Failed;
    m_failure = text;
    m_tick.stop();
    qCCritical(lcRaft).noquote() << "storage failed, refusing writes from now on:" << text;
    failAll(LogError::StorageFailed, text);
    emit fatalError(text);
}

void RaftNode::failAll(LogError error, const QString &text)
{
    std::vector<Done> dones;
    for (auto &[index, p] : m_pending)
        dones.push_back(std::move(p.done));
    m_pending.clear();
    for (Held &h : m_held)
        dones.push_back(std::move(h.done));
    m_held.clear();
    std::vector<std::function<void(bool)>> reads;
    for (auto &[id, r] : m_reads)
        reads.push_back(std::move(r.done));
    m_reads.clear();
    for (Done &d : dones) {
        if (d)
            d(errorResult(error, text));
    }
    if (m_forwarder)
        m_forwarder->failAll(error, text);
    for (auto &r : reads) {
        if (r)
            r(false);
    }
    if (m_transferDone)
        std::exchange(m_transferDone, {})();
}

void RaftNode::deferError(Done done, LogError error, const QString &text)
{
    // Answered from the event loop, never from inside propose() (as SingleNodeLog).
    QMetaObject::invokeMethod(
        this, [done = std::move(done), error, text] { if (done) done(errorResult(error, text)); },
        Qt::QueuedConnection);
}

void RaftNode::shutdown()
{
    if (m_state == State::ShutDown)
        return;
    const State was = m_state;
    m_state = State::ShutDown;
    m_tick.stop();
    m_snapshotPool.waitForDone();
    disconnect(&m_transport, nullptr, this, nullptr);
    if (m_storage && was != State::Closed)
        m_storage->drain();
    failAll(LogError::ShuttingDown, kShutdown);
    if (m_storage)
        m_storage->stop();
}

bool RaftNode::isLeader() const
{
    return m_state == State::Open && m_core->isLeader();
}

bool RaftNode::hasLeader() const
{
    return m_state == State::Open && !m_core->lead().isNone();
}

QString RaftNode::leaderId() const
{
    return m_core && m_state == State::Open ? m_core->lead().value : QString();
}

QString RaftNode::addressOf(const QString &id) const
{
    return id == m_config.nodeId ? m_config.advertiseAddress : m_addresses.value(id);
}

QString RaftNode::leaderAddress() const
{
    const QString lead = leaderId();
    return lead.isEmpty() ? QString() : addressOf(lead);
}

QStringList RaftNode::voterIds() const
{
    QStringList out;
    if (m_core) {
        for (const raft::NodeId &id : m_core->membership().voters)
            out.append(id.value);
    }
    return out;
}

QStringList RaftNode::learnerIds() const
{
    QStringList out;
    if (m_core) {
        for (const raft::NodeId &id : m_core->membership().learners)
            out.append(id.value);
    }
    return out;
}

quint64 RaftNode::matchIndex(const QString &id) const
{
    if (m_state != State::Open || !m_core->isLeader())
        return 0;
    if (id == m_config.nodeId)
        return m_core->lastIndex().value;
    const raft::Progress *pr = m_core->progress(raft::NodeId{id});
    return pr ? pr->match.value : 0;
}

QStringList RaftNode::peers() const
{
    QStringList out;
    for (const QString &id : voterIds())
        out.append(addressOf(id));
    return out;
}

qint64 RaftNode::lastContactMs() const
{
    if (m_state != State::Open || m_core->isLeader())
        return 0;
    return now() - m_lastContact;
}

quint64 RaftNode::commitIndex() const
{
    return m_core ? m_core->commitIndex().value : 0;
}

quint64 RaftNode::currentTerm() const
{
    return m_core ? m_core->term().value : 0;
}

}  // namespace conclave::server
