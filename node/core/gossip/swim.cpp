#include "core/gossip/swim.h"

#include <algorithm>

namespace conclave::gossip {

namespace {

// Version byte + type + part count of a Compound (≤ 255 parts: one byte count... two to be safe).
constexpr int kCompoundHeader = 4;

}  // namespace

Swim::Swim(const Config &config, quint64 randomSeed, qint64 nowMs)
    : m_config(config), m_rng(randomSeed)
{
    // memberlist's setAlive: ourselves, alive at incarnation 1, announced to whoever we meet.
    aliveNode(Alive{1, m_config.name, m_config.addr, m_config.tags}, nowMs, true);
    // Stagger the periodic work like memberlist (random offset within one interval).
    m_nextProbeAt = nowMs + qint64(m_rng() % quint64(std::max<qint64>(1, m_config.probeIntervalMs)));
    m_nextGossipAt = nowMs + qint64(m_rng() % quint64(std::max<qint64>(1, m_config.gossipIntervalMs)));
    m_nextPushPullAt = nowMs + m_config.pushPullIntervalMs
        + qint64(m_rng() % quint64(std::max<qint64>(1, m_config.pushPullIntervalMs)));
    m_nextReapAt = nowMs + m_config.reapIntervalMs;
}

// ---------------------------------------------------------------------------------- inputs

void Swim::tick(qint64 now)
{
    if (now >= m_nextReapAt) {
        reap(now);
        m_nextReapAt = now + m_config.reapIntervalMs;
    }
    // Suspicion timers: a suspect not refuted in time is declared dead by us.
    for (auto it = m_suspicions.begin(); it != m_suspicions.end();) {
        if (it->second.deadlineMs > now) {
            ++it;
            continue;
        }
        const QString name = it->first;
        const qint64 episode = it->second.stateChangeMs;
        it = m_suspicions.erase(it);
        const auto mit = m_members.find(name);
        if (mit != m_members.end() && mit->second.state == NodeState::Suspect
            && mit->second.stateChangeMs == episode)
            deadNode(Dead{mit->second.incarnation, name, m_config.name}, now);
    }
    // Indirect pings we relay: no ack from the target in time → nack the prober.
    for (auto it = m_relays.begin(); it != m_relays.end();) {
        if (it->second.deadline > now) {
            ++it;
            continue;
        }
        if (it->second.wantNack)
            sendUdp(it->second.requesterAddr, encode(Nack{it->second.requesterSeq}));
        it = m_relays.erase(it);
    }
    if (m_probe && !m_probe->indirectSent && now >= m_probe->timeoutAt)
        probeTimedOut(now);
    if (m_probe && now >= m_probe->endAt)
        finishProbe(now);
    if (!m_probe && now >= m_nextProbeAt)
        startProbe(now);
    if (now >= m_nextGossipAt) {
        gossip(now);
        m_nextGossipAt = now + m_config.gossipIntervalMs;
    }
    if (now >= m_nextPushPullAt) {
        pushPull(now);
        m_nextPushPullAt = now + pushPullScaleMs(m_config.pushPullIntervalMs, m_numNodes);
    }
}

qint64 Swim::nextDeadline() const
{
    qint64 d = std::min({m_nextGossipAt, m_nextPushPullAt, m_nextReapAt});
    if (m_probe)
        d = std::min(d, m_probe->indirectSent ? m_probe->endAt : m_probe->timeoutAt);
    else
        d = std::min(d, m_nextProbeAt);
    for (const auto &[name, s] : m_suspicions)
        d = std::min(d, s.deadlineMs);
    for (const auto &[seq, r] : m_relays)
        d = std::min(d, r.deadline);
    return d;
}

void Swim::handlePacket(const QString &from, const QByteArray &bytes, qint64 now)
{
    ++m_stats.packetsIn;
    const std::optional<Message> msg = decode(bytes);
    if (!msg) {
        ++m_stats.malformed;
        return;
    }
    if (const auto *c = std::get_if<Compound>(&*msg)) {
        // Pings last: the ack then carries what the rest of the packet made us broadcast (a
        // buddy-notified suspect's refutation goes straight back to the prober).
        std::vector<Message> pings;
        for (const QByteArray &part : c->parts) {
            std::optional<Message> inner = decode(part);
            if (!inner) {
                ++m_stats.malformed;
                continue;
            }
            if (std::holds_alternative<Ping>(*inner) || std::holds_alternative<IndirectPing>(*inner))
                pings.push_back(std::move(*inner));
            else
                handleMessage(from, *inner, now);
        }
        for (const Message &p : pings)
            handleMessage(from, p, now);
        return;
    }
    handleMessage(from, *msg, now);
}

void Swim::handleMessage(const QString &from, const Message &msg, qint64 now)
{
    std::visit(
        [&](const auto &m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, Ping>) {
                // memberlist drops pings meant for another node (a reused address).
                if (!m.target.isEmpty() && m.target != m_config.name)
                    return;
                sendUdp(m.sourceAddr.isEmpty() ? from : m.sourceAddr, encode(Ack{m.seqNo}));
            } else if constexpr (std::is_same_v<T, IndirectPing>) {
                const quint32 seq = nextSeq();
                // The nack must reach the prober before its probe interval ends (it waited one
                // probe timeout before asking us), so give up a little before a full timeout.
                m_relays[seq] = Relay{m.seqNo, m.sourceAddr.isEmpty() ? from : m.sourceAddr,
                                      m.wantNack, now + m_config.probeTimeoutMs * 4 / 5};
                sendUdp(m.targetAddr, encode(Ping{seq, m.target, m_config.name, m_config.addr}));
            } else if constexpr (std::is_same_v<T, Ack>) {
                handleAck(m.seqNo, now);
            } else if constexpr (std::is_same_v<T, Nack>) {
                if (m_probe && m_probe->seqNo == m.seqNo && m_probe->indirectSent)
                    m_probe->nacks = std::min(m_probe->nacks + 1, m_probe->expectedNacks);
            } else if constexpr (std::is_same_v<T, Suspect>) {
                suspectNode(m, now);
            } else if constexpr (std::is_same_v<T, Alive>) {
                aliveNode(m, now);
            } else if constexpr (std::is_same_v<T, Dead>) {
                deadNode(m, now);
            } else {
                // PushPull belongs on a stream; a nested Compound cannot be decoded.
                ++m_stats.malformed;
            }
        },
        msg);
}

