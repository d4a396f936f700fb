#pragma once
// The DNS resolver: one query message in, one reply message out (or "forward this to the
// recursors"), answered from the state store with Consul's rules
// (../shared/reference/consul-dns.md; Consul agent/dns.go, agent/dns/router.go HandleRequest).
//
// Pure: no sockets, no clock, no global randomness. The shuffle source and the Unix time used for
// the SOA serial are injected. Owned by the agent next to the DNS server (net/dns_server), which
// only moves bytes. Event-loop thread only, like the StateStore it reads (it keeps a reference).
//
// Service lookups keep, per (service, tag, domain), the healthy instances with their records
// already built, tagged with the store's epoch and the service's query index
// (StateStore::serviceQueryIndex). Any change to an instance, its node or a check on its node
// raises that index, so the next query rebuilds from the store: the cache never answers from an
// older state than a fresh read would. The shuffle, the deduplication and the trimming still run
// on every query. Each cached record is also kept encoded (net::dns::EncodedRecord), and
// handlePacket() writes a service reply from those through a MessageWriter: the same bytes that
// encode(resolve()) gives, without building a Message.
//
// Not done here: prepared queries (`.query.`), mesh lookups (`.connect.`, `.ingress.`,
// `.virtual.`), other datacenters, ACLs, resolving hostname addresses via the recursors.

#include "net/dns_message.h"

#include <QHash>
#include <QMap>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>

namespace conclave::state {
class StateStore;
}

namespace conclave::dns {

/// `domain`, `alt_domain`, `recursors` and `dns_config` of the agent config; defaults as Consul's
/// (reference §13).
struct ResolverConfig {
    QString domain = QStringLiteral("consul.");
    QString altDomain;  // "" = none
    QString datacenter = QStringLiteral("dc1");
    QString nodeName;
    quint32 nodeTtl = 0;                 // seconds
    QMap<QString, quint32> serviceTtl;   // service name, "prefix*" or "*" → seconds
    int udpAnswerLimit = 3;
    int aRecordLimit = 0;                // 0 = no cap
    bool onlyPassing = false;
    bool enableTruncate = false;
    bool enableAdditionalNodeMetaTxt = true;
    QStringList recursors;               // only whether it is empty matters here
    quint32 soaRefresh = 3600;
    quint32 soaRetry = 600;
    quint32 soaExpire = 86400;
    quint32 soaMinTtl = 0;
};

/// What the server should do with a query.
struct ResolveOutcome {
    enum class Action { Reply, Forward, Drop };
    Action action = Action::Reply;
    net::dns::Message response;  // for Reply
};

/// Same, at the byte level (the server's handler).
struct PacketOutcome {
    ResolveOutcome::Action action = ResolveOutcome::Action::Drop;
    QByteArray reply;  // for Reply
};

class Resolver {
public:
    /// Uniform integer in [0, bound); bound >= 1.
    using Random = std::function<quint32(quint32 bound)>;
    /// Current Unix time in seconds (SOA serial).
    using UnixClock = std::function<quint32()>;

    Resolver(ResolverConfig config, const state::StateStore &store, Random random, UnixClock clock);

    const ResolverConfig &config() const { return m_config; }

    /// Answers one decoded query. `transport` decides the size rules (reference §6).
    ResolveOutcome resolve(const net::dns::Message &query, net::dns::Transport transport) const;

    /// decode → resolve → encode, byte for byte (service replies are written straight from the
    /// cache). Malformed queries get FORMERR or silence (dns_message.h); packets that are
    /// responses are dropped.
    PacketOutcome handlePacket(const QByteArray &packet, net::dns::Transport transport) const;

    /// Consul's service_ttl lookup: exact name, else the longest "prefix*", else "*", else 0.
    quint32 serviceTtl(const QString &service) const;

    /// RFC 1464 TXT text for one node-meta pair, as Consul encodes it.
    static QByteArray metaTxt(const QString &key, const QString &value);

    /// Service lookups answered from the cached instances (hits) or after reading the store (misses).
    struct CacheStats {
        quint64 hits = 0;
        quint64 misses = 0;
        int entries = 0;
    };
    CacheStats cacheStats() const;

    /// At most this many (service, tag, domain) entries; past it the cache starts afresh.
    static constexpr int kMaxCachedServices = 4096;

private:
    struct Context;
    struct ServiceView;
    struct ServiceAnswer;
    struct SizeRules;
    struct ViewKey {
        QString service, tag, domain;
        bool operator==(const ViewKey &) const = default;
    };
    friend size_t qHash(const ViewKey &k, size_t seed) { return qHashMulti(seed, k.service, k.tag, k.domain); }

    std::shared_ptr<const ServiceView> serviceView(const QString &service, const QString &tag,
                                                   const QString &domain) const;

    ResolveOutcome::Action answer(Context &ctx) const;
    void answerInZone(Context &ctx) const;
    void dispatch(Context &ctx) const;
    void nodeLookup(Context &ctx, const QString &node) const;
    void serviceLookup(Context &ctx, const QString &service, const QString &tag) const;
    void addrLookup(Context &ctx, const QString &hex) const;
    bool ptrLookup(Context &ctx) const;
    void nameservers(const QString &domain, QList<net::dns::ResourceRecord> *ns,
                     QList<net::dns::ResourceRecord> *glue) const;
    net::dns::ResourceRecord soaRecord(const QString &domain) const;
    void setNxDomain(Context &ctx) const;
    void addServiceRecords(Context &ctx) const;
    QByteArray writeServiceReply(const Context &ctx, net::dns::Transport transport) const;
    SizeRules sizeRules(const net::dns::Message &query, net::dns::Transport transport) const;
    static int largestFitting(int count, const std::function<bool(int)> &fits);
    void trim(Context &ctx, net::dns::Transport transport) const;

    ResolverConfig m_config;
    const state::StateStore &m_store;
    Random m_random;
    UnixClock m_clock;
    mutable QHash<ViewKey, std::shared_ptr<const ServiceView>> m_views;
    mutable CacheStats m_stats;
};

}  // namespace conclave::dns
