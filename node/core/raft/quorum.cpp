#include "core/raft/quorum.h"

#include <algorithm>

namespace conclave::raft::quorum {

LogIndex committedIndex(const std::set<NodeId> &voters,
                        const std::function<LogIndex(const NodeId &)> &matchOf)
{
    if (voters.empty())
        return LogIndex{};
    std::vector<quint64> matches;
    matches.reserve(voters.size());
    for (const NodeId &id : voters)
        matches.push_back(matchOf(id).value);
    // Sorted descending, the majority-th value is reached by at least a majority.
    std::sort(matches.begin(), matches.end(), std::greater<>());
    return LogIndex{matches[majority(voters.size()) - 1]};
}

VoteResult voteResult(const std::set<NodeId> &voters, const std::map<NodeId, bool> &votes)
{
    std::size_t granted = 0;
    std::size_t rejected = 0;
    for (const NodeId &id : voters) {
        const auto it = votes.find(id);
        if (it == votes.end())
            continue;
        ++(it->second ? granted : rejected);
    }
    const std::size_t need = majority(voters.size());
    if (granted >= need)
        return VoteResult::Won;
    if (voters.size() - rejected < need)
        return VoteResult::Lost;
    return VoteResult::Pending;
}

bool hasQuorum(const std::set<NodeId> &voters, const std::set<NodeId> &active)
{
    std::size_t n = 0;
    for (const NodeId &id : voters)
        n += active.count(id);
    return n >= majority(voters.size());
}

}  // namespace conclave::raft::quorum
