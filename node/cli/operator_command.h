#pragma once
// `conclave operator raft list-peers | remove-peer`, as Consul's (from /v1/operator/raft/*).

#include <QByteArray>
#include <QString>

namespace conclave::cli {

/// The list-peers table from a /v1/operator/raft/configuration body: Node, ID, Address, State
/// (leader/follower/non-voter), Voter, RaftProtocol, in the server's order. Empty on a bad body.
QString formatRaftPeers(const QByteArray &configurationBody, bool *ok);

}  // namespace conclave::cli
