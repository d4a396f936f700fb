#include "server/server_discovery.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSaveFile>

#include <algorithm>

Q_LOGGING_CATEGORY(lcDiscovery, "conclave.server.discovery")

namespace conclave::server {

namespace {

const QString kPeerFileName = QStringLiteral("server-peers.json");
const QString kPlaceholder = QStringLiteral("join:");
constexpr int kMaxServers = ServerList::kMaxServers;

}  // namespace

ServerDiscovery::ServerDiscovery(net::PeerTransport &transport, RaftNode &raft, Config config, QObject *parent)
    : QObject(parent), m_transport(transport), m_raft(raft), m_config(std::move(config))
{
    connect(&m_timer, &QTimer::timeout, this, [this] {
        announce();
        decide();
    });
}

bool ServerDiscovery::loadPeerFile(const QString &dataDir, PeerFile *out, QString *error)
{
    *out = PeerFile{};
    QFile f(QDir(dataDir).filePath(kPeerFileName));
    if (!f.exists())
        return true;
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read '%1': %2").arg(f.fileName(), f.errorString());
        return false;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QStringLiteral("'%1' is not valid JSON: %2").arg(f.fileName(), pe.errorString());
        return false;
    }
    const QJsonObject o = doc.object();
    out->exists = true;
    out->selfIsInitialVoter = o.value(QStringLiteral("self_initial_voter")).toBool(true);
    const QJsonObject servers = o.value(QStringLiteral("servers")).toObject();
    for (auto it = servers.begin(); it != servers.end(); ++it)
        out->servers.insert(it.key(), it.value().toString());
    for (const QJsonValue &v : o.value(QStringLiteral("initial_voters")).toArray()) {
        const QString id = v.toString();
        if (id.isEmpty()) {
            *error = QStringLiteral("'%1' lists an empty server ID").arg(f.fileName());
            return false;
        }
        out->initialVoters.append(RaftNode::Peer{id, out->servers.value(id)});
    }
    return true;
}

bool ServerDiscovery::savePeerFile(const QString &dataDir, const PeerFile &file, QString *error)
{
    QJsonArray voters;
    for (const RaftNode::Peer &p : file.initialVoters)
        voters.append(p.id);
    QJsonObject servers;
    for (auto it = file.servers.cbegin(); it != file.servers.cend(); ++it)
        servers.insert(it.key(), it.value());
    const QJsonObject o{{QStringLiteral("initial_voters"), voters},
                        {QStringLiteral("self_initial_voter"), file.selfIsInitialVoter},
                        {QStringLiteral("servers"), servers}};
    QSaveFile out(QDir(dataDir).filePath(kPeerFileName));
    if (!out.open(QIODevice::WriteOnly) || out.write(QJsonDocument(o).toJson()) < 0 || !out.commit()) {
        *error = QStringLiteral("cannot write '%1': %2").arg(out.fileName(), out.errorString());
        return false;
    }
    return true;
}

bool ServerDiscovery::start(QString *error)
{
    if (!m_config.dataDir.isEmpty() && !loadPeerFile(m_config.dataDir, &m_file, error))
        return false;
    for (auto it = m_file.servers.cbegin(); it != m_file.servers.cend(); ++it) {
        if (it.key() != m_config.nodeId && !it.value().isEmpty()) {
            m_known.insert(it.key(), it.value());
            m_transport.setPeer(it.key(), it.value());
            m_raft.setPeerAddress(it.key(), it.value());
        }
    }
    for (const QString &addr : std::as_const(m_config.joinAddresses)) {
        if (addr == m_config.advertiseAddress || std::find(m_known.cbegin(), m_known.cend(), addr) != m_known.cend())
            continue;
        m_placeholders.insert(kPlaceholder + addr, addr);
        m_transport.setPeer(kPlaceholder + addr, addr);
    }
    connect(&m_transport, &net::PeerTransport::frameReceived, this, &ServerDiscovery::onFrame);
    connect(&m_transport, &net::PeerTransport::peerIntroduced, this,
            [this](const QString &id, const QString &address) { learnDirect(id, address); });
    m_timer.start(m_config.announceIntervalMs);
    announce();
    return true;
}

QMap<QString, QString> ServerDiscovery::servers() const
{
    QMap<QString, QString> all = m_known;
    all.insert(m_config.nodeId, m_config.advertiseAddress);
    return all;
}

