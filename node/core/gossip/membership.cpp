#include "core/gossip/membership.h"

namespace conclave::gossip {

MemberStatus Member::status() const
{
    switch (state) {
    case NodeState::Alive:
    case NodeState::Suspect:
        return leaving ? MemberStatus::Leaving : MemberStatus::Alive;
    case NodeState::Dead:
        return MemberStatus::Failed;
    case NodeState::Left:
        return leaving ? MemberStatus::Leaving : MemberStatus::Left;
    }
    return MemberStatus::None;
}

QString memberStatusName(MemberStatus s)
{
    switch (s) {
    case MemberStatus::Alive: return QStringLiteral("alive");
    case MemberStatus::Leaving: return QStringLiteral("leaving");
    case MemberStatus::Left: return QStringLiteral("left");
    case MemberStatus::Failed: return QStringLiteral("failed");
    case MemberStatus::None: break;
    }
    return QStringLiteral("none");
}

QString memberEventName(MemberEventType t)
{
    switch (t) {
    case MemberEventType::Join: return QStringLiteral("member-join");
    case MemberEventType::Update: return QStringLiteral("member-update");
    case MemberEventType::Leave: return QStringLiteral("member-leave");
    case MemberEventType::Failed: return QStringLiteral("member-failed");
    case MemberEventType::Reap: return QStringLiteral("member-reap");
    }
    return {};
}

QString nodeStateName(NodeState s)
{
    switch (s) {
    case NodeState::Alive: return QStringLiteral("alive");
    case NodeState::Suspect: return QStringLiteral("suspect");
    case NodeState::Dead: return QStringLiteral("dead");
    case NodeState::Left: return QStringLiteral("left");
    }
    return {};
}

}  // namespace conclave::gossip
