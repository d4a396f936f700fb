#pragma once
// Member records and member events of a gossip pool: memberlist's nodeState plus serf's view
// (status alive / leaving / left / failed, numbered as Consul's /v1/agent/members Status).
// Plain values; any thread.

#include "core/gossip/messages.h"

#include <QString>

namespace conclave::gossip {

/// serf.MemberStatus, the numbers Consul reports as Status.
enum class MemberStatus : int { None = 0, Alive = 1, Leaving = 2, Left = 3, Failed = 4 };

struct Member {
    QString name;
    QString addr;
    Tags tags;
    quint32 incarnation = 0;
    NodeState state = NodeState::Dead;
    qint64 stateChangeMs = 0;
    bool leaving = false;  // local member only: leave() called, not yet shut down

    /// serf status: suspect members are still alive, dead ones failed.
    MemberStatus status() const;
    bool deadOrLeft() const { return state == NodeState::Dead || state == NodeState::Left; }
    bool operator==(const Member &) const = default;
};

enum class MemberEventType { Join, Update, Leave, Failed, Reap };

struct MemberEvent {
    MemberEventType type;
    Member member;  // as it is after the change (for Reap: as it was)
};

QString memberStatusName(MemberStatus s);      // "alive", "leaving", "left", "failed", "none"
QString memberEventName(MemberEventType t);    // "member-join", … (serf's event names)
QString nodeStateName(NodeState s);            // "alive", "suspect", "dead", "left"

}  // namespace conclave::gossip