void ServerDiscovery::forget(const QString &id)
{
    m_forgotten.insert(id);
    m_known.remove(id);
    m_inCluster.remove(id);
    m_transport.removePeer(id);
    m_dirty = true;
    save();
}

void ServerDiscovery::onFrame(const QString &from, net::PeerTransport::Channel, const net::Frame &frame)
{
    if (frame.type != kServerListFrameType)
        return;
    ServerList list;
    if (!ServerList::decode(frame.payload, &list)) {
        qCWarning(lcDiscovery).noquote() << "dropping a malformed server list from" << from;
        return;
    }
    if (!list.initialVoters.isEmpty() && m_clusterVoters.isEmpty()) {
        for (const ServerListPeer &p : std::as_const(list.initialVoters))
            m_clusterVoters.append(RaftNode::Peer{p.id, p.address});
    }
    if (list.expect > 0 && m_config.bootstrapExpect > 0 && list.expect != m_config.bootstrapExpect)
        qCWarning(lcDiscovery).noquote() << "server" << from << "expects" << list.expect << "servers, this one"
                                         << m_config.bootstrapExpect << "(bootstrap_expect must agree)";
    for (const ServerListEntry &e : std::as_const(list.servers))
        learn(e.id, e.address, e.inCluster);
    decide();
}

void ServerDiscovery::learnDirect(const QString &id, const QString &address)
{
    if (id.isEmpty() || id == m_config.nodeId || id.startsWith(kPlaceholder) || address.isEmpty())
        return;
    m_forgotten.remove(id);
    QStringList earlier;
    for (auto it = m_known.cbegin(); it != m_known.cend(); ++it) {
        if (it.key() != id && it.value() == address)
            earlier.append(it.key());
    }
    for (const QString &old : std::as_const(earlier)) {
        qCInfo(lcDiscovery).noquote() << "server" << id << "at" << address << "replaces" << old;
        // Still a voter maybe: the leader takes it out of the configuration (reconcileMembership).
        forget(old);
    }
    learn(id, address, false);
}

void ServerDiscovery::learn(const QString &id, const QString &address, bool inCluster)
{
    // Lists may name this server's own address under an earlier ID (this data dir was wiped):
    // that is not another server.
    if (id.isEmpty() || id == m_config.nodeId || id.startsWith(kPlaceholder) || address.isEmpty()
        || address == m_config.advertiseAddress || m_forgotten.contains(id))
        return;
    bool grew = false;
    if (m_known.value(id) != address) {
        grew = !m_known.contains(id);
        if (!grew || m_known.size() < kMaxServers) {
            m_known.insert(id, address);
            m_transport.setPeer(id, address);
            m_raft.setPeerAddress(id, address);
            m_dirty = true;
        }
    }
    if (inCluster && !m_inCluster.contains(id)) {
        m_inCluster.insert(id);
        grew = true;
    }
    // The server behind a join address has introduced itself: stop dialling the placeholder.
    for (auto it = m_placeholders.begin(); it != m_placeholders.end();) {
        if (it.value() == address) {
            m_transport.removePeer(it.key());
            it = m_placeholders.erase(it);
        } else {
            ++it;
        }
    }
    save();
    if (grew) {
        announce();
        decide();
    }
}

void ServerDiscovery::announce()
{
    ServerList list;
    list.expect = m_config.bootstrapExpect;
    const bool inCluster = !m_raft.awaitingBootstrap();
    list.servers.append(ServerListEntry{m_config.nodeId, m_config.advertiseAddress, inCluster});
    for (auto it = m_known.cbegin(); it != m_known.cend(); ++it)
        list.servers.append(ServerListEntry{it.key(), it.value(), m_inCluster.contains(it.key())});
    if (inCluster) {
        for (const RaftNode::Peer &p : std::as_const(m_file.initialVoters))
            list.initialVoters.append(ServerListPeer{p.id, p.id == m_config.nodeId ? m_config.advertiseAddress : m_known.value(p.id, p.address)});
    }
    const net::Frame frame{kServerListFrameType, 1, list.encode()};
    for (auto it = m_known.cbegin(); it != m_known.cend(); ++it)
        m_transport.send(it.key(), frame);
    for (auto it = m_placeholders.cbegin(); it != m_placeholders.cend(); ++it)
        m_transport.send(it.key(), frame);
}