void Swim::handleAck(quint32 seqNo, qint64 now)
{
    if (m_probe && m_probe->seqNo == seqNo) {
        m_probe->acked = true;
        finishProbe(now);
        return;
    }
    const auto it = m_relays.find(seqNo);
    if (it != m_relays.end()) {
        sendUdp(it->second.requesterAddr, encode(Ack{it->second.requesterSeq}));
        m_relays.erase(it);
    }
}

QByteArray Swim::handleStream(const QString &from, const QByteArray &bytes, qint64 now)
{
    Q_UNUSED(from);
    const std::optional<Message> msg = decode(bytes);
    if (!msg) {
        ++m_stats.malformed;
        return {};
    }
    if (const auto *pp = std::get_if<PushPull>(&*msg)) {
        // Reply with our state as it was before merging (memberlist sends first, then merges).
        QByteArray reply = encode(localState(false));
        mergeRemoteState(*pp, now);
        return reply;
    }
    if (const auto *ping = std::get_if<Ping>(&*msg)) {
        if (!ping->target.isEmpty() && ping->target != m_config.name)
            return {};
        return encode(Ack{ping->seqNo});
    }
    ++m_stats.malformed;
    return {};
}

void Swim::handleStreamResponse(quint64 id, const QByteArray &bytes, qint64 now)
{
    const auto it = m_streams.find(id);
    if (it == m_streams.end())
        return;
    const PendingStream pending = it->second;
    m_streams.erase(it);
    const std::optional<Message> msg = decode(bytes);
    if (!msg) {
        ++m_stats.malformed;
        return;
    }
    if (pending.kind == StreamKind::Ping) {
        const auto *ack = std::get_if<Ack>(&*msg);
        if (ack && ack->seqNo == pending.seqNo)
            handleAck(ack->seqNo, now);
        return;
    }
    const auto *pp = std::get_if<PushPull>(&*msg);
    if (!pp) {
        ++m_stats.malformed;
        return;
    }
    if (pending.kind == StreamKind::Join)
        ++m_joined;
    mergeRemoteState(*pp, now);
}

