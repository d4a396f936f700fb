#include "sim_cluster.h"

#include <cstdio>

namespace conclave::sim {

using namespace conclave::raft;

namespace {

constexpr int kTraceKeep = 60;
const char *const kKeys[] = {"a", "b", "c"};

// Log command: "opId;P|C;key;value;expected" (values never contain ';').
QByteArray encodeCommand(quint64 opId, const Operation &op)
{
    return QByteArray::number(opId) + ';' + (op.op == KvOp::Put ? "P" : "C") + ';'
        + op.key.toUtf8() + ';' + op.value.toUtf8() + ';' + op.expected.toUtf8();
}

// Snapshot payload: "key=value\n" lines, sorted (std::map), so equal states give equal bytes.
QByteArray encodeKv(const std::map<QString, QString> &kv)
{
    QByteArray out;
    for (const auto &[k, v] : kv)
        out += k.toUtf8() + '=' + v.toUtf8() + '\n';
    return out;
}

std::map<QString, QString> decodeKv(const QByteArray &bytes)
{
    std::map<QString, QString> kv;
    for (const QByteArray &line : bytes.split('\n')) {
        const int eq = line.indexOf('=');
        if (eq > 0)
            kv[QString::fromUtf8(line.left(eq))] = QString::fromUtf8(line.mid(eq + 1));
    }
    return kv;
}

const char *kindName(int k)
{
    static const char *const names[] = {"tick", "deliver", "persisted", "client-issue",
                                        "client-request", "client-reply", "client-timeout",
                                        "nemesis", "restart", "end-faults"};
    return names[k];
}

}  // namespace

struct SimCluster::Node {
    int index = 0;
    NodeId id;
    bool up = true;
    int incarnation = 0;
    std::unique_ptr<RaftCore> core;
    MemoryLog disk;
    bool persisting = false;
    Ready inFlight;
    std::map<QString, QString> kv;
    std::map<quint64, QByteArray> snapshotInbox;  // payloads of Snapshot messages, by index
    std::map<quint64, Call> writes;               // log index → waiting client
    std::map<QByteArray, Call> readCtx;           // ReadIndex context → waiting client
    std::vector<std::pair<LogIndex, Call>> reads;  // confirmed, waiting for apply
};

struct SimCluster::Client {
    int id = 0;
    quint64 opId = 0;  // current operation, 0 = idle
    int leaderHint = -1;
};

SimCluster::SimCluster(const SimConfig &config)
    : m_cfg(config), m_rng(config.seed * 0x9E3779B97F4A7C15ULL + 17), m_net(m_rng, NetworkFaults{})
{
    // Each seed draws its own fault mix, so the seeds cover calm and hostile networks.
    NetworkFaults f;
    f.drop = double(m_rng() % 8) / 100.0;
    f.duplicate = double(m_rng() % 4) / 100.0;
    f.maxDelay = 4 + qint64(m_rng() % 10);
    m_net.setFaults(f);

    Membership members;
    for (int i = 0; i < m_cfg.nodes; ++i)
        members.voters.insert(NodeId{QStringLiteral("s%1").arg(i + 1)});
    for (int i = 0; i < m_cfg.nodes; ++i) {
        auto n = std::make_unique<Node>();
        n->index = i;
        n->id = NodeId{QStringLiteral("s%1").arg(i + 1)};
        n->disk = MemoryLog(members);
        n->core = std::make_unique<RaftCore>(nodeConfig(i), n->disk.initialState(), m_rng());
        m_nodes.push_back(std::move(n));
        // Unsynchronised clocks: each server ticks at its own phase.
        Event t;
        t.kind = Kind::Tick;
        t.node = i;
        t.time = qint64(m_rng() % quint64(m_cfg.tickMs));
        schedule(t);
    }
    for (int c = 0; c < m_cfg.clients; ++c) {
        auto cl = std::make_unique<Client>();
        cl->id = c;
        m_clients.push_back(std::move(cl));
        Event e;
        e.kind = Kind::ClientIssue;
        e.client = c;
        e.time = 20 + qint64(m_rng() % 100);
        schedule(e);
    }
    Event nem;
    nem.kind = Kind::Nemesis;
    nem.time = 100 + qint64(m_rng() % 200);
    schedule(nem);
    Event end;
    end.kind = Kind::EndFaults;
    end.time = m_cfg.faultyMs;
    schedule(end);
}

SimCluster::~SimCluster() = default;

Config SimCluster::nodeConfig(int i) const
{
    Config c;
    c.id = NodeId{QStringLiteral("s%1").arg(i + 1)};
    c.electionTicks = 10;
    c.heartbeatTicks = 1;
    c.preVote = true;
    c.checkQuorum = true;
    c.maxEntriesPerMsg = 8;  // small batches so pipelining and back-off happen in short runs
    c.maxInflight = 4;
    return c;
}

int SimCluster::nodeIndex(const NodeId &id) const
{
    return id.value.mid(1).toInt() - 1;
}

void SimCluster::schedule(Event e)
{
    e.seq = m_seq++;
    m_queue.push(std::move(e));
}

SimResult SimCluster::run()
{
    const qint64 end = m_cfg.faultyMs + m_cfg.settleMs;
    while (!m_queue.empty() && m_result.ok) {
        Event e = m_queue.top();
        m_queue.pop();
        if (e.time > end)
            break;
        m_now = e.time;
        ++m_result.events;
        handle(e);
        if (m_result.ok)
            checkInvariants();
    }
    if (!m_result.ok)
        return m_result;

    // Liveness after healing: a leader everybody follows, and all caught up.
    int leaders = 0;
    for (const auto &n : m_nodes)
        leaders += n->core->isLeader();
    if (leaders != 1)
        fail(QStringLiteral("no single leader %1 ms after healing (%2 leaders)")
                 .arg(m_cfg.settleMs).arg(leaders));
    for (const auto &n : m_nodes)
        m_result.maxCommit = std::max(m_result.maxCommit, n->core->commitIndex().value);

    // Timed-out operations keep ret = kNever: they may or may not have happened.
    for (const Operation &op : m_history) {
        if (op.known())
            ++m_result.opsOk;
        else
            ++m_result.opsUnknown;
    }
    const CheckResult lin = checkKvHistory(m_history);
    if (!lin.linearizable)
        fail(QStringLiteral("history not linearizable on key '%1':\n%2").arg(lin.key, lin.detail));
    m_result.elections = int(m_inv.leaders().size());
    return m_result;
}

void SimCluster::handle(const Event &e)
{
    trace(e);
    switch (e.kind) {
    case Kind::Tick: {
        Node &n = *m_nodes[e.node];
        if (n.up) {
            n.core->tick();
            pump(n);
        }
        Event next = e;
        next.time += m_cfg.tickMs;
        schedule(next);
        break;
    }
    case Kind::Deliver: {
        Node &n = *m_nodes[e.node];
        if (!n.up)
            break;
        if (e.msg.type == MessageType::Snapshot)
            n.snapshotInbox[e.msg.snapshot.index.value] = e.payload;
        n.core->step(e.msg);
        pump(n);
        break;
    }
    case Kind::PersistDone: {
        Node &n = *m_nodes[e.node];
        if (!n.up || n.incarnation != e.incarnation || !n.persisting)
            break;  // crashed meanwhile: that Ready never reached the disk
        const Ready rd = std::move(n.inFlight);
        n.inFlight = Ready();
        handleReady(n, rd);
        break;
    }
    case Kind::ClientIssue:
        clientIssue(*m_clients[e.client]);
        break;
    case Kind::ClientRequest:
        onClientRequest(*m_nodes[e.node], e);
        break;
    case Kind::ClientReply:
        onClientReply(e);
        break;
    case Kind::ClientTimeout: {
        Client &c = *m_clients[e.client];
        if (c.opId != e.opId)
            break;
        // Unknown outcome: the operation stays in the history with ret = never.
        c.opId = 0;
        c.leaderHint = -1;
        Event next;
        next.kind = Kind::ClientIssue;
        next.client = c.id;
        next.time = m_now + 1 + qint64(m_rng() % 20);
        schedule(next);
        break;
    }
    case Kind::Nemesis:
        if (m_faultsOn) {
            nemesis();
            Event next = e;
            next.time = m_now + 100 + qint64(m_rng() % 300);
            schedule(next);
        }
        break;
    case Kind::Restart: {
        Node &n = *m_nodes[e.node];
        if (!n.up && n.incarnation == e.incarnation)
            restart(n);
        break;
    }
    case Kind::EndFaults:
        m_faultsOn = false;
        m_net.heal();
        m_net.setFaults(NetworkFaults{0, 0, 1, 5, 0, 1});
        for (auto &n : m_nodes) {
            if (!n->up)
                restart(*n);
        }
        break;
    }
}

void SimCluster::pump(Node &n)
{
    if (!n.up || n.persisting || !n.core->hasReady())
        return;
    n.inFlight = n.core->ready();
    n.persisting = true;
    Event done;
    done.kind = Kind::PersistDone;
    done.node = n.index;
    done.incarnation = n.incarnation;
    done.time = m_now + qint64(m_rng() % 3);  // fsync latency
    schedule(done);
}

void SimCluster::handleReady(Node &n, const Ready &rd)
{
    // 1. Persist: snapshot, entries, hard state (what a crash keeps from now on).
    QByteArray payload;
    if (rd.snapshot) {
        auto it = n.snapshotInbox.find(rd.snapshot->index.value);
        if (it == n.snapshotInbox.end()) {
            fail(QStringLiteral("%1: snapshot %2 to install but no payload received")
                     .arg(n.id.value).arg(rd.snapshot->index.value));
            return;
        }
        payload = it->second;
        n.snapshotInbox.clear();
    }
    n.disk.persist(rd, payload);
    // 2. Send, now that what the messages promise is durable.
    for (const Message &m : rd.messages) {
        const int to = nodeIndex(m.to);
        if (m.type == MessageType::Snapshot && n.disk.snapshot().index != m.snapshot.index) {
            // Compacted again since the core chose this snapshot: as a real driver would, report
            // the failure; the core sends the newer one next time.
            n.core->reportSnapshotFailure(m.to);
            continue;
        }
        for (qint64 delay : m_net.fate(n.index, to)) {
            Event d;
            d.kind = Kind::Deliver;
            d.node = to;
            d.msg = m;
            if (m.type == MessageType::Snapshot) {
                if (n.disk.snapshot().index != m.snapshot.index) {
                    fail(QStringLiteral("%1 sends snapshot %2 but has %3 on disk")
                             .arg(n.id.value).arg(m.snapshot.index.value)
                             .arg(n.disk.snapshot().index.value));
                    return;
                }
                d.payload = n.disk.snapshotPayload();
            }
            d.time = m_now + delay;
            schedule(std::move(d));
        }
    }
    // 3. Apply: the snapshot first, then committed entries in order.
    if (rd.snapshot) {
        n.kv = decodeKv(payload);
        m_inv.recordRestored(n.id, rd.snapshot->index);
        ++m_result.snapshotsInstalled;
    }
    for (const Entry &e : rd.committedEntries)
        applyEntry(n, e);
    for (const ReadState &rs : rd.readStates) {
        auto it = n.readCtx.find(rs.context);
        if (it == n.readCtx.end())
            continue;
        n.reads.emplace_back(rs.index, it->second);
        n.readCtx.erase(it);
    }
    // 4. Advance, then serve what became readable and compact if the log grew.
    n.core->advance(rd);
    n.persisting = false;
    serveReads(n);
    const LogIndex applied = n.core->appliedIndex();
    if (applied.value >= n.disk.snapshot().index.value + m_cfg.snapshotEvery) {
        const std::optional<SnapshotMeta> meta = n.core->snapshotMetaAt(applied);
        if (meta && n.core->compact(*meta) == RaftError::None)
            n.disk.compact(*meta, encodeKv(n.kv));
    }
    pump(n);
}

void SimCluster::applyEntry(Node &n, const Entry &e)
{
    const QStringList errors = m_inv.recordApplied(n.id, e);
    if (!errors.isEmpty()) {
        fail(errors.join(QLatin1Char('\n')));
        return;
    }
    quint64 opId = 0;
    bool casOk = false;
    if (e.type == EntryType::Normal && !e.data.isEmpty()) {
        const QList<QByteArray> f = e.data.split(';');
        opId = f.value(0).toULongLong();
        const QString key = QString::fromUtf8(f.value(2));
        if (f.value(1) == "P") {
            n.kv[key] = QString::fromUtf8(f.value(3));
        } else {
            const QString expected = QString::fromUtf8(f.value(4));
            const auto it = n.kv.find(key);
            const QString current = it == n.kv.end() ? QString() : it->second;
            casOk = current == expected;
            if (casOk)
                n.kv[key] = QString::fromUtf8(f.value(3));
        }
    }
    auto w = n.writes.find(e.index.value);
    if (w == n.writes.end())
        return;
    const Call call = w->second;
    n.writes.erase(w);
    if (opId == call.opId)
        sendReply(call.client, call.opId, ReplyKind::Ok, -1, QString(), casOk);
    else  // another entry won this index: ours can never commit, so retrying is safe
        sendReply(call.client, call.opId, ReplyKind::Retry, -1, QString(), false);
}

void SimCluster::serveReads(Node &n)
{
    const LogIndex applied = n.core->appliedIndex();
    for (auto it = n.reads.begin(); it != n.reads.end();) {
        if (it->first > applied) {
            ++it;
            continue;
        }
        const auto op = m_opIndex.find(it->second.opId);
        QString value;
        if (op != m_opIndex.end()) {
            const auto kv = n.kv.find(m_history[op->second].key);
            if (kv != n.kv.end())
                value = kv->second;
        }
        sendReply(it->second.client, it->second.opId, ReplyKind::Ok, -1, value, false);
        it = n.reads.erase(it);
    }
}

void SimCluster::sendReply(int client, quint64 opId, ReplyKind kind, int hint,
                           const QString &output, bool casOk)
{
    Event r;
    r.kind = Kind::ClientReply;
    r.client = client;
    r.opId = opId;
    r.reply = kind;
    r.hint = hint;
    r.output = output;
    r.casOk = casOk;
    r.time = m_now + 1 + qint64(m_rng() % 3);
    schedule(std::move(r));
}

void SimCluster::clientIssue(Client &c)
{
    if (m_now > m_cfg.faultyMs + m_cfg.settleMs - m_cfg.clientTimeoutMs)
        return;  // nothing new that could not finish before the end
    Operation op;
    op.client = c.id;
    op.call = m_now;
    op.key = QString::fromLatin1(kKeys[m_rng() % 3]);
    const quint64 kind = m_rng() % 10;
    const quint64 opId = m_nextOp++;
    if (kind < 4) {
        op.op = KvOp::Get;
    } else if (kind < 8) {
        op.op = KvOp::Put;
        op.value = QStringLiteral("v%1").arg(opId);
    } else {
        op.op = KvOp::Cas;
        op.value = QStringLiteral("v%1").arg(opId);
        // Expect a value some put may have written, or absence.
        const quint64 pick = m_rng() % 3;
        op.expected = pick == 0 ? QString() : QStringLiteral("v%1").arg(opId - 1 - (m_rng() % 6));
    }
    m_opIndex[opId] = m_history.size();
    m_history.push_back(op);
    c.opId = opId;
    Event timeout;
    timeout.kind = Kind::ClientTimeout;
    timeout.client = c.id;
    timeout.opId = opId;
    timeout.time = m_now + m_cfg.clientTimeoutMs;
    schedule(timeout);
    clientSend(c);
}

void SimCluster::clientSend(Client &c)
{
    int target = c.leaderHint;
    if (target < 0)
        target = int(m_rng() % quint64(m_nodes.size()));
    Event req;
    req.kind = Kind::ClientRequest;
    req.node = target;
    req.client = c.id;
    req.opId = c.opId;
    req.time = m_now + 1 + qint64(m_rng() % 3);
    schedule(std::move(req));
}

void SimCluster::onClientRequest(Node &n, const Event &e)
{
    if (!n.up)
        return;  // the client times out
    const Operation &op = m_history[m_opIndex.at(e.opId)];
    const Call call{e.client, e.opId};
    if (!n.core->isLeader()) {
        const int hint = n.core->lead().isNone() ? -1 : nodeIndex(n.core->lead());
        sendReply(e.client, e.opId, ReplyKind::Retry, hint, QString(), false);
        return;
    }
    if (op.op == KvOp::Get) {
        const QByteArray ctx = QByteArray::number(e.opId) + '/' + QByteArray::number(m_now);
        if (n.core->readIndex(ctx) != RaftError::None) {
            sendReply(e.client, e.opId, ReplyKind::Retry, -1, QString(), false);
            return;
        }
        n.readCtx[ctx] = call;
    } else {
        const ProposeResult r = n.core->propose(encodeCommand(e.opId, op));
        if (r.error != RaftError::None) {
            sendReply(e.client, e.opId, ReplyKind::Retry, n.index, QString(), false);
            return;
        }
        n.writes[r.index.value] = call;
    }
    pump(n);
}

void SimCluster::onClientReply(const Event &e)
{
    Client &c = *m_clients[e.client];
    if (c.opId != e.opId)
        return;  // a late answer to an operation that already timed out
    if (e.reply == ReplyKind::Retry) {
        c.leaderHint = e.hint >= 0 && e.hint != c.leaderHint ? e.hint : -1;
        Event again;
        again.kind = Kind::ClientRequest;
        again.client = c.id;
        again.opId = c.opId;
        again.node = c.leaderHint >= 0 ? c.leaderHint : int(m_rng() % quint64(m_nodes.size()));
        again.time = m_now + 5 + qint64(m_rng() % 15);
        schedule(std::move(again));
        return;
    }
    Operation &op = m_history[m_opIndex.at(e.opId)];
    op.ret = m_now;
    op.output = e.output;
    op.casOk = e.casOk;
    c.opId = 0;
    Event next;
    next.kind = Kind::ClientIssue;
    next.client = c.id;
    next.time = m_now + 1 + qint64(m_rng() % 20);
    schedule(next);
}

void SimCluster::nemesis()
{
    const int n = int(m_nodes.size());
    const quint64 action = m_rng() % 100;
    if (action < 30) {
        m_net.heal();
    } else if (action < 50) {
        // Symmetric partition: a minority of one or two servers cut off.
        std::vector<int> all(n);
        for (int i = 0; i < n; ++i)
            all[i] = i;
        std::shuffle(all.begin(), all.end(), m_rng);
        const int minority = 1 + int(m_rng() % quint64(std::max(1, (n - 1) / 2)));
        m_net.heal();
        m_net.partition(std::vector<int>(all.begin(), all.begin() + minority),
                        std::vector<int>(all.begin() + minority, all.end()));
    } else if (action < 62) {
        // One-way links: a server that hears but is not heard, or the reverse.
        const int k = 1 + int(m_rng() % 3);
        for (int i = 0; i < k; ++i) {
            const int a = int(m_rng() % quint64(n));
            const int b = int(m_rng() % quint64(n));
            if (a != b)
                m_net.blockOneWay(a, b);
        }
    } else if (action < 82) {
        // Crash a server (the leader half of the time); it restarts later from its disk.
        int victim = int(m_rng() % quint64(n));
        if (m_rng() % 2 == 0) {
            for (const auto &node : m_nodes) {
                if (node->up && node->core->isLeader())
                    victim = node->index;
            }
        }
        if (m_nodes[victim]->up)
            crash(*m_nodes[victim]);
    } else if (action < 92) {
        // Graceful leadership transfer, as on leave.
        for (auto &node : m_nodes) {
            if (node->up && node->core->isLeader()) {
                const NodeId to{QStringLiteral("s%1").arg(1 + m_rng() % quint64(n))};
                node->core->transferLeadership(to);
                pump(*node);
                break;
            }
        }
    }
    if (m_cfg.verbose)
        std::printf("%6lld  nemesis: network %s\n", static_cast<long long>(m_now),
                    qPrintable(m_net.describe()));
}

void SimCluster::crash(Node &n)
{
    n.up = false;
    ++n.incarnation;
    ++m_result.crashes;
    n.core.reset();
    n.persisting = false;
    n.inFlight = Ready();
    n.kv.clear();
    n.snapshotInbox.clear();
    n.writes.clear();
    n.readCtx.clear();
    n.reads.clear();
    Event r;
    r.kind = Kind::Restart;
    r.node = n.index;
    r.incarnation = n.incarnation;
    r.time = m_now + 50 + qint64(m_rng() % 400);
    schedule(r);
    if (m_cfg.verbose)
        std::printf("%6lld  crash %s\n", static_cast<long long>(m_now), qPrintable(n.id.value));
}

void SimCluster::restart(Node &n)
{
    n.core = std::make_unique<RaftCore>(nodeConfig(n.index), n.disk.initialState(), m_rng());
    n.kv = decodeKv(n.disk.snapshotPayload());
    n.up = true;
    m_inv.nodeRestarted(n.id);
    m_inv.recordRestored(n.id, n.disk.snapshot().index);
    if (m_cfg.verbose)
        std::printf("%6lld  restart %s: term %llu, log %llu..%llu, commit %llu\n",
                    static_cast<long long>(m_now), qPrintable(n.id.value),
                    static_cast<unsigned long long>(n.disk.hardState().term.value),
                    static_cast<unsigned long long>(n.disk.snapshot().index.value),
                    static_cast<unsigned long long>(n.disk.lastIndex().value),
                    static_cast<unsigned long long>(n.disk.hardState().commit.value));
    pump(n);
}

void SimCluster::checkInvariants()
{
    std::vector<const RaftCore *> cores;
    cores.reserve(m_nodes.size());
    for (const auto &n : m_nodes) {
        if (n->up)
            cores.push_back(n->core.get());
    }
    const QStringList errors = m_inv.checkCluster(cores);
    if (!errors.isEmpty())
        fail(errors.join(QLatin1Char('\n')));
    if (m_cfg.verbose) {
        for (const auto &n : m_nodes) {
            if (!n->up)
                continue;
            const QString state = QStringLiteral("%1 term %2 lead %3")
                                      .arg(QLatin1String(roleName(n->core->role())))
                                      .arg(n->core->term().value)
                                      .arg(n->core->lead().value);
            QString &last = m_lastState[n->index];
            if (state != last) {
                std::printf("%6lld  %s is %s (commit %llu)\n", static_cast<long long>(m_now),
                            qPrintable(n->id.value), qPrintable(state),
                            static_cast<unsigned long long>(n->core->commitIndex().value));
                last = state;
            }
        }
    }
    if (m_result.firstLeaderTicks < 0) {
        for (const RaftCore *c : cores) {
            if (c->isLeader())
                m_result.firstLeaderTicks = m_now / m_cfg.tickMs;
        }
    }
}

void SimCluster::fail(const QString &why)
{
    if (!m_result.ok)
        return;
    m_result.ok = false;
    m_result.failure = QStringLiteral("t=%1: %2").arg(m_now).arg(why);
    for (const TraceLine &t : m_trace)
        m_result.lastEvents << format(t);
}

void SimCluster::trace(const Event &e, const QString &note)
{
    TraceLine t{e.time, e.kind, e.node, e.client, e.msg.type, -1, -1, 0, 0, 0, false, note};
    if (e.kind == Kind::Deliver) {
        t.from = nodeIndex(e.msg.from);
        t.to = nodeIndex(e.msg.to);
        t.term = e.msg.term.value;
        t.index = e.msg.index.value;
        t.entries = int(e.msg.entries.size());
        t.reject = e.msg.reject;
    }
    if (m_cfg.verbose) {
        if (e.kind == Kind::Tick)
            return;
        const QString line = format(t);
        std::printf("%s\n", qPrintable(line));
        return;
    }
    if (e.kind == Kind::Tick)
        return;  // ticks are implied by time and would crowd out the interesting tail
    m_trace.push_back(std::move(t));
    if (m_trace.size() > kTraceKeep)
        m_trace.pop_front();
}

QString SimCluster::format(const TraceLine &t) const
{
    QString s = QStringLiteral("%1  %2").arg(t.time, 6).arg(QLatin1String(kindName(int(t.kind))));
    if (t.kind == Kind::Deliver)
        s += QStringLiteral(" s%1→s%2 %3 term=%4 index=%5 entries=%6%7")
                 .arg(t.from + 1).arg(t.to + 1).arg(QLatin1String(messageTypeName(t.type)))
                 .arg(t.term).arg(t.index).arg(t.entries)
                 .arg(t.reject ? QStringLiteral(" reject") : QString());
    else if (t.node >= 0)
        s += QStringLiteral(" s%1").arg(t.node + 1);
    if (t.client >= 0)
        s += QStringLiteral(" client %1").arg(t.client);
    if (!t.note.isEmpty())
        s += QLatin1Char(' ') + t.note;
    return s;
}

}  // namespace conclave::sim
