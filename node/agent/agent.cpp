#include "agent/agent.h"

#include "agent/local_state.h"
#include "api/http_api.h"
#include "api/raft_operator.h"
#include "api/viewer_stream.h"
#include "core/state/fsm.h"
#include "core/state/state_store.h"
#include "dns/resolver.h"
#include "net/dns_server.h"
#include "net/http_server.h"
#include "server/fsm_state_machine.h"
#include "net/peer_transport.h"
#include "server/raft_node.h"
#include "server/server_discovery.h"
#include "server/single_node_log.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QHash>
#include <QHostAddress>
#include <QLoggingCategory>
#include <QPointer>
#include <QTimer>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QUuid>

Q_LOGGING_CATEGORY(lcAgent, "conclave.agent")

namespace conclave::agent {

namespace {

QString buildString()
{
    return QStringLiteral(CONCLAVE_VERSION);
}

// /v1/operator/raft/* over this server's log.
class AgentRaftOperator : public api::RaftOperator {
public:
    AgentRaftOperator(server::RaftNode *raft, server::ServerDiscovery *discovery, const state::StateStore &store,
                      QString selfId, QString selfAddress, QString selfNode)
        : m_raft(raft), m_discovery(discovery), m_store(store), m_selfId(std::move(selfId)),
          m_selfAddress(std::move(selfAddress)), m_selfNode(std::move(selfNode))
    {
    }

    QList<api::RaftServerInfo> raftServers() const override
    {
        if (!m_raft)  // the single-voter log: this server alone
            return {api::RaftServerInfo{m_selfId, m_selfNode, m_selfAddress, true, true, 0}};
        QHash<QString, QString> names;
        const auto nodes = m_store.nodes();
        for (const model::Node &n : nodes.value)
            names.insert(n.id, n.node);
        QList<api::RaftServerInfo> out;
        auto add = [&](const QString &id, bool voter) {
            api::RaftServerInfo s;
            s.id = id;
            s.node = names.value(id, QStringLiteral("(unknown)"));
            s.address = m_raft->addressOf(id);
            s.leader = id == m_raft->leaderId();
            s.voter = voter;
            s.lastIndex = m_raft->isLeader() ? m_raft->matchIndex(id) : (id == m_selfId ? m_raft->appliedIndex() : 0);
            out.append(s);
        };
        QStringList voters = m_raft->voterIds();
        QStringList learners = m_raft->learnerIds();
        voters.sort();
        learners.sort();
        for (const QString &id : voters)
            add(id, true);
        for (const QString &id : learners)
            add(id, false);
        return out;
    }

    quint64 raftConfigurationIndex() const override { return m_raft ? m_raft->membershipIndex() : 1; }

    void removeRaftPeer(const QString &id, const QString &address, Done done) override
    {
        auto answer = [done](const QString &text) {
            QMetaObject::invokeMethod(qApp, [done, text] { done(text); }, Qt::QueuedConnection);
        };
        if (!m_raft) {
            answer(QStringLiteral("this server is the only one; there is no peer to remove"));
            return;
        }
        QString target = id;
        const QStringList members = m_raft->voterIds() + m_raft->learnerIds();
        if (target.isEmpty()) {
            for (const QString &m : members)
                if (m_raft->addressOf(m) == address)
                    target = m;
            if (target.isEmpty()) {
                answer(QStringLiteral("address \"%1\" was not found in the Raft configuration").arg(address));
                return;
            }
        } else if (!members.contains(target)) {
            answer(QStringLiteral("id \"%1\" was not found in the Raft configuration").arg(target));
            return;
        }
        if (!m_raft->isLeader()) {
            answer(QStringLiteral("this server is not the leader (%1); send the request to the leader")
                       .arg(m_raft->leaderAddress().isEmpty() ? QStringLiteral("none known") : m_raft->leaderAddress()));
            return;
        }
        if (m_discovery)
            m_discovery->forget(target);  // or the leader would add it back while it still answers
        m_raft->changeMembership(raft::ConfChange{raft::ConfChangeType::Remove, raft::NodeId{target}, {}},
                                 [done](const server::ProposeResult &r) {
                                     done(r.error == server::LogError::None ? QString() : r.errorText);
                                 });
    }

