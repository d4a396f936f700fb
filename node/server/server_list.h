#pragma once
// The ServerList frame of server discovery (server_discovery.h): who a server knows, whether each
// is in a Raft cluster, the bootstrap_expect it was started with, and its cluster's initial voters.
// CBOR, integer keys. A pure codec (no sockets), fuzzed by tests/fuzz/fuzz_server_messages.

#include <QByteArray>
#include <QList>
#include <QString>

namespace conclave::server {

struct ServerListEntry {
    QString id;
    QString address;
    bool inCluster = false;  // has Raft state (bootstrapped or joined)
};

struct ServerListPeer {
    QString id;
    QString address;
};

struct ServerList {
    /// At most this many servers (and initial voters) in one list; longer lists are refused.
    static constexpr int kMaxServers = 64;
    int expect = 0;
    QList<ServerListEntry> servers;
    QList<ServerListPeer> initialVoters;  // the sender's cluster's, if it is in one

    QByteArray encode() const;
    /// False (out untouched) for anything malformed: not CBOR, wrong types, negative or huge
    /// counts, empty or oversized IDs, IDs that look like join placeholders.
    static bool decode(const QByteArray &bytes, ServerList *out);
};

}  // namespace conclave::server