void Swim::streamFailed(quint64 id, qint64 now)
{
    Q_UNUSED(now);
    m_streams.erase(id);
}

std::vector<quint64> Swim::join(const QStringList &addrs, qint64 now)
{
    Q_UNUSED(now);
    std::vector<quint64> ids;
    const QByteArray bytes = encode(localState(true));
    for (const QString &addr : addrs) {
        if (addr == m_config.addr)
            continue;
        ids.push_back(requestStream(StreamKind::Join, addr, bytes, m_config.tcpTimeoutMs));
    }
    return ids;
}

void Swim::leave(qint64 now)
{
    Member &me = m_members.at(m_config.name);
    if (me.leaving || me.state == NodeState::Left)
        return;
    me.leaving = true;
    deadNode(Dead{me.incarnation, m_config.name, m_config.name}, now);
}

bool Swim::setTags(const Tags &tags, qint64 now)
{
    if (tagsSize(tags) > kMaxMetaSize)
        return false;
    m_config.tags = tags;
    Member &me = m_members.at(m_config.name);
    aliveNode(Alive{me.incarnation + 1, me.name, me.addr, tags}, now, true);
    return true;
}

bool Swim::forceLeave(const QString &name, bool prune, qint64 now)
{
    const auto it = m_members.find(name);
    if (it == m_members.end() || name == m_config.name)
        return false;
    Member &m = it->second;
    if (m.state != NodeState::Dead && !(prune && m.state == NodeState::Left))
        return false;
    if (m.state == NodeState::Dead) {
        // serf's RemoveFailedNode: tell everyone it left on its behalf.
        deadNode(Dead{m.incarnation, name, name}, now);
    }
    if (prune) {
        const Member gone = m_members.at(name);
        m_members.erase(name);
        m_suspicions.erase(name);
        notify(MemberEventType::Reap, gone);
        recountNodes(now);
    }
    return true;
}

// ---------------------------------------------------------------------------------- output

Outbox Swim::takeOutbox()
{
    Outbox out = std::move(m_out);
    m_out = Outbox{};
    return out;
}

void Swim::sendUdp(const QString &to, const QByteArray &msg)
{
    sendUdp(to, std::vector<QByteArray>{msg});
}

void Swim::sendUdp(const QString &to, const std::vector<QByteArray> &msgs)
{
    if (to.isEmpty())
        return;
    // Piggyback as many queued broadcasts as fit in one packet (memberlist sendMsg).
    int used = kCompoundHeader;
    for (const QByteArray &m : msgs)
        used += compoundOverhead(int(m.size()));
    std::vector<QByteArray> parts = msgs;
    if (used > m_config.udpBufferSize && parts.size() > 1) {
        // Only possible with hostile names: the first message alone still goes out.
        parts.resize(1);
        used = kCompoundHeader + compoundOverhead(int(parts.front().size()));
    }
    const int room = m_config.udpBufferSize - used;
    if (room > 0 && parts.size() < std::size_t(kMaxCompoundParts)) {
        for (QByteArray &b : m_broadcasts.take(0, room, retransmitLimit(m_config.retransmitMult, m_numNodes)))
            parts.push_back(std::move(b));
    }
    ++m_stats.packetsOut;
    m_out.packets.push_back(Packet{to, encodeCompound(parts)});
}

