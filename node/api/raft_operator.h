#pragma once
// What /v1/operator/raft/* needs from the server (implemented by the agent over RaftNode or the
// single-voter log). Event-loop thread only; `done` runs exactly once, "" meaning success.

#include <QList>
#include <QString>
#include <functional>

namespace conclave::api {

struct RaftServerInfo {
    QString id;       // the server's node ID (Raft protocol 3)
    QString node;     // node name, "(unknown)" if the catalog does not know it yet
    QString address;  // its server port, "ip:port"
    bool leader = false;
    bool voter = true;
    quint64 lastIndex = 0;  // last log index known for it (the leader's view; this server's own otherwise)
};

class RaftOperator {
public:
    using Done = std::function<void(const QString &error)>;
    virtual ~RaftOperator() = default;
    virtual QList<RaftServerInfo> raftServers() const = 0;
    /// Index of the newest membership change this server has applied (1 for the initial one).
    virtual quint64 raftConfigurationIndex() const = 0;
    /// Removes the server with this ID, or at this address when `id` is empty.
    virtual void removeRaftPeer(const QString &id, const QString &address, Done done) = 0;
    /// Hands leadership to `id` (any caught-up voter when empty).
    virtual void transferLeadership(const QString &id, Done done) = 0;
};

}  // namespace conclave::api
