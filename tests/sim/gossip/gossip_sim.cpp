#include "gossip_sim.h"

using namespace conclave::gossip;

namespace conclave::sim {

GossipSim::GossipSim(const GossipSimConfig &config) : m_config(config), m_rng(config.seed) {}

QString GossipSim::nameOf(int i)
{
    return QStringLiteral("node-%1").arg(i);
}

QString GossipSim::addrOf(int i)
{
    return QStringLiteral("10.%1.%2.%3:8301").arg(i / 65536).arg((i / 256) % 256).arg(i % 256);
}

int GossipSim::indexOf(const QString &addr) const
{
    // Inverse of addrOf without a lookup table.
    const QStringList parts = addr.section(QLatin1Char(':'), 0, 0).split(QLatin1Char('.'));
    if (parts.size() != 4)
        return -1;
    const int i = parts[1].toInt() * 65536 + parts[2].toInt() * 256 + parts[3].toInt();
    return i < int(m_nodes.size()) ? i : -1;
}

int GossipSim::addMember(const std::vector<int> &seeds)
{
    const int i = int(m_nodes.size());
    Config c = m_config.wan ? Config::wan(nameOf(i), addrOf(i)) : Config::lan(nameOf(i), addrOf(i));
    if (!m_config.lifeguard) {
        c.awarenessMaxMultiplier = 1;
        c.suspicionMaxTimeoutMult = 1;
    }
    c.tags = Tags{{QStringLiteral("role"), QStringLiteral("node")}, {QStringLiteral("dc"), QStringLiteral("dc1")}};
    Node n;
    n.core = std::make_unique<Swim>(c, m_config.seed * 100003 + quint64(i), m_now);
    m_nodes.push_back(std::move(n));
    ++m_up;
    for (auto &row : m_view)
        row.push_back(0);
    m_view.emplace_back(std::size_t(i + 1), quint8(0));
    m_viewCount.push_back({});
    m_viewCount.back()[0] = m_up - 1;  // everyone else does not know it yet
    for (int s = 0; s < i; ++s)
        ++m_viewCount[std::size_t(s)][0];  // the newcomer does not know s yet
    QStringList addrs;
    for (int s : seeds)
        addrs << addrOf(s);
    m_nodes.back().core->join(addrs, m_now);
    drain(i);
    return i;
}

void GossipSim::kill(int i)
{
    if (!m_nodes[std::size_t(i)].up)
        return;
    m_nodes[std::size_t(i)].up = false;
    --m_up;
    for (int s = 0; s < size(); ++s) {
        if (s != i)
            --m_viewCount[std::size_t(s)][m_view[std::size_t(i)][std::size_t(s)]];
    }
}

void GossipSim::setView(int observer, int subject, quint8 v)
{
    quint8 &cur = m_view[std::size_t(observer)][std::size_t(subject)];
    if (cur == v)
        return;
    if (observer != subject && m_nodes[std::size_t(observer)].up) {
        --m_viewCount[std::size_t(subject)][cur];
        ++m_viewCount[std::size_t(subject)][v];
    }
    cur = v;
}

void GossipSim::leave(int i)
{
    m_nodes[std::size_t(i)].core->leave(m_now);
    drain(i);
}

void GossipSim::starve(int i, qint64 periodMs, qint64 frozenMs)
{
    Node &n = m_nodes[std::size_t(i)];
    n.starvePeriod = periodMs;
    n.starveFrozen = frozenMs;
    n.starveFrom = m_now;
}

void GossipSim::lagInput(int i, qint64 maxLagMs)
{
    m_nodes[std::size_t(i)].inputLag = maxLagMs;
}

std::optional<qint64> GossipSim::thawTime(int i, qint64 t) const
{
    const Node &n = m_nodes[std::size_t(i)];
    if (n.starvePeriod <= 0 || t < n.starveFrom)
        return std::nullopt;
    const qint64 phase = (t - n.starveFrom) % n.starvePeriod;
    if (phase >= n.starveFrozen)
        return std::nullopt;
    return t - phase + n.starveFrozen;
}

qint64 GossipSim::udpDelay()
{
    return m_config.minDelayMs
        + qint64(m_rng() % quint64(m_config.maxDelayMs - m_config.minDelayMs + 1));
}

qint64 GossipSim::tcpDelay()
{
    return m_config.tcpMinDelayMs
        + qint64(m_rng() % quint64(m_config.tcpMaxDelayMs - m_config.tcpMinDelayMs + 1));
}

void GossipSim::push(Event e)
{
    e.seq = ++m_seq;
    m_queue.push(std::move(e));
}

void GossipSim::scheduleWake(int i)
{
    Node &n = m_nodes[std::size_t(i)];
    const qint64 at = std::max(m_now, n.core->nextDeadline());
    if (n.wakeAt >= 0 && n.wakeAt <= at)
        return;  // an earlier wake is pending; it reschedules itself
    n.wakeAt = at;
    Event e;
    e.at = at;
    e.prio = 0;
    e.kind = Kind::Wake;
    e.to = i;
    push(std::move(e));
}

void GossipSim::drain(int i)
{
    Node &n = m_nodes[std::size_t(i)];
    Outbox out = n.core->takeOutbox();
    for (Packet &p : out.packets) {
        ++m_packets;
        const int to = indexOf(p.to);
        if (to < 0 || double(m_rng() % 1000000) < m_config.loss * 1000000.0)
            continue;
        Event e;
        e.at = m_now + udpDelay();
        e.kind = Kind::Packet;
        e.to = to;
        e.from = i;
        e.bytes = std::move(p.bytes);
        push(std::move(e));
    }
    for (StreamRequest &s : out.streams) {
        const int to = indexOf(s.to);
        Event e;
        e.to = to;
        e.from = i;
        e.streamId = s.id;
        if (to < 0 || !m_nodes[std::size_t(to)].up) {
            // A dead host: the connect attempt hangs until the timeout.
            e.at = m_now + s.timeoutMs;
            e.kind = Kind::StreamFail;
            e.to = i;
        } else {
            e.at = m_now + tcpDelay();
            e.kind = Kind::Stream;
            e.bytes = std::move(s.bytes);
        }
        push(std::move(e));
    }
    for (const MemberEvent &ev : out.events) {
        ++m_events;
        const int subject = ev.member.name.startsWith(QLatin1String("node-"))
            ? ev.member.name.mid(5).toInt() : -1;
        if (subject < 0 || subject >= size())
            continue;
        switch (ev.type) {
        case MemberEventType::Join:
        case MemberEventType::Update:
            setView(i, subject, quint8(NodeState::Alive) + 1);
            break;
        case MemberEventType::Failed:
            setView(i, subject, quint8(NodeState::Dead) + 1);
            break;
        case MemberEventType::Leave:
            setView(i, subject, quint8(NodeState::Left) + 1);
            break;
        case MemberEventType::Reap:
            setView(i, subject, 0);
            break;
        }
        m_eventTimes.try_emplace({i, subject, int(ev.type)}, m_now);
        if (ev.type == MemberEventType::Failed && m_nodes[std::size_t(subject)].up) {
            m_falseFailures.push_back({i, subject});
            if (m_falsePositives++ == 0)
                m_firstFalsePositive = QStringLiteral("%1 declared %2 failed at %3 ms")
                                           .arg(nameOf(i), ev.member.name).arg(m_now);
        }
    }
    scheduleWake(i);
}

bool GossipSim::step(qint64 deadline)
{
    if (m_queue.empty() || m_queue.top().at > deadline) {
        m_now = std::max(m_now, deadline);
        return false;
    }
    Event e = m_queue.top();
    m_queue.pop();
    m_now = std::max(m_now, e.at);
    Node &n = m_nodes[std::size_t(e.to)];
    if (e.kind == Kind::Wake) {
        if (n.wakeAt != e.at)
            return true;  // superseded
        n.wakeAt = -1;
    }
    if (!n.up) {
        if (e.kind == Kind::Stream) {  // the requester's connection times out
            Event f;
            f.at = m_now + 10000;
            f.kind = Kind::StreamFail;
            f.to = e.from;
            f.streamId = e.streamId;
            push(std::move(f));
        }
        return true;
    }
    if (n.inputLag > 0 && e.kind != Kind::Wake && !e.lagged) {
        e.lagged = true;
        e.at = m_now + qint64(m_rng() % quint64(n.inputLag + 1));
        push(std::move(e));
        return true;
    }
    if (const std::optional<qint64> thaw = thawTime(e.to, m_now)) {
        // Frozen: everything waits for the thaw; timers then run before queued packets.
        if (e.kind == Kind::Wake)
            n.wakeAt = *thaw;
        e.at = *thaw;
        push(std::move(e));
        return true;
    }
    switch (e.kind) {
    case Kind::Wake:
        n.core->tick(m_now);
        break;
    case Kind::Packet:
        n.core->handlePacket(addrOf(e.from), e.bytes, m_now);
        break;
    case Kind::Stream: {
        QByteArray reply = n.core->handleStream(addrOf(e.from), e.bytes, m_now);
        Event r;
        r.to = e.from;
        r.from = e.to;
        r.streamId = e.streamId;
        r.at = m_now + tcpDelay();
        r.kind = reply.isEmpty() ? Kind::StreamFail : Kind::StreamReply;
        r.bytes = std::move(reply);
        push(std::move(r));
        break;
    }
    case Kind::StreamReply:
        n.core->handleStreamResponse(e.streamId, e.bytes, m_now);
        break;
    case Kind::StreamFail:
        n.core->streamFailed(e.streamId, m_now);
        break;
    }
    drain(e.to);
    return true;
}

void GossipSim::runUntil(qint64 t)
{
    while (step(t)) {
    }
}

bool GossipSim::allSee(int j, NodeState state) const
{
    const int others = m_up - (m_nodes[std::size_t(j)].up ? 1 : 0);
    return m_viewCount[std::size_t(j)][quint8(state) + 1] == others;
}

bool GossipSim::coresConverged() const
{
    for (int j = 0; j < size(); ++j) {
        if (!m_nodes[std::size_t(j)].up)
            continue;
        const QString name = nameOf(j);
        for (const Node &n : m_nodes) {
            if (!n.up || n.core->config().name == name)
                continue;
            const Member *m = n.core->member(name);
            if (!m || (m->state != NodeState::Alive && m->state != NodeState::Suspect))
                return false;
        }
    }
    return true;
}

bool GossipSim::converged() const
{
    for (int j = 0; j < size(); ++j) {
        if (m_nodes[std::size_t(j)].up && !allSee(j, NodeState::Alive))
            return false;
    }
    return true;
}

std::vector<qint64> GossipSim::eventTimes(int j, MemberEventType type) const
{
    std::vector<qint64> out;
    for (int i = 0; i < size(); ++i) {
        if (i == j || !m_nodes[std::size_t(i)].up)
            continue;
        const auto it = m_eventTimes.find({i, j, int(type)});
        out.push_back(it == m_eventTimes.end() ? -1 : it->second);
    }
    return out;
}

}  // namespace conclave::sim
