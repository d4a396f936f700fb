#include "core/raft/types.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>

namespace conclave::raft {

namespace {

QCborArray idsToCbor(const std::set<NodeId> &ids)
{
    QCborArray out;
    for (const NodeId &id : ids)
        out.append(id.value);
    return out;
}

bool idsFromCbor(const QCborValue &v, std::set<NodeId> &out)
{
    if (!v.isArray())
        return false;
    for (const QCborValue &item : v.toArray()) {
        if (!item.isString() || item.toString().isEmpty())
            return false;
        out.insert(NodeId{item.toString()});
    }
    return true;
}

}  // namespace

// Membership bytes: CBOR map {0: [voters], 1: [learners]}; integer keys keep it small.
QByteArray Membership::encode() const
{
    QCborMap map;
    map.insert(0, idsToCbor(voters));
    map.insert(1, idsToCbor(learners));
    return map.toCborValue().toCbor();
}

std::optional<Membership> Membership::decode(const QByteArray &bytes)
{
    QCborParserError error;
    const QCborValue v = QCborValue::fromCbor(bytes, &error);
    if (error.error != QCborError::NoError || !v.isMap())
        return std::nullopt;
    const QCborMap map = v.toMap();
    Membership m;
    if (!idsFromCbor(map.value(0), m.voters) || !idsFromCbor(map.value(1), m.learners))
        return std::nullopt;
    return m;
}

// ConfChange bytes: CBOR map {0: type, 1: node, 2: context}.
QByteArray ConfChange::encode() const
{
    QCborMap map;
    map.insert(0, static_cast<int>(type));
    map.insert(1, node.value);
    map.insert(2, context);
    return map.toCborValue().toCbor();
}

std::optional<ConfChange> ConfChange::decode(const QByteArray &bytes)
{
    QCborParserError error;
    const QCborValue v = QCborValue::fromCbor(bytes, &error);
    if (error.error != QCborError::NoError || !v.isMap())
        return std::nullopt;
    const QCborMap map = v.toMap();
    const qint64 type = map.value(0).toInteger(-1);
    if (type < 0 || type > static_cast<qint64>(ConfChangeType::Remove) || !map.value(1).isString())
        return std::nullopt;
    ConfChange cc;
    cc.type = static_cast<ConfChangeType>(type);
    cc.node = NodeId{map.value(1).toString()};
    cc.context = map.value(2).toByteArray();
    if (cc.node.isNone())
        return std::nullopt;
    return cc;
}

bool ConfChange::applyTo(Membership &m) const
{
    switch (type) {
    case ConfChangeType::AddVoter:
        if (m.isVoter(node))
            return false;
        m.learners.erase(node);
        m.voters.insert(node);
        return true;
    case ConfChangeType::AddLearner:
        if (m.contains(node))
            return false;
        m.learners.insert(node);
        return true;
    case ConfChangeType::Promote:
        if (!m.isLearner(node))
            return false;
        m.learners.erase(node);
        m.voters.insert(node);
        return true;
    case ConfChangeType::Remove:
        if (!m.contains(node))
            return false;
        if (m.isVoter(node) && m.voters.size() == 1)
            return false;  // a cluster never loses its last voter
        m.voters.erase(node);
        m.learners.erase(node);
        return true;
    }
    return false;
}

const char *roleName(Role role)
{
    switch (role) {
    case Role::Follower: return "follower";
    case Role::PreCandidate: return "pre-candidate";
    case Role::Candidate: return "candidate";
    case Role::Leader: return "leader";
    }
    return "?";
}

const char *messageTypeName(MessageType type)
{
    switch (type) {
    case MessageType::PreVote: return "PreVote";
    case MessageType::PreVoteResp: return "PreVoteResp";
    case MessageType::Vote: return "Vote";
    case MessageType::VoteResp: return "VoteResp";
    case MessageType::App: return "App";
    case MessageType::AppResp: return "AppResp";
    case MessageType::Heartbeat: return "Heartbeat";
    case MessageType::HeartbeatResp: return "HeartbeatResp";
    case MessageType::Snapshot: return "Snapshot";
    case MessageType::TimeoutNow: return "TimeoutNow";
    case MessageType::ReadIndex: return "ReadIndex";
    case MessageType::ReadIndexResp: return "ReadIndexResp";
    }
    return "?";
}

const char *raftErrorName(RaftError error)
{
    switch (error) {
    case RaftError::None: return "none";
    case RaftError::NotLeader: return "not leader";
    case RaftError::TransferInProgress: return "leadership transfer in progress";
    case RaftError::ConfChangeInProgress: return "membership change in progress";
    case RaftError::LeaderNotReady: return "leader has not committed an entry of its term";
    case RaftError::InvalidConfChange: return "invalid membership change";
    case RaftError::NoLeader: return "no leader";
    case RaftError::SnapshotOutOfRange: return "snapshot index out of range";
    }
    return "?";
}

}  // namespace conclave::raft