void ServerDiscovery::decide()
{
    if (m_raft.awaitingBootstrap()) {
        QString error;
        const bool clusterExists = std::any_of(m_inCluster.cbegin(), m_inCluster.cend(),
                                               [this](const QString &id) { return m_known.contains(id); });
        if (clusterExists && !m_clusterVoters.isEmpty()) {
            m_file.initialVoters = m_clusterVoters;
            m_file.selfIsInitialVoter = false;
            m_dirty = true;
            save();
            qCInfo(lcDiscovery).noquote() << "found an existing cluster; joining it";
            if (!m_raft.joinExisting(m_clusterVoters, &error))
                qCWarning(lcDiscovery).noquote() << error;
            emit joined();
            announce();
            return;
        }
        if (clusterExists || m_config.bootstrapExpect <= 0 || m_known.size() + 1 < m_config.bootstrapExpect)
            return;
        QList<RaftNode::Peer> voters{RaftNode::Peer{m_config.nodeId, m_config.advertiseAddress}};
        for (auto it = m_known.cbegin(); it != m_known.cend(); ++it)
            voters.append(RaftNode::Peer{it.key(), it.value()});
        std::sort(voters.begin(), voters.end(), [](const RaftNode::Peer &a, const RaftNode::Peer &b) { return a.id < b.id; });
        if (voters.size() > m_config.bootstrapExpect)
            qCWarning(lcDiscovery).noquote() << voters.size() << "servers found but bootstrap_expect is"
                                             << m_config.bootstrapExpect << "; all of them become voters";
        // Written before Raft stores anything: a restart must find the same initial voters.
        m_file.initialVoters = voters;
        m_file.selfIsInitialVoter = true;
        m_dirty = true;
        save();
        QStringList ids;
        for (const RaftNode::Peer &p : voters)
            ids.append(p.id);
        qCInfo(lcDiscovery).noquote() << "found" << voters.size() << "servers; bootstrapping with"
                                      << ids.join(QLatin1Char(','));
        if (!m_raft.bootstrap(voters, &error))
            qCWarning(lcDiscovery).noquote() << error;
        emit bootstrapped(ids);
        announce();
        return;
    }
    reconcileMembership();
}

// Consul's leader adds every server it sees alive to the Raft configuration; here a server is
// alive when our connection to it is up. One change at a time; a non-voter first.
void ServerDiscovery::reconcileMembership()
{
    if (!m_raft.isLeader() || m_changePending)
        return;
    const QStringList voters = m_raft.voterIds();
    const QStringList learners = m_raft.learnerIds();
    for (auto it = m_known.cbegin(); it != m_known.cend(); ++it) {
        const QString &id = it.key();
        if (voters.contains(id) || learners.contains(id) || !m_transport.isConnected(id))
            continue;
        // A server at the same address under another ID is the same machine with a wiped data
        // dir: take the old ID out first (Consul's leader does the same when a server rejoins).
        for (const QString &old : voters + learners) {
            if (old == id || old == m_config.nodeId || m_raft.addressOf(old) != it.value())
                continue;
            m_changePending = true;
            qCInfo(lcDiscovery).noquote() << "removing server" << old << "at" << it.value() << ": replaced by" << id;
            m_raft.changeMembership(raft::ConfChange{raft::ConfChangeType::Remove, raft::NodeId{old}, {}},
                                    [this, old](const ProposeResult &r) {
                                        m_changePending = false;
                                        if (r.error != LogError::None)
                                            qCWarning(lcDiscovery).noquote() << "could not remove server" << old << ":" << r.errorText;
                                        else
                                            forget(old);
                                    });
            return;
        }
        m_changePending = true;
        qCInfo(lcDiscovery).noquote() << "adding server" << id << "at" << it.value() << "as a non-voter";
        m_raft.changeMembership(raft::ConfChange{raft::ConfChangeType::AddLearner, raft::NodeId{id}, it.value().toUtf8()},
                                [this, id](const ProposeResult &r) {
                                    m_changePending = false;
                                    if (r.error != LogError::None)
                                        qCWarning(lcDiscovery).noquote() << "could not add server" << id << ":" << r.errorText;
                                });
        return;
    }
}

void ServerDiscovery::save()
{
    if (!m_dirty || m_config.dataDir.isEmpty())
        return;
    m_file.servers = m_known;
    for (RaftNode::Peer &p : m_file.initialVoters) {
        if (m_known.contains(p.id))
            p.address = m_known.value(p.id);
    }
    QString error;
    if (!savePeerFile(m_config.dataDir, m_file, &error))
        qCWarning(lcDiscovery).noquote() << error;
    else
        m_dirty = false;
}

}  // namespace conclave::server
