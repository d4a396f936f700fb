#pragma once
// Majority arithmetic for votes and commit (Raft §5.2, §5.3). Pure functions over a voter set;
// no state, callable from anywhere.

#include "core/raft/types.h"

#include <functional>
#include <map>

namespace conclave::raft::quorum {

enum class VoteResult { Pending, Won, Lost };

/// Smallest number of voters that forms a majority of `voterCount` (floor(n/2)+1).
constexpr std::size_t majority(std::size_t voterCount) { return voterCount / 2 + 1; }

/// The highest index that a majority of `voters` have reached, per `matchOf`. 0 for no voters.
LogIndex committedIndex(const std::set<NodeId> &voters,
                        const std::function<LogIndex(const NodeId &)> &matchOf);

/// Outcome of an election given the answers so far (true = granted). Answers of non-voters are
/// ignored.
VoteResult voteResult(const std::set<NodeId> &voters, const std::map<NodeId, bool> &votes);

/// True if the nodes in `active` include a majority of `voters`.
bool hasQuorum(const std::set<NodeId> &voters, const std::set<NodeId> &active);

}  // namespace conclave::raft::quorum