void Swim::broadcast(const QString &node, const QByteArray &msg)
{
    // A message that can never share a packet would sit in the queue forever.
    if (compoundOverhead(int(msg.size())) + kCompoundHeader > m_config.udpBufferSize)
        return;
    m_broadcasts.queue(node, msg);
}

quint64 Swim::requestStream(StreamKind kind, const QString &to, const QByteArray &bytes,
                            qint64 timeoutMs, quint32 seqNo)
{
    const quint64 id = ++m_nextStreamId;
    m_streams[id] = PendingStream{kind, seqNo};
    m_out.streams.push_back(StreamRequest{id, kind, to, bytes, timeoutMs});
    return id;
}

PushPull Swim::localState(bool join) const
{
    PushPull pp;
    pp.join = join;
    pp.states.reserve(m_members.size());
    for (const auto &[name, m] : m_members)
        pp.states.push_back(PushNodeState{m.name, m.addr, m.incarnation, m.state, m.tags});
    return pp;
}

void Swim::notify(MemberEventType type, const Member &m)
{
    m_out.events.push_back(MemberEvent{type, m});
}

// ---------------------------------------------------------------------------------- views

const Member &Swim::self() const
{
    return m_members.at(m_config.name);
}

const Member *Swim::member(const QString &name) const
{
    const auto it = m_members.find(name);
    return it == m_members.end() ? nullptr : &it->second;
}

std::vector<Member> Swim::members() const
{
    std::vector<Member> out;
    out.reserve(m_members.size());
    for (const auto &[name, m] : m_members)
        out.push_back(m);
    return out;
}

std::optional<qint64> Swim::suspicionDeadline(const QString &name) const
{
    const auto it = m_suspicions.find(name);
    if (it == m_suspicions.end())
        return std::nullopt;
    return it->second.deadlineMs;
}

int Swim::suspicionConfirmations(const QString &name) const
{
    const auto it = m_suspicions.find(name);
    return it == m_suspicions.end() ? 0 : int(it->second.confirmers.size());
}

// ---------------------------------------------------------------------------------- membership

void Swim::recountNodes(qint64 now)
{
    int n = 0;
    for (const auto &[name, m] : m_members) {
        if (m.state == NodeState::Left)
            continue;
        if (m.state == NodeState::Dead && now - m.stateChangeMs > m_config.gossipToTheDeadMs)
            continue;
        ++n;
    }
    m_numNodes = std::max(1, n);
}

void Swim::applyAwareness(int delta)
{
    m_awareness = std::clamp(m_awareness + delta, 0, m_config.awarenessMaxMultiplier - 1);
}

