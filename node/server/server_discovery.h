#pragma once
// ServerDiscovery: how servers find each other on their server ports until gossip does it (the
// gossip issue replaces this with Serf's member list). Each server knows a set of servers
// {node ID → "ip:port"}; it tells every server it knows about that set (a ServerList frame on the
// PeerTransport) whenever the set grows and every few seconds, so joining any one server is
// enough. A `-retry-join` address is dialled under a placeholder id until the server behind it
// introduces itself.
//
// It also decides how a server with an empty data dir starts (Consul's bootstrap_expect): once
// `expect` servers that all wait to bootstrap are known, each of them bootstraps Raft with the
// same sorted list; a waiting server that learns of a server already in a cluster joins that
// cluster instead, and the leader adds servers it learns of as non-voters (RaftNode promotes them
// once caught up). The known set is kept in `<data-dir>/server-peers.json` so a restarted server
// can find its peers without any join address.
//
// Owned by the agent; event-loop thread.

#include "net/peer_transport.h"
#include "server/raft_node.h"
#include "server/server_list.h"

#include <QMap>
#include <QSet>
#include <QObject>
#include <QTimer>

namespace conclave::server {

class ServerDiscovery : public QObject {
    Q_OBJECT
public:
    /// Frame type of a ServerList on the PeerTransport (RaftNode ignores types from 100 up).
    static constexpr quint32 kServerListFrameType = 100;

    struct Config {
        QString nodeId;
        QString advertiseAddress;  // our server port, "ip:port"
        int bootstrapExpect = 0;   // 0: never bootstrap (join an existing cluster only)
        QStringList joinAddresses; // "host:port" of other servers' server ports
        QString dataDir;           // where server-peers.json lives ("" = not kept)
        int announceIntervalMs = 2000;
    };

    ServerDiscovery(net::PeerTransport &transport, RaftNode &raft, Config config, QObject *parent = nullptr);

    /// Loads server-peers.json, dials the join addresses and the known servers, starts announcing.
    /// False with a one-sentence error if the file exists but cannot be read.
    bool start(QString *error);
    /// node ID → address of every server known, this one included.
    QMap<QString, QString> servers() const;
    /// What server-peers.json holds. A server with Raft data needs it to restart: the initial
    /// voters are not in the log (RaftNode keeps them at index 0).
    struct PeerFile {
        bool exists = false;
        QList<RaftNode::Peer> initialVoters;  // addresses as last known
        bool selfIsInitialVoter = true;
        QMap<QString, QString> servers;       // every server known, id → address
    };
    static bool loadPeerFile(const QString &dataDir, PeerFile *out, QString *error);
    static bool savePeerFile(const QString &dataDir, const PeerFile &file, QString *error);
    /// Stops re-adding `id` (it was removed from the Raft configuration on purpose).
    void forget(const QString &id);

signals:
    /// This server bootstrapped a new cluster with these voters, or joined an existing one.
    void bootstrapped(const QStringList &voterIds);
    void joined();

private:
    void onFrame(const QString &from, net::PeerTransport::Channel channel, const net::Frame &frame);
    void learn(const QString &id, const QString &address, bool inCluster);
    /// A server introduced itself on a connection: its word beats any list. Another ID known at
    /// the same address is an earlier life of that server (wiped data dir) and is dropped.
    void learnDirect(const QString &id, const QString &address);
    void announce();
    void decide();
    void reconcileMembership();
    void save();

    net::PeerTransport &m_transport;
    RaftNode &m_raft;
    Config m_config;
    QMap<QString, QString> m_known;   // id → address, without this server
    QSet<QString> m_inCluster;        // ids that said they have Raft state
    QMap<QString, QString> m_placeholders;  // "join:<addr>" ids still dialled
    // Ids forgotten (removed on purpose, or replaced at their address by a new ID): other servers'
    // lists may still carry them for a while and must not bring them back; only the server itself
    // introducing itself again does.
    QSet<QString> m_forgotten;
    QList<RaftNode::Peer> m_clusterVoters;  // an existing cluster's initial voters, once told
    PeerFile m_file;
    QTimer m_timer;
    bool m_dirty = false;
    bool m_changePending = false;  // a membership change we asked for is not answered yet
};

}  // namespace conclave::server
