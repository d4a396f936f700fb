#include "server/forwarder.h"

namespace conclave::server {

namespace {

const QString kNoLeader = QStringLiteral("No cluster leader");
const QString kLeaderLost = QStringLiteral("rpc error: the leader was lost before it answered; the write may or may not have been applied");

ProposeResult errorResult(LogError error, const QString &text)
{
    ProposeResult r;
    r.error = error;
    r.errorText = text;
    r.result.ok = false;
    r.result.error = text;
    return r;
}

}  // namespace

Forwarder::Forwarder(net::PeerTransport &transport, int holdMs, Hooks hooks)
    : m_transport(transport), m_holdMs(holdMs), m_hooks(std::move(hooks))
{
    m_clock.start();
}

void Forwarder::forward(const QByteArray &command, ReplicatedLog::Done done)
{
    const quint64 id = m_nextId++;
    m_requests.emplace(id, Request{command, std::move(done), m_clock.elapsed() + m_holdMs, false, {}, std::nullopt});
    trySend(id);
}

void Forwarder::trySend(quint64 id)
{
    auto it = m_requests.find(id);
    if (it == m_requests.end() || it->second.sent || it->second.result)
        return;
    // We may have become the leader meanwhile: propose here (keeping the original deadline's
    // promise is the local proposal's business from now on).
    if (m_hooks.isLeader()) {
        if (m_hooks.tryProposeHere(it->second.command, it->second.done))
            m_requests.erase(it);
        return;
    }
    const QString lead = m_hooks.leaderId();
    if (lead.isEmpty() || !m_transport.isConnected(lead))
        return;  // retried on the next retry(), maybe to another leader
    it->second.sent = true;
    it->second.sentTo = lead;
    m_transport.send(lead, net::Frame{quint32(RaftFrameType::ForwardRequest), 1,
                                      encodeForwardRequest({id, it->second.command})});
}

void Forwarder::onRequest(const QString &from, const ForwardRequest &request)
{
    auto reply = [this, from, id = request.id](const ProposeResult &r) {
        ForwardResponse s;
        s.id = id;
        s.index = r.index;
        s.error = int(r.error);
        s.errorText = r.errorText;
        s.result = r.result;
        m_transport.send(from, net::Frame{quint32(RaftFrameType::ForwardResponse), 1, encodeForwardResponse(s)});
    };
    if (!m_hooks.isLeader()) {
        reply(errorResult(LogError::NoLeader, kNoLeader));  // index 0: not proposed, the sender retries
        return;
    }
    m_hooks.propose(request.command, reply);
}

void Forwarder::onResponse(const ForwardResponse &response)
{
    auto it = m_requests.find(response.id);
    if (it == m_requests.end())
        return;
    if (LogError(response.error) == LogError::NoLeader && response.index == 0) {
        it->second.sent = false;  // not proposed anywhere: safe to try again until the deadline
        return;
    }
    ProposeResult r;
    r.index = response.index;
    r.error = LogError(response.error);
    r.errorText = response.errorText;
    r.result = response.result;
    it->second.result = r;
    onApplied();
}

void Forwarder::onApplied()
{
    const quint64 applied = m_hooks.appliedIndex();
    std::vector<std::pair<ReplicatedLog::Done, ProposeResult>> answers;
    for (auto it = m_requests.begin(); it != m_requests.end();) {
        const std::optional<ProposeResult> &r = it->second.result;
        if (r && (r->error != LogError::None || r->index <= applied)) {
            answers.emplace_back(std::move(it->second.done), *r);
            it = m_requests.erase(it);
        } else {
            ++it;
        }
    }
    // Callbacks last: they may call back into the log.
    for (auto &[done, r] : answers) {
        if (done)
            done(r);
    }
}

void Forwarder::retry()
{
    const qint64 now = m_clock.elapsed();
    std::vector<ReplicatedLog::Done> expired;
    std::vector<quint64> unsent;
    const QString lead = m_hooks.leaderId();
    std::vector<ReplicatedLog::Done> lost;
    for (auto it = m_requests.begin(); it != m_requests.end();) {
        if (it->second.deadline <= now && !it->second.result) {
            expired.push_back(std::move(it->second.done));
            it = m_requests.erase(it);
            continue;
        }
        const Request &r = it->second;
        if (r.sent && !r.result && ((!lead.isEmpty() && lead != r.sentTo) || !m_transport.isConnected(r.sentTo))) {
            lost.push_back(std::move(it->second.done));
            it = m_requests.erase(it);
            continue;
        }
        if (!it->second.sent && !it->second.result)
            unsent.push_back(it->first);
        ++it;
    }
    for (quint64 id : unsent)
        trySend(id);
    for (ReplicatedLog::Done &d : expired) {
        if (d)
            d(errorResult(LogError::NoLeader, kNoLeader));
    }
    for (ReplicatedLog::Done &d : lost) {
        if (d)
            d(errorResult(LogError::LeaderLost, kLeaderLost));
    }
}

void Forwarder::failAll(LogError error, const QString &text)
{
    std::map<quint64, Request> requests = std::exchange(m_requests, {});
    for (auto &[id, r] : requests) {
        if (r.done)
            r.done(errorResult(error, text));
    }
}

}  // namespace conclave::server