void Swim::aliveNode(const Alive &a, qint64 now, bool bootstrap)
{
    if (a.node.isEmpty() || a.node.toUtf8().size() > kMaxNameSize
        || a.addr.toUtf8().size() > kMaxNameSize || tagsSize(a.tags) > kMaxMetaSize)
        return;
    const bool isLocal = a.node == m_config.name;
    auto it = m_members.find(a.node);
    bool isNew = false;
    bool reclaimed = false;
    if (it == m_members.end()) {
        if (isLocal && !bootstrap)
            return;  // our own record always exists once constructed
        Member m;
        m.name = a.node;
        m.addr = a.addr;
        m.state = NodeState::Dead;
        m.stateChangeMs = now;
        it = m_members.emplace(a.node, m).first;
        isNew = true;
        // New members go to a random place in the probe order (memberlist aliveNode).
        const std::size_t pos = m_probeOrder.empty() ? 0 : std::size_t(m_rng() % (m_probeOrder.size() + 1));
        m_probeOrder.insert(m_probeOrder.begin() + qsizetype(pos), a.node);
    } else if (it->second.addr != a.addr) {
        // Another address claims a known name: only a member dead long enough gives it up.
        const Member &cur = it->second;
        const bool canReclaim = m_config.deadNodeReclaimMs > 0 && cur.deadOrLeft()
            && now - cur.stateChangeMs >= m_config.deadNodeReclaimMs;
        if (isLocal || !canReclaim) {
            ++m_stats.addrConflicts;
            return;
        }
        reclaimed = true;
    }
    Member &m = it->second;
    if (!isNew && !reclaimed) {
        if (!isLocal && a.incarnation <= m.incarnation)
            return;
        if (isLocal && a.incarnation < m.incarnation)
            return;
    }
    m_suspicions.erase(a.node);

    if (isLocal && !bootstrap) {
        // Someone gossips about us. Our own (stale or current) news: ignore; anything else
        // (another incarnation or other tags) must be refuted.
        if (a.incarnation == m.incarnation && a.tags == m.tags && a.addr == m.addr)
            return;
        refute(m, a.incarnation, now);
        return;
    }

    broadcast(a.node, encode(a));
    const NodeState oldState = m.state;
    const Tags oldTags = m.tags;
    m.incarnation = a.incarnation;
    m.addr = a.addr;
    m.tags = a.tags;
    if (m.state != NodeState::Alive) {
        m.state = NodeState::Alive;
        m.stateChangeMs = now;
        if (isLocal)
            m.leaving = false;
    }
    if (oldState == NodeState::Dead || oldState == NodeState::Left) {
        if (!std::count(m_probeOrder.begin(), m_probeOrder.end(), a.node))
            m_probeOrder.push_back(a.node);
        recountNodes(now);
        notify(MemberEventType::Join, m);
    } else if (oldTags != a.tags) {
        notify(MemberEventType::Update, m);
    }
}

void Swim::suspectNode(const Suspect &s, qint64 now)
{
    const auto it = m_members.find(s.node);
    if (it == m_members.end())
        return;
    Member &m = it->second;
    if (s.incarnation < m.incarnation)
        return;
    // Already suspected: an independent confirmation shrinks the timer (Lifeguard).
    const auto sit = m_suspicions.find(s.node);
    if (sit != m_suspicions.end()) {
        Suspicion &susp = sit->second;
        if (s.from == susp.initiator || int(susp.confirmers.size()) >= susp.k
            || !susp.confirmers.insert(s.from).second)
            return;
        susp.deadlineMs = susp.startMs
            + suspicionDurationMs(int(susp.confirmers.size()), susp.k, susp.minMs, susp.maxMs);
        broadcast(s.node, encode(s));  // re-gossip the confirmation
        return;
    }
    if (m.state != NodeState::Alive)
        return;
    if (s.node == m_config.name) {
        refute(m, s.incarnation, now);
        return;
    }
    broadcast(s.node, encode(s));
    m.incarnation = s.incarnation;
    m.state = NodeState::Suspect;
    m.stateChangeMs = now;

    const int n = m_numNodes;
    int k = m_config.suspicionMult - 2;
    if (n - 2 < k)
        k = 0;
    Suspicion susp;
    susp.startMs = now;
    susp.minMs = suspicionTimeoutMs(m_config.suspicionMult, n, m_config.probeIntervalMs);
    susp.maxMs = qint64(m_config.suspicionMaxTimeoutMult) * susp.minMs;
    susp.k = k;
    susp.initiator = s.from;
    susp.stateChangeMs = now;
    susp.deadlineMs = now + suspicionDurationMs(0, k, susp.minMs, susp.maxMs);
    m_suspicions[s.node] = susp;
}

void Swim::deadNode(const Dead &d, qint64 now)
{
    const auto it = m_members.find(d.node);
    if (it == m_members.end())
        return;
    Member &m = it->second;
    if (d.incarnation < m.incarnation)
        return;
    m_suspicions.erase(d.node);
    if (m.state == NodeState::Dead && d.node == d.from) {
        // A leave on behalf of a failed member (Consul force-leave): failed becomes left.
        broadcast(d.node, encode(d));
        m.incarnation = d.incarnation;
        m.state = NodeState::Left;
        m.stateChangeMs = now;
        notify(MemberEventType::Leave, m);
        return;
    }
    if (m.deadOrLeft())
        return;
    const bool isLocal = d.node == m_config.name;
    if (isLocal && !m.leaving) {
        refute(m, d.incarnation, now);
        return;
    }
    broadcast(d.node, encode(d));
    m.incarnation = d.incarnation;
    m.state = d.node == d.from ? NodeState::Left : NodeState::Dead;
    m.stateChangeMs = now;
    recountNodes(now);
    notify(m.state == NodeState::Left ? MemberEventType::Leave : MemberEventType::Failed, m);
}

