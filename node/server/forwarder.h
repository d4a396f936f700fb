#pragma once
// Forwarder: follower-to-leader forwarding of writes for RaftNode (Consul's forwarding of
// non-leader RPCs). A follower's propose() becomes a ForwardRequest frame to the leader; the
// leader proposes it and answers after commit+apply with a ForwardResponse; the follower answers
// its caller once it applied that index itself (read-your-writes). While no leader is known the
// request waits and is retried on each retry() until holdMs (rpc_hold_timeout) has passed, then
// fails NoLeader. A request is sent only over an established connection to the leader (never
// queued for a leader we cannot reach, which may be dead), and re-sent only when the leader said
// it did not propose it. A request that went out to a leader that is then lost (another leader, or
// the connection dropped) fails at once with LeaderLost: it may or may not have been applied, so
// it is not re-sent (Consul does not retry such writes either); nothing waits for the deadline.
//
// Owned by RaftNode, which calls it on the event loop: forward(), onRequest()/onResponse() for
// frames, retry() on each tick, onApplied() after applying. No timers or sockets of its own.

#include "net/peer_transport.h"
#include "server/raft_messages.h"
#include "server/replicated_log.h"

#include <QElapsedTimer>
#include <functional>
#include <map>
#include <optional>

namespace conclave::server {

class Forwarder {
public:
    struct Hooks {
        /// The known leader's id, "" if none.
        std::function<QString()> leaderId;
        /// Proposes on this server if it is the leader now; false (done untouched) otherwise.
        std::function<bool(const QByteArray &command, ReplicatedLog::Done &done)> tryProposeHere;
        /// Proposes on this server, whatever happens (leader side of a forwarded request).
        std::function<void(const QByteArray &command, ReplicatedLog::Done done)> propose;
        std::function<quint64()> appliedIndex;
        std::function<bool()> isLeader;
    };

    Forwarder(net::PeerTransport &transport, int holdMs, Hooks hooks);

    /// Follower side: sends `command` to the leader now if one is known, else on a later retry().
    void forward(const QByteArray &command, ReplicatedLog::Done done);
    /// Leader side: a follower's request.
    void onRequest(const QString &from, const ForwardRequest &request);
    /// Follower side: the leader's answer.
    void onResponse(const ForwardResponse &response);
    /// Sends what waits for a leader and fails what is past its deadline.
    void retry();
    /// Answers requests whose index this server has now applied.
    void onApplied();
    /// Answers everything with `error` (shutdown, storage failure).
    void failAll(LogError error, const QString &text);
    std::size_t pendingCount() const { return m_requests.size(); }

private:
    struct Request {
        QByteArray command;
        ReplicatedLog::Done done;
        qint64 deadline = 0;
        bool sent = false;
        QString sentTo;  // the leader it went to
        std::optional<ProposeResult> result;  // the leader's answer, waiting for our apply
    };
    void trySend(quint64 id);

    net::PeerTransport &m_transport;
    int m_holdMs;
    Hooks m_hooks;
    QElapsedTimer m_clock;
    std::map<quint64, Request> m_requests;
    quint64 m_nextId = 1;
};

}  // namespace conclave::server
