#include "gossip/gossip_pool.h"

#include <QLoggingCategory>
#include <QPointer>
#include <QRandomGenerator>
#include <QTimer>

#include <algorithm>
#include <climits>

Q_LOGGING_CATEGORY(lcGossip, "conclave.gossip")

namespace conclave::gossip {

GossipPool::GossipPool(Options options, QObject *parent)
    : QObject(parent), m_options(std::move(options))
{
    m_clock.start();
    m_transport = new net::GossipTransport(m_options.transport, this);
    // The transport holds the live keyring (rotation changes it there); keep no stale copy.
    m_options.transport.security = {};
    m_timer = new QTimer(this);
    m_timer->setSingleShot(true);
    // Probe and suspicion deadlines are a few hundred ms: a coarse timer's 5 % slack would shift
    // them, and pools on one machine would tick in step.
    m_timer->setTimerType(Qt::PreciseTimer);
    connect(m_timer, &QTimer::timeout, this, &GossipPool::onTimer);
    m_reconnectTimer = new QTimer(this);
    connect(m_reconnectTimer, &QTimer::timeout, this, &GossipPool::onReconnectTimer);
    connect(m_transport, &net::GossipTransport::packetReceived, this, &GossipPool::onPacket);
    connect(m_transport, &net::GossipTransport::streamReplied, this, &GossipPool::onStreamReplied);
    connect(m_transport, &net::GossipTransport::streamFailed, this,
            [this](quint64 id, const QString &) { onStreamFailed(id); });
    m_transport->setStreamHandler(
        [this](const QString &from, const QByteArray &request) { return onStream(from, request); });
}

GossipPool::~GossipPool()
{
    stop();
}

bool GossipPool::start(QString *error)
{
    if (m_running)
        return true;
    if (m_swim) {
        if (error)
            *error = QStringLiteral("a stopped gossip pool cannot be started again");
        return false;
    }
    if (!m_transport->listen(error))
        return false;
    const quint16 port = m_transport->port();
    const QHostAddress bind = m_transport->bindAddress();
    Config config = m_options.swim;
    if (config.addr.isEmpty()) {
        if (bind == QHostAddress::Any || bind == QHostAddress::AnyIPv4 || bind == QHostAddress::AnyIPv6) {
            if (error)
                *error = QStringLiteral("gossip bound to %1 needs an address to advertise")
                             .arg(bind.toString());
            m_transport->close();
            return false;
        }
        config.addr = net::GossipTransport::formatAddress(bind, port);
    } else if (config.addr.endsWith(QLatin1String(":0"))) {
        config.addr = config.addr.chopped(1) + QString::number(port);
    }
    QHostAddress ignoredHost;
    quint16 ignoredPort = 0;
    if (!net::GossipTransport::parseAddress(config.addr, &ignoredHost, &ignoredPort)) {
        if (error)
            *error = QStringLiteral("cannot advertise gossip address %1: not ip:port").arg(config.addr);
        m_transport->close();
        return false;
    }
    // The sealed datagram must still fit one 1400-byte packet (memberlist subtracts the
    // encryption overhead from UDPBufferSize the same way).
    if (m_transport->security().isEncrypted())
        config.udpBufferSize = std::min(config.udpBufferSize, kMaxPacketSize) - net::kGossipEncryptionOverhead;
    const quint64 seed = m_options.randomSeed ? m_options.randomSeed
                                              : QRandomGenerator::system()->generate64();
    m_swim = std::make_unique<Swim>(config, seed, nowMs());
    m_rng.seed(seed ^ 0x9e3779b97f4a7c15ULL);
    m_running = true;
    if (m_options.reconnectIntervalMs > 0)
        m_reconnectTimer->start(int(std::min<qint64>(m_options.reconnectIntervalMs, INT_MAX)));
    qCInfo(lcGossip).noquote() << "gossip pool" << config.name << "listening on" << config.addr
                               << (m_transport->security().isEncrypted() ? "(encrypted)" : "(plaintext)");
    flush();
    return true;
}

void GossipPool::stop()
{
    if (!m_running)
        return;
    m_running = false;
    m_timer->stop();
    m_reconnectTimer->stop();
    m_transport->close();
}

bool GossipPool::isRunning() const
{
    return m_running;
}

// ---------------------------------------------------------------------------------- commands

QString GossipPool::withPort(const QString &address) const
{
    QString host;
    quint16 port = 0;
    if (net::GossipTransport::splitHostPort(address, &host, &port))
        return address;
    const QString ours = QString::number(m_transport->port());
    if (address.startsWith(QLatin1Char('[')))
        return address + QLatin1Char(':') + ours;                    // "[::1]"
    if (address.contains(QLatin1Char(':')))
        return QLatin1Char('[') + address + QStringLiteral("]:") + ours;  // "::1"
    return address + QLatin1Char(':') + ours;                        // "10.0.0.1", "host"
}

int GossipPool::join(const QStringList &addresses)
{
    if (!m_running || m_leaving)
        return 0;
    QStringList addrs;
    for (const QString &a : addresses) {
        if (!a.trimmed().isEmpty())
            addrs.append(withPort(a.trimmed()));
    }
    const std::vector<quint64> ids = m_swim->join(addrs, nowMs());
    const int batch = ++m_nextBatch;
    if (ids.empty()) {
        m_pending.push_back([this] { emit joinFinished(0, 0); });
    } else {
        m_joinBatches[batch] = JoinBatch{int(ids.size()), 0, int(ids.size())};
        for (quint64 id : ids)
            m_joinStreams[id] = batch;
    }
    flush();
    return int(ids.size());
}

void GossipPool::leave(qint64 timeoutMs)
{
    if (!m_running || m_leaving)
        return;
    m_leaving = true;
    const qint64 now = nowMs();
    m_leaveDeadline = now + (timeoutMs < 0 ? m_swim->config().leavePropagateDelayMs : timeoutMs);
    m_swim->leave(now);
    flush();
}

bool GossipPool::setTags(const Tags &tags)
{
    if (!m_running || m_leaving)
        return false;
    const bool ok = m_swim->setTags(tags, nowMs());
    flush();
    return ok;
}

bool GossipPool::forceLeave(const QString &name, bool prune)
{
    if (!m_running)
        return false;
    const bool ok = m_swim->forceLeave(name, prune, nowMs());
    flush();
    return ok;
}

// ---------------------------------------------------------------------------------- inputs

void GossipPool::onTimer()
{
    if (!m_running)
        return;
    m_swim->tick(nowMs());
    flush();
}

void GossipPool::onReconnectTimer()
{
    // serf's reconnect(): expect the pool as a whole to try each failed member about once per
    // interval, whatever its size.
    if (!m_running || m_leaving)
        return;
    std::vector<Member> failed;
    int alive = 0;
    for (const Member &m : m_swim->members()) {
        if (m.state == NodeState::Dead)
            failed.push_back(m);
        else if (m.state == NodeState::Alive || m.state == NodeState::Suspect)
            ++alive;
    }
    if (failed.empty())
        return;
    const double probability = double(failed.size()) / double(std::max(1, alive));
    if (std::uniform_real_distribution<double>(0.0, 1.0)(m_rng) > probability)
        return;
    const Member &target = failed[std::size_t(m_rng() % failed.size())];
    qCInfo(lcGossip).noquote() << "attempting reconnect to" << target.name << target.addr;
    m_swim->join({target.addr}, nowMs());
    flush();
}

void GossipPool::onPacket(const QString &from, const QByteArray &bytes)
{
    if (!m_running)
        return;
    m_swim->handlePacket(from, bytes, nowMs());
    flush();
}

QByteArray GossipPool::onStream(const QString &from, const QByteArray &request)
{
    if (!m_running)
        return {};
    const QByteArray reply = m_swim->handleStream(from, request, nowMs());
    flush();
    return reply;
}

void GossipPool::onStreamReplied(quint64 id, const QByteArray &reply)
{
    if (!m_running)
        return;
    const int joinedBefore = m_swim->joinedCount();
    m_swim->handleStreamResponse(id, reply, nowMs());
    joinStreamDone(id, m_swim->joinedCount() > joinedBefore);
    flush();
}

void GossipPool::onStreamFailed(quint64 id)
{
    if (!m_running)
        return;
    m_swim->streamFailed(id, nowMs());
    joinStreamDone(id, false);
    flush();
}

void GossipPool::joinStreamDone(quint64 id, bool answered)
{
    const auto it = m_joinStreams.find(id);
    if (it == m_joinStreams.end())
        return;
    const int batchId = it->second;
    m_joinStreams.erase(it);
    JoinBatch &batch = m_joinBatches[batchId];
    batch.answered += answered ? 1 : 0;
    if (--batch.pending > 0)
        return;
    const int answeredCount = batch.answered;
    const int attempted = batch.attempted;
    m_joinBatches.erase(batchId);
    m_pending.push_back([this, answeredCount, attempted] { emit joinFinished(answeredCount, attempted); });
}

// ---------------------------------------------------------------------------------- output

GossipPool::MemberSignal GossipPool::signalFor(MemberEventType type)
{
    switch (type) {
    case MemberEventType::Join:
        return &GossipPool::memberJoined;
    case MemberEventType::Update:
        return &GossipPool::memberUpdated;
    case MemberEventType::Leave:
        return &GossipPool::memberLeft;
    case MemberEventType::Failed:
        return &GossipPool::memberFailed;
    case MemberEventType::Reap:
        break;
    }
    return &GossipPool::memberReaped;
}

void GossipPool::flush()
{
    if (!m_swim)
        return;
    Outbox out = m_swim->takeOutbox();
    if (m_running) {
        for (const Packet &p : out.packets)
            m_transport->sendPacket(p.to, p.bytes);
        // A failure to start is reported later, by signal, so Swim is never re-entered here.
        for (const StreamRequest &s : out.streams)
            m_transport->startStream(s.id, s.to, s.bytes, s.timeoutMs);
    }
    for (const MemberEvent &ev : out.events) {
        qCDebug(lcGossip).noquote() << m_swim->config().name << memberEventName(ev.type)
                                    << ev.member.name << ev.member.addr;
        const auto signal = signalFor(ev.type);
        m_pending.push_back([this, signal, m = ev.member] { (this->*signal)(m); });
    }
    maybeFinishLeave();
    if (m_running) {
        qint64 wait = m_swim->nextDeadline() - nowMs();
        if (m_leaving)
            wait = std::min(wait, m_leaveDeadline - nowMs());
        m_timer->start(int(std::clamp<qint64>(wait, 0, INT_MAX)));
    }
    emitPending();
}

void GossipPool::maybeFinishLeave()
{
    if (!m_leaving || m_leaveDone || !m_running)
        return;
    const std::vector<Member> all = m_swim->members();
    const bool anyoneToTell = std::any_of(all.begin(), all.end(), [&](const Member &m) {
        return m.name != m_swim->self().name
            && (m.state == NodeState::Alive || m.state == NodeState::Suspect);
    });
    if (anyoneToTell && m_swim->pendingBroadcasts() > 0 && nowMs() < m_leaveDeadline)
        return;
    m_leaveDone = true;
    stop();
    m_pending.push_back([this] { emit leaveFinished(); });
}

void GossipPool::emitPending()
{
    if (m_emitting)
        return;  // the outer emitPending() drains what this call queued
    m_emitting = true;
    QPointer<GossipPool> self(this);
    while (!m_pending.empty()) {
        const std::function<void()> emitOne = std::move(m_pending.front());
        m_pending.pop_front();
        emitOne();
        if (!self)
            return;
    }
    m_emitting = false;
}

// ---------------------------------------------------------------------------------- views

Member GossipPool::reported(Member m) const
{
    if (m_leaveDone && m.name == m_swim->self().name)
        m.leaving = false;
    return m;
}

std::vector<Member> GossipPool::members() const
{
    std::vector<Member> all;
    if (m_swim) {
        for (const Member &m : m_swim->members())
            all.push_back(reported(m));
    }
    return all;
}

std::optional<Member> GossipPool::member(const QString &name) const
{
    const Member *m = m_swim ? m_swim->member(name) : nullptr;
    return m ? std::optional<Member>(reported(*m)) : std::nullopt;
}

Member GossipPool::localMember() const
{
    return m_swim ? reported(m_swim->self()) : Member{};
}

QString GossipPool::address() const
{
    return m_swim ? m_swim->config().addr : QString();
}

quint16 GossipPool::port() const
{
    return m_transport->port();
}

int GossipPool::joinedCount() const
{
    return m_swim ? m_swim->joinedCount() : 0;
}

int GossipPool::healthScore() const
{
    return m_swim ? m_swim->healthScore() : 0;
}

int GossipPool::estNumNodes() const
{
    return m_swim ? m_swim->estNumNodes() : 1;
}

SwimStats GossipPool::swimStats() const
{
    return m_swim ? m_swim->stats() : SwimStats{};
}

const net::GossipTransport::Stats &GossipPool::transportStats() const
{
    return m_transport->stats();
}

net::GossipSecurity &GossipPool::security()
{
    return m_transport->security();
}

}  // namespace conclave::gossip