void Swim::refute(Member &me, quint32 accusedInc, qint64 now)
{
    Q_UNUSED(now);
    // memberlist refute: an incarnation above the accusation, announced with our tags.
    quint32 inc = me.incarnation + 1;
    if (accusedInc >= inc)
        inc = accusedInc + 1;
    me.incarnation = inc;
    ++m_stats.refutes;
    applyAwareness(1);
    broadcast(me.name, encode(Alive{inc, me.name, me.addr, me.tags}));
}

void Swim::mergeRemoteState(const PushPull &pp, qint64 now)
{
    for (const PushNodeState &st : pp.states) {
        switch (st.state) {
        case NodeState::Alive:
            aliveNode(Alive{st.incarnation, st.name, st.addr, st.tags}, now);
            break;
        case NodeState::Left:
            deadNode(Dead{st.incarnation, st.name, st.name}, now);
            break;
        case NodeState::Dead:
        case NodeState::Suspect:
            // A remote "dead" only makes us suspect: we check for ourselves (memberlist).
            suspectNode(Suspect{st.incarnation, st.name, m_config.name}, now);
            break;
        }
    }
}

// ---------------------------------------------------------------------------------- probing

void Swim::startProbe(qint64 now)
{
    const Member &me = m_members.at(m_config.name);
    // Round robin over a shuffled list; reshuffle (and drop the long dead) after each pass.
    const Member *target = nullptr;
    for (std::size_t checked = 0; checked <= m_probeOrder.size() && !target; ++checked) {
        if (m_probeIndex >= m_probeOrder.size()) {
            std::erase_if(m_probeOrder, [&](const QString &name) {
                const auto it = m_members.find(name);
                return it == m_members.end()
                    || (it->second.deadOrLeft()
                        && now - it->second.stateChangeMs > m_config.gossipToTheDeadMs);
            });
            recountNodes(now);
            std::shuffle(m_probeOrder.begin(), m_probeOrder.end(), m_rng);
            m_probeIndex = 0;
            if (m_probeOrder.empty())
                break;
        }
        const QString &name = m_probeOrder[m_probeIndex++];
        const auto it = m_members.find(name);
        if (it == m_members.end() || name == me.name || it->second.deadOrLeft())
            continue;
        target = &it->second;
    }
    const qint64 interval = scaledMs(m_config.probeIntervalMs);
    m_nextProbeAt = now + interval;
    if (!target)
        return;

    ++m_stats.probes;
    Probe p;
    p.target = target->name;
    p.seqNo = nextSeq();
    p.startMs = now;
    p.timeoutAt = now + scaledMs(m_config.probeTimeoutMs);
    p.endAt = now + interval;
    m_probe = p;
    std::vector<QByteArray> msgs{encode(Ping{p.seqNo, target->name, me.name, me.addr})};
    // Buddy system: a suspect learns it is suspected from the ping itself and refutes at once.
    if (target->state == NodeState::Suspect)
        msgs.push_back(encode(Suspect{target->incarnation, target->name, me.name}));
    sendUdp(target->addr, msgs);
}