    void transferLeadership(const QString &id, Done done) override
    {
        if (!m_raft || !m_raft->isLeader()) {
            QMetaObject::invokeMethod(qApp, [done] { done(QStringLiteral("this server is not the leader")); },
                                      Qt::QueuedConnection);
            return;
        }
        if (!id.isEmpty() && (!m_raft->voterIds().contains(id) || id == m_selfId)) {
            QMetaObject::invokeMethod(
                qApp, [done, id] { done(QStringLiteral("cannot transfer leadership to \"%1\": not another voter").arg(id)); },
                Qt::QueuedConnection);
            return;
        }
        server::RaftNode *raft = m_raft;
        raft->transferLeadership([raft, done] {
            done(raft->isLeader() ? QStringLiteral("leadership did not move within an election timeout") : QString());
        });
    }

private:
    server::RaftNode *m_raft;
    server::ServerDiscovery *m_discovery;
    const state::StateStore &m_store;
    QString m_selfId, m_selfAddress, m_selfNode;
};

}  // namespace

Agent::Agent(AgentConfig config, QObject *parent) : QObject(parent), m_config(std::move(config)) {}

Agent::~Agent()
{
    shutdown();
}

quint16 Agent::httpPort() const
{
    return m_http ? m_http->port() : 0;
}

quint16 Agent::dnsPort() const
{
    return m_dns ? m_dns->port() : 0;
}

bool Agent::startDns(QString *error)
{
    dns::ResolverConfig rc;
    rc.domain = m_config.domain;
    rc.altDomain = m_config.altDomain;
    rc.datacenter = m_config.datacenter;
    rc.nodeName = m_config.nodeName;
    rc.nodeTtl = quint32(m_config.dnsNodeTtlMs / 1000);
    for (auto it = m_config.dnsServiceTtlMs.cbegin(); it != m_config.dnsServiceTtlMs.cend(); ++it)
        rc.serviceTtl.insert(it.key(), quint32(it.value() / 1000));
    rc.udpAnswerLimit = m_config.dnsUdpAnswerLimit;
    rc.onlyPassing = m_config.dnsOnlyPassing;
    rc.enableTruncate = m_config.dnsEnableTruncate;
    rc.recursors = m_config.recursors;
    net::DnsServer::Options opts;
    for (const QString &r : m_config.recursors) {
        net::DnsServer::Recursor rec;
        if (!net::DnsServer::parseRecursor(r, &rec)) {
            *error = QStringLiteral("invalid recursor address '%1'").arg(r);
            return false;
        }
        opts.recursors.append(rec);
    }
    m_resolver = std::make_unique<dns::Resolver>(
        rc, *m_store, [](quint32 bound) { return QRandomGenerator::global()->bounded(bound); },
        [] { return quint32(QDateTime::currentSecsSinceEpoch()); });
    dns::Resolver *resolver = m_resolver.get();
    m_dns = std::make_unique<net::DnsServer>(
        [resolver](const QByteArray &query, net::dns::Transport transport) {
            const dns::PacketOutcome out = resolver->handlePacket(query, transport);
            net::DnsServer::Result r;
            r.reply = out.reply;
            r.action = out.action == dns::ResolveOutcome::Action::Reply     ? net::DnsServer::Action::Reply
                       : out.action == dns::ResolveOutcome::Action::Forward ? net::DnsServer::Action::Forward
                                                                            : net::DnsServer::Action::Drop;
            return r;
        },
        opts);
    return m_dns->listen(QHostAddress(m_config.clientAddr), quint16(m_config.dnsPort), error);
}

bool Agent::prepareDataDir(QString *error)
{
    if (m_config.dataDir.isEmpty()) {
        // -dev without -data-dir: a fresh temporary dir, through the very same storage code path.
        m_devDir = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/conclave-dev-XXXXXX"));
        if (!m_devDir->isValid()) {
            *error = QStringLiteral("cannot create a temporary data dir: %1").arg(m_devDir->errorString());
            return false;
        }
        m_config.dataDir = m_devDir->path();
    }
    QDir dir(m_config.dataDir);
    if (!dir.mkpath(QStringLiteral("."))) {
        *error = QStringLiteral("cannot create data dir '%1'").arg(m_config.dataDir);
        return false;
    }
    m_config.dataDir = dir.absolutePath();
    m_lock = std::make_unique<QLockFile>(dir.filePath(QStringLiteral("agent.lock")));
    m_lock->setStaleLockTime(0);  // stale only when the holder's PID is gone (e.g. after kill -9)
    if (!m_lock->tryLock(0)) {
        qint64 pid = 0;
        QString host, app;
        m_lock->getLockInfo(&pid, &host, &app);
        if (m_lock->error() == QLockFile::LockFailedError)
            *error = QStringLiteral("data dir '%1' is in use by another agent (pid %2)").arg(m_config.dataDir).arg(pid);
        else
            *error = QStringLiteral("data dir '%1' is not writable").arg(m_config.dataDir);
        return false;
    }
    // The node ID is created once and kept (Consul's node-id file).
    QFile idFile(dir.filePath(QStringLiteral("node-id")));
    if (idFile.exists()) {
        if (!idFile.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("cannot read '%1': %2").arg(idFile.fileName(), idFile.errorString());
            return false;
        }
        m_nodeId = QString::fromLatin1(idFile.readAll()).trimmed();
        if (QUuid::fromString(m_nodeId).isNull()) {
            *error = QStringLiteral("'%1' does not hold a valid node ID").arg(idFile.fileName());
            return false;
        }
    } else {
        m_nodeId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        QSaveFile out(idFile.fileName());
        if (!out.open(QIODevice::WriteOnly) || out.write(m_nodeId.toLatin1()) < 0 || !out.commit()) {
            *error = QStringLiteral("data dir '%1' is not writable: %2").arg(m_config.dataDir, out.errorString());
            return false;
        }
    }
    return true;
}

bool Agent::clusterMode() const
{
    if (m_config.dev)
        return false;
    // A lone -bootstrap server keeps the single-voter log unless it was told of other servers
    // or has been part of a cluster before.
    return m_config.bootstrapExpect > 1 || !m_config.bootstrap || !m_config.retryJoin.isEmpty() ||
           QFile::exists(QDir(m_config.dataDir).filePath(QStringLiteral("server-peers.json")));
}

bool Agent::openLog(QString *error)
{
    const QString advertise = QStringLiteral("%1:%2").arg(m_config.advertiseAddr).arg(m_config.serverPort);
    if (!clusterMode()) {
        server::SingleNodeLog::Config logCfg;
        logCfg.snapshotThreshold = quint64(m_config.raftSnapshotThreshold);
        logCfg.snapshotIntervalMs = int(m_config.raftSnapshotIntervalMs);
        logCfg.trailingLogs = quint64(m_config.raftTrailingLogs);
        logCfg.advertiseAddress = advertise;
        m_single = std::make_unique<server::SingleNodeLog>(*m_machine, logCfg);
        if (!m_single->open(m_config.dataDir, error))
            return false;
        for (const QString &w : m_single->openWarnings())
            qCWarning(lcAgent).noquote() << w;
        m_log = m_single.get();
        return true;
    }

    net::PeerTransport::Config tc;
    tc.nodeId = m_nodeId;
    tc.advertiseAddress = advertise;
    tc.bindAddress = QHostAddress(m_config.bindAddr);
    tc.port = quint16(m_config.serverPort);
    m_transport = std::make_unique<net::PeerTransport>(tc);
    if (!m_transport->listen(error))
        return false;

    server::ServerDiscovery::PeerFile file;
    if (!server::ServerDiscovery::loadPeerFile(m_config.dataDir, &file, error))
        return false;
    server::RaftNode::Config rc;
    rc.nodeId = m_nodeId;
    rc.advertiseAddress = advertise;
    if (file.exists) {
        rc.peers = file.initialVoters;
        rc.selfIsInitialVoter = file.selfIsInitialVoter;
    } else if (m_config.bootstrap) {
        rc.peers = {server::RaftNode::Peer{m_nodeId, advertise}};  // -bootstrap: a cluster of one to start with
    }
    rc.snapshotThreshold = quint64(m_config.raftSnapshotThreshold);
    rc.trailingLogs = quint64(m_config.raftTrailingLogs);
    m_raft = std::make_unique<server::RaftNode>(*m_machine, *m_transport, rc);
    if (!m_raft->open(m_config.dataDir, error))
        return false;
    if (m_config.bootstrap && !file.exists) {
        // Keep the initial voter for restarts, as discovery does for bootstrap_expect.
        file.initialVoters = rc.peers;
        file.selfIsInitialVoter = true;
        if (!server::ServerDiscovery::savePeerFile(m_config.dataDir, file, error))
            return false;
    }

    server::ServerDiscovery::Config dc;
    dc.nodeId = m_nodeId;
    dc.advertiseAddress = advertise;
    dc.bootstrapExpect = m_config.bootstrap ? 0 : m_config.bootstrapExpect;
    for (const QString &j : m_config.retryJoin)
        dc.joinAddresses.append(j.contains(QLatin1Char(':')) ? j : j + QStringLiteral(":8300"));
    dc.dataDir = m_config.dataDir;
    m_discovery = std::make_unique<server::ServerDiscovery>(*m_transport, *m_raft, dc);
    if (!m_discovery->start(error))
        return false;
    m_log = m_raft.get();
    return true;
}

bool Agent::start(QString *error)
{
    m_startedMs = QDateTime::currentMSecsSinceEpoch();
    if (!prepareDataDir(error))
        return false;

    m_store = std::make_unique<state::StateStore>();
    m_fsm = std::make_unique<state::Fsm>(*m_store);
    m_machine = std::make_unique<server::FsmStateMachine>(*m_fsm);
    if (!openLog(error))
        return false;
    connect(m_log, &server::ReplicatedLog::fatalError, this, [this](const QString &text) {
        qCCritical(lcAgent).noquote() << "storage failed:" << text;
        emit fatal(text);
    });

    LocalState::Options lo;
    lo.node = NodeIdentity{m_config.nodeName, m_nodeId, m_config.advertiseAddr, m_config.datacenter, m_config.nodeMeta};
    lo.enableScriptChecks = m_config.enableScriptChecks;
    lo.outputMaxSize = int(m_config.checkOutputMaxSize);
    lo.checkUpdateIntervalMs = m_config.checkUpdateIntervalMs;
    lo.dataDir = m_config.dataDir;  // API registrations persist here and come back on restart
    m_local = std::make_unique<LocalState>(
        lo, *m_log, [this]() { return selfJson(); }, [this]() { return membersList(); });

    api::ApiContext ctx;
    ctx.config.datacenter = m_config.datacenter;
    ctx.config.alwaysPretty = m_config.dev;
    ctx.config.defaultQueryTimeMs = m_config.defaultQueryTimeMs;
    ctx.config.maxQueryTimeMs = m_config.maxQueryTimeMs;
    ctx.config.kvMaxValueSize = m_config.kvMaxValueSize;
    ctx.store = m_store.get();
    ctx.fsm = m_fsm.get();
    ctx.log = m_log;
    m_raftOperator = std::make_unique<AgentRaftOperator>(
        m_raft.get(), m_discovery.get(), *m_store, m_nodeId,
        QStringLiteral("%1:%2").arg(m_config.advertiseAddr).arg(m_config.serverPort), m_config.nodeName);
    ctx.raft = m_raftOperator.get();
    ctx.agent = m_local.get();
    ctx.random = [](quint64 bound) { return bound ? QRandomGenerator::global()->bounded(bound) : 0; };
    m_api = std::make_unique<api::HttpApi>(ctx);

    registerSelf();
    m_local->restore();  // before the HTTP API answers, so a restart shows the saved services at once

    if (m_config.httpPort >= 0) {
        net::HttpParserLimits limits;
        // A KV value may be kv_max_value_size; leave room so the route, not the parser, answers 413.
        limits.maxBodyBytes = std::max<qint64>(limits.maxBodyBytes, m_config.kvMaxValueSize + 1);
        // A snapshot restore may be larger than any other body (HttpApi::bodyLimit).
        limits.bodyLimit = [defaultLimit = limits.maxBodyBytes](const net::HttpRequest &head) {
            return api::HttpApi::bodyLimit(head, defaultLimit);
        };
        api::HttpApi *apiPtr = m_api.get();
        m_http = std::make_unique<net::HttpServer>(
            [apiPtr](const net::HttpRequest &req, net::HttpResponder r) { apiPtr->handle(req, std::move(r)); }, limits);
        // The viewer stream (conclave-gui) upgrades to a WebSocket on the HTTP port at /v1/stream.
        api::ViewerStreamContext streamCtx;
        streamCtx.store = m_store.get();
        streamCtx.datacenter = m_config.datacenter;
        streamCtx.members = [this] { return membersList(); };
        streamCtx.leaderNode = [this] { return m_log->isLeader() ? m_config.nodeName : QString(); };
        m_stream = std::make_unique<api::ViewerStream>(streamCtx);
        m_http->setUpgradeHandler([s = m_stream.get()](QTcpSocket *socket, const QByteArray &head) {
            return s->handleUpgrade(socket, head);
        });
        QString listenError;
        if (!m_http->listen(QHostAddress(m_config.clientAddr), quint16(m_config.httpPort), &listenError)) {
            *error = listenError;
            return false;
        }
    }

    if (m_config.dnsPort >= 0 && !startDns(error))
        return false;

    if (!m_config.pidFile.isEmpty()) {
        QSaveFile pid(m_config.pidFile);
        if (!pid.open(QIODevice::WriteOnly) || pid.write(QByteArray::number(QCoreApplication::applicationPid())) < 0 ||
            !pid.commit()) {
            *error = QStringLiteral("cannot write pid file '%1': %2").arg(m_config.pidFile, pid.errorString());
            return false;
        }
    }

    auto line = [](const char *label, const QString &value) {
        fprintf(stderr, "%22s: %s\n", label, qPrintable(value));
    };
    fprintf(stderr, "==> Starting Conclave agent...\n");
    line("Version", QStringLiteral("'%1'").arg(buildString()));
    line("Node ID", QStringLiteral("'%1'").arg(m_nodeId));
    line("Node name", QStringLiteral("'%1'").arg(m_config.nodeName));
    line("Datacenter", QStringLiteral("'%1'").arg(m_config.datacenter));
    line("Server", QStringLiteral("%1 (Bootstrap: %2)").arg(m_config.server ? "true" : "false", m_config.bootstrap ? "true" : "false"));
    line("Client Addr", QStringLiteral("[%1] (HTTP: %2, DNS: %3)").arg(m_config.clientAddr).arg(httpPort()).arg(m_dns ? int(dnsPort()) : -1));
    if (m_raft)
        line("Cluster Addr", QStringLiteral("%1 (Raft and RPC on server port %2; gossip not yet)")
                                 .arg(m_config.advertiseAddr)
                                 .arg(m_transport->serverPort()));
    else
        line("Cluster Addr", QStringLiteral("%1 (single server: no Raft transport)").arg(m_config.advertiseAddr));
    line("Data Dir", m_config.dataDir);
    fprintf(stderr, "\n==> Log data will now stream in as it occurs:\n\n");
    fflush(stderr);
    qCInfo(lcAgent).noquote() << QStringLiteral("restored state at index %1").arg(m_log->appliedIndex());
    if (m_http)
        qCInfo(lcAgent).noquote()
            << QStringLiteral("Started HTTP server on %1:%2 (tcp)").arg(m_config.clientAddr).arg(m_http->port());
    if (m_dns) {
        qCInfo(lcAgent).noquote() << QStringLiteral("Started DNS server on %1:%2 (udp)").arg(m_config.clientAddr).arg(dnsPort());
        qCInfo(lcAgent).noquote() << QStringLiteral("Started DNS server on %1:%2 (tcp)").arg(m_config.clientAddr).arg(dnsPort());
    }
    return true;
}

void Agent::registerSelf()
{
    // A server registers its own node, a passing serfHealth and the `consul` service, as Consul's
    // leader does when it reconciles itself into the catalog.
    model::RegisterRequest req;
    req.id = m_nodeId;
    req.node = m_config.nodeName;
    req.address = m_config.advertiseAddr;
    req.datacenter = m_config.datacenter;
    req.taggedAddresses = {{QStringLiteral("lan"), m_config.advertiseAddr},
                           {QStringLiteral("lan_ipv4"), m_config.advertiseAddr},
                           {QStringLiteral("wan"), m_config.advertiseAddr},
                           {QStringLiteral("wan_ipv4"), m_config.advertiseAddr}};
    req.nodeMeta = m_config.nodeMeta;
    req.nodeMeta.insert(QStringLiteral("consul-network-segment"), QString());
    if (m_config.server) {
        req.hasService = true;
        req.service.id = QStringLiteral("consul");
        req.service.service = QStringLiteral("consul");
        req.service.port = m_config.serverPort;
    }
    model::Check serf;
    serf.node = m_config.nodeName;
    serf.checkId = QStringLiteral("serfHealth");
    serf.name = QStringLiteral("Serf Health Status");
    serf.status = model::status::Passing;
    serf.output = QStringLiteral("Agent alive and reachable");
    req.checks.append(serf);
    QPointer<Agent> self(this);
    m_log->propose(state::encodeCommand(state::Command{state::CommandType::CatalogRegister, req}),
                   [self](const server::ProposeResult &r) {
                       if (r.error == server::LogError::ShuttingDown)
                           return;  // start-up failed (e.g. a taken port); that error was reported
                       if (r.error == server::LogError::NoLeader && self) {
                           // A cluster still forming: try again until a leader takes it.
                           qCInfo(lcAgent).noquote() << "cannot register this node yet:" << r.errorText;
                           QTimer::singleShot(2000, self, [self] {
                               if (self)
                                   self->registerSelf();
                           });
                           return;
                       }
                       if (r.error != server::LogError::None)
                           qCWarning(lcAgent).noquote() << "could not register this node:" << r.errorText;
                       else if (!r.result.error.isEmpty())
                           qCWarning(lcAgent).noquote() << "could not register this node:" << r.result.error;
                   });
}

QList<model::Member> Agent::membersList() const
{
    model::Member m;
    m.name = m_config.nodeName;
    m.addr = m_config.advertiseAddr;
    m.port = m_config.serfLanPort;
    m.status = 1;
    m.tags = {{QStringLiteral("role"), m_config.server ? QStringLiteral("consul") : QStringLiteral("node")},
              {QStringLiteral("dc"), m_config.datacenter},
              {QStringLiteral("segment"), QString()},
              {QStringLiteral("id"), m_nodeId},
              {QStringLiteral("port"), QString::number(m_config.serverPort)},
              {QStringLiteral("build"), buildString()},
              {QStringLiteral("vsn"), QStringLiteral("2")},
              {QStringLiteral("vsn_min"), QStringLiteral("2")},
              {QStringLiteral("vsn_max"), QStringLiteral("3")},
              {QStringLiteral("raft_vsn"), QStringLiteral("3")}};
    if (m_config.bootstrap)
        m.tags.insert(QStringLiteral("bootstrap"), QStringLiteral("1"));
    return {m};
}

QJsonObject Agent::selfJson() const
{
    QJsonObject cfg{
        {QStringLiteral("Datacenter"), m_config.datacenter},
        {QStringLiteral("PrimaryDatacenter"), m_config.datacenter},
        {QStringLiteral("NodeName"), m_config.nodeName},
        {QStringLiteral("NodeID"), m_nodeId},
        {QStringLiteral("Revision"), QString()},
        {QStringLiteral("Server"), m_config.server},
        {QStringLiteral("Version"), buildString()},
        {QStringLiteral("BuildDate"), QStringLiteral(__DATE__)},
    };
    QJsonObject debug{
        {QStringLiteral("Datacenter"), m_config.datacenter},
        {QStringLiteral("NodeName"), m_config.nodeName},
        {QStringLiteral("DataDir"), m_config.dataDir},
        {QStringLiteral("DevMode"), m_config.dev},
        {QStringLiteral("ServerMode"), m_config.server},
        {QStringLiteral("Bootstrap"), m_config.bootstrap},
        {QStringLiteral("BindAddr"), m_config.bindAddr},
        {QStringLiteral("AdvertiseAddrLAN"), m_config.advertiseAddr},
        {QStringLiteral("ClientAddrs"), QJsonArray{m_config.clientAddr}},
        {QStringLiteral("HTTPPort"), int(httpPort())},
        {QStringLiteral("DNSPort"), m_dns ? int(dnsPort()) : -1},
        {QStringLiteral("ServerPort"), m_config.serverPort},
        {QStringLiteral("SerfPortLAN"), m_config.serfLanPort},
        {QStringLiteral("SerfPortWAN"), m_config.serfWanPort},
        {QStringLiteral("KVMaxValueSize"), double(m_config.kvMaxValueSize)},
        {QStringLiteral("LogLevel"), m_config.logLevel},
    };
    QJsonObject raft{
        {QStringLiteral("commit_index"), QString::number(m_log->commitIndex())},
        {QStringLiteral("applied_index"), QString::number(m_log->appliedIndex())},
    };
    if (m_single) {
        const auto stats = m_single->storageStats();
        raft.insert(QStringLiteral("state"), QStringLiteral("Leader"));
        raft.insert(QStringLiteral("term"), QString::number(m_single->currentTerm()));
        raft.insert(QStringLiteral("last_snapshot_index"), QString::number(m_single->lastSnapshotIndex()));
        raft.insert(QStringLiteral("num_peers"), QStringLiteral("0"));
        // Group commit at work: entries per fsync'd batch, and the time the batches took.
        raft.insert(QStringLiteral("storage_batches"), QString::number(stats.batchesWritten));
        raft.insert(QStringLiteral("storage_entries"), QString::number(stats.entriesWritten));
        raft.insert(QStringLiteral("storage_last_batch_size"), QString::number(stats.lastBatchSize));
        raft.insert(QStringLiteral("storage_last_commit_us"), QString::number(stats.lastCommitMicros));
    } else {
        const QString state = m_raft->awaitingBootstrap() ? QStringLiteral("Follower")
                              : m_raft->isLeader()        ? QStringLiteral("Leader")
                              : m_raft->hasLeader()       ? QStringLiteral("Follower")
                                                          : QStringLiteral("Candidate");
        raft.insert(QStringLiteral("state"), state);
        raft.insert(QStringLiteral("term"), QString::number(m_raft->currentTerm()));
        raft.insert(QStringLiteral("last_snapshot_index"), QString::number(m_raft->lastSnapshotIndex()));
        raft.insert(QStringLiteral("num_peers"), QString::number(std::max<qsizetype>(0, m_raft->voterIds().size() - 1)));
        raft.insert(QStringLiteral("last_contact"), m_raft->isLeader() ? QStringLiteral("0")
                                                                       : QStringLiteral("%1ms").arg(m_raft->lastContactMs()));
    }
    QJsonObject agentStats{
        {QStringLiteral("check_monitors"), QStringLiteral("0")},
        {QStringLiteral("services"), QString::number(m_local->localServices().size())},
        {QStringLiteral("checks"), QString::number(m_local->localChecks().size())},
    };
    QJsonObject consulStats{
        {QStringLiteral("server"), m_config.server ? QStringLiteral("true") : QStringLiteral("false")},
        {QStringLiteral("leader"), m_log->isLeader() ? QStringLiteral("true") : QStringLiteral("false")},
        {QStringLiteral("leader_addr"), m_log->leaderAddress()},
        {QStringLiteral("bootstrap"), m_config.bootstrap ? QStringLiteral("true") : QStringLiteral("false")},
        {QStringLiteral("known_datacenters"), QStringLiteral("1")},
    };
    const model::Member self = membersList().first();
    return QJsonObject{
        {QStringLiteral("Config"), cfg},
        {QStringLiteral("DebugConfig"), debug},
        {QStringLiteral("Coord"), QJsonValue::Null},
        {QStringLiteral("Member"), json::memberToJson(self)},
        {QStringLiteral("Stats"), QJsonObject{{QStringLiteral("agent"), agentStats},
                                             {QStringLiteral("consul"), consulStats},
                                             {QStringLiteral("raft"), raft}}},
        {QStringLiteral("Meta"), QJsonObject{}},
    };
}

void Agent::prepareShutdown(std::function<void()> done)
{
    if (m_raft && m_raft->isLeader() && m_raft->voterIds().size() > 1) {
        qCInfo(lcAgent).noquote() << "transferring leadership before shutting down";
        m_raft->transferLeadership(std::move(done));
        return;
    }
    done();
}

void Agent::shutdown()
{
    if (m_http) {
        m_http->close();
    }
    if (m_dns)
        m_dns->close();
    if (m_discovery)
        m_discovery.reset();
    if (m_raft)
        m_raft->shutdown();
    if (m_single)
        m_single->shutdown();
    if (!m_config.pidFile.isEmpty() && m_lock)
        QFile::remove(m_config.pidFile);
    if (m_lock)
        m_lock->unlock();
}

}  // namespace conclave::agent