void Swim::probeTimedOut(qint64 now)
{
    Probe &p = *m_probe;
    p.indirectSent = true;
    const auto it = m_members.find(p.target);
    if (it == m_members.end())
        return;
    const Member &target = it->second;
    const std::vector<const Member *> helpers =
        randomMembers(m_config.indirectChecks, {m_config.name, p.target}, false, now);
    for (const Member *h : helpers)
        sendUdp(h->addr, encode(IndirectPing{p.seqNo, target.name, target.addr, true,
                                             m_config.name, m_config.addr}));
    p.expectedNacks = int(helpers.size());
    // TCP fallback in parallel: catches targets whose UDP alone is lost or blocked.
    if (!m_config.disableTcpPings) {
        requestStream(StreamKind::Ping, target.addr,
                      encode(Ping{p.seqNo, target.name, m_config.name, m_config.addr}),
                      std::max<qint64>(1, p.endAt - now), p.seqNo);
    }
}

void Swim::finishProbe(qint64 now)
{
    const Probe p = *m_probe;
    m_probe.reset();
    // Late answers to this probe's TCP ping are of no use any more.
    std::erase_if(m_streams, [&](const auto &kv) {
        return kv.second.kind == StreamKind::Ping && kv.second.seqNo == p.seqNo;
    });
    if (p.acked) {
        applyAwareness(-1);
        return;
    }
    ++m_stats.failedProbes;
    // Lifeguard: helpers that did not even nack point at us being the slow one.
    applyAwareness(p.expectedNacks > 0 ? p.expectedNacks - p.nacks : 1);
    const auto it = m_members.find(p.target);
    if (it == m_members.end() || it->second.deadOrLeft())
        return;
    // Already suspect: our own failed probe is an independent confirmation (and re-gossiped).
    suspectNode(Suspect{it->second.incarnation, p.target, m_config.name}, now);
}

std::vector<const Member *> Swim::randomMembers(int k, const std::set<QString> &exclude,
                                                bool includeRecentDead, qint64 now)
{
    std::vector<const Member *> pool;
    for (const auto &[name, m] : m_members) {
        if (exclude.count(name))
            continue;
        const bool ok = m.state == NodeState::Alive
            || (includeRecentDead
                && (m.state == NodeState::Suspect
                    || (m.state == NodeState::Dead
                        && now - m.stateChangeMs <= m_config.gossipToTheDeadMs)));
        if (ok)
            pool.push_back(&m);
    }
    const std::size_t want = std::min(pool.size(), std::size_t(std::max(0, k)));
    for (std::size_t i = 0; i < want; ++i) {
        const std::size_t j = i + std::size_t(m_rng() % (pool.size() - i));
        std::swap(pool[i], pool[j]);
    }
    pool.resize(want);
    return pool;
}

void Swim::gossip(qint64 now)
{
    if (m_broadcasts.isEmpty())
        return;
    for (const Member *m : randomMembers(m_config.gossipNodes, {m_config.name}, true, now)) {
        const std::vector<QByteArray> msgs = m_broadcasts.take(
            0, m_config.udpBufferSize - kCompoundHeader,
            retransmitLimit(m_config.retransmitMult, m_numNodes));
        if (msgs.empty())
            return;
        ++m_stats.packetsOut;
        m_out.packets.push_back(Packet{m->addr, encodeCompound(msgs)});
    }
}

void Swim::pushPull(qint64 now)
{
    const std::vector<const Member *> peer = randomMembers(1, {m_config.name}, false, now);
    if (peer.empty())
        return;
    requestStream(StreamKind::PushPull, peer.front()->addr, encode(localState(false)),
                  m_config.tcpTimeoutMs);
}

void Swim::reap(qint64 now)
{
    for (auto it = m_members.begin(); it != m_members.end();) {
        const Member &m = it->second;
        const bool expired = m.name != m_config.name
            && ((m.state == NodeState::Dead && now - m.stateChangeMs > m_config.reconnectTimeoutMs)
                || (m.state == NodeState::Left
                    && now - m.stateChangeMs > m_config.tombstoneTimeoutMs));
        if (!expired) {
            ++it;
            continue;
        }
        notify(MemberEventType::Reap, m);
        std::erase(m_probeOrder, it->first);
        m_suspicions.erase(it->first);
        it = m_members.erase(it);
    }
    recountNodes(now);
}

}  // namespace conclave::gossip
