#include "dns/resolver.h"

#include "core/state/state_store.h"

#include <QSet>
#include <QVarLengthArray>

#include <algorithm>
#include <cctype>
#include <limits>

namespace conclave::dns {

using namespace net::dns;

namespace {

constexpr int kDefaultUdpSize = 512;
constexpr int kMaxUdpSize = 65467;      // Consul's maxUDPDatagramSize cap (reference §6)
constexpr int kMaxUdpAnswerLimit = 8;   // hard cap on udp_answer_limit
constexpr int kMaxTcpSize = 65523;
constexpr int kMaxTcpAnswers = 4096;
constexpr int kMaxTcpSrvAnswers = 1024;
constexpr int kMaxNameservers = 3;

QString normalizeDomain(QString d)
{
    d = lowerName(d.trimmed());
    if (d.isEmpty())
        return d;
    if (!d.endsWith(QLatin1Char('.')))
        d.append(QLatin1Char('.'));
    while (d.startsWith(QLatin1Char('.')) && d.size() > 1)
        d.remove(0, 1);
    return d;
}

QString hexOf(const QByteArray &ip)
{
    return QString::fromLatin1(ip.toHex());
}

bool hasCritical(const model::CheckServiceNode &csn, bool warningToo)
{
    for (const model::Check &c : csn.checks) {
        if (c.status == model::status::Critical)
            return true;
        if (warningToo && c.status == model::status::Warning)
            return true;
    }
    return false;
}

ResourceRecord addressRecord(const QString &name, const QByteArray &ip, quint32 ttl)
{
    ResourceRecord rr;
    rr.name = name;
    rr.type = ip.size() == 4 ? type::A : type::AAAA;
    rr.ttl = ttl;
    rr.address = ip;
    return rr;
}

ResourceRecord cnameRecord(const QString &name, const QString &target, quint32 ttl)
{
    ResourceRecord rr;
    rr.name = name;
    rr.type = type::CNAME;
    rr.ttl = ttl;
    rr.target = target.endsWith(QLatin1Char('.')) ? target : target + QLatin1Char('.');
    return rr;
}

// Does an address of this family answer this question type (Consul makeRecordFromIP; TXT is
// treated like ANY for services, reference §4.2)?
bool familyMatches(const QByteArray &ip, quint16 qtype)
{
    if (qtype == type::ANY || qtype == type::TXT)
        return true;
    return (ip.size() == 4 && qtype == type::A) || (ip.size() == 16 && qtype == type::AAAA);
}

// RFC 1035 §3.5 / RFC 3596 §2.5 reverse names → address octets; empty when not one.
QByteArray reverseNameToIp(const QList<QByteArray> &labels)
{
    const int n = int(labels.size());
    if (n == 6 && labels[4] == "in-addr" && labels[5] == "arpa") {
        QByteArray ip;
        for (int i = 3; i >= 0; --i) {
            bool ok = false;
            const int v = labels[i].toInt(&ok);
            if (!ok || v < 0 || v > 255)
                return {};
            ip.append(char(v));
        }
        return ip;
    }
    if (n == 34 && labels[32] == "ip6" && labels[33] == "arpa") {
        QByteArray hex;
        for (int i = 31; i >= 0; --i) {
            if (labels[i].size() != 1 || !std::isxdigit(quint8(labels[i][0])))
                return {};
            hex.append(labels[i]);
        }
        return QByteArray::fromHex(hex);
    }
    return {};
}

}  // namespace

// A service lookup's answer before it becomes records (resolve) or bytes (handlePacket): the
// answered instances of one cached view, shuffled, deduplicated and capped (reference §4).
struct Resolver::ServiceAnswer {
    std::shared_ptr<const ServiceView> view;
    bool srv = false;                     // SRV records, else address records
    QVarLengthArray<int, 64> instances;   // indexes into view->instances, in answer order
    QVarLengthArray<bool, 64> withExtra;  // SRV: the answer brings its target's additional records
};

struct Resolver::Context {
    explicit Context(const Message &q) : query(q) {}
    const Message &query;
    Message reply;
    QString qname;       // as asked
    QString respDomain;  // the configured domain the question matched
    QList<QByteArray> labels;  // lower-cased labels left of the domain
    std::optional<ServiceAnswer> service;  // a service lookup with at least one answer
};

// Reference §6: how many answers a reply may carry before it is measured, and how it is measured.
struct Resolver::SizeRules {
    int maxAnswers = kMaxTcpAnswers;
    int maxSize = kMaxTcpSize;
    bool compressed = true;  // measured as sent; legacy UDP clients are measured uncompressed
};

Resolver::Resolver(ResolverConfig config, const state::StateStore &store, Random random, UnixClock clock)
    : m_config(std::move(config)), m_store(store), m_random(std::move(random)), m_clock(std::move(clock))
{
    m_config.domain = normalizeDomain(m_config.domain);
    if (m_config.domain.isEmpty())
        m_config.domain = QStringLiteral("consul.");
    m_config.altDomain = normalizeDomain(m_config.altDomain);
    m_config.udpAnswerLimit = std::clamp(m_config.udpAnswerLimit, 1, kMaxUdpAnswerLimit);
}

quint32 Resolver::serviceTtl(const QString &service) const
{
    const auto exact = m_config.serviceTtl.constFind(service);
    if (exact != m_config.serviceTtl.cend())
        return exact.value();
    int best = -1;
    quint32 ttl = 0;
    for (auto it = m_config.serviceTtl.cbegin(); it != m_config.serviceTtl.cend(); ++it) {
        const QString &k = it.key();
        if (!k.endsWith(QLatin1Char('*')))
            continue;
        const QString prefix = k.left(k.size() - 1);
        if (service.startsWith(prefix) && int(prefix.size()) > best) {
            best = int(prefix.size());
            ttl = it.value();
        }
    }
    return best >= 0 ? ttl : 0;
}

QByteArray Resolver::metaTxt(const QString &key, const QString &value)
{
    if (key.toLower().startsWith(QLatin1String("rfc1035-")))
        return value.toUtf8();
    // RFC 1464 §2: backquote quotes "`", "=" and leading/trailing spaces in the key; in the value
    // only "`" is doubled (Consul encodeKVasRFC1464).
    QString k = key;
    k.replace(QLatin1String("`"), QLatin1String("``"));
    k.replace(QLatin1String("="), QLatin1String("`="));
    int lead = 0;
    while (lead < k.size() && k[lead] == QLatin1Char(' '))
        ++lead;
    int trail = 0;
    while (trail < k.size() - lead && k[k.size() - 1 - trail] == QLatin1Char(' '))
        ++trail;
    k = QStringLiteral("` ").repeated(lead) + k.mid(lead, k.size() - lead - trail) + QStringLiteral("` ").repeated(trail);
    QString v = value;
    v.replace(QLatin1String("`"), QLatin1String("``"));
    return (k + QLatin1Char('=') + v).toUtf8();
}

ResourceRecord Resolver::soaRecord(const QString &domain) const
{
    ResourceRecord rr;
    rr.name = domain;
    rr.type = type::SOA;
    rr.ttl = m_config.soaMinTtl;
    rr.soa.mname = QStringLiteral("ns.") + domain;
    rr.soa.rname = QStringLiteral("hostmaster.") + domain;
    rr.soa.serial = m_clock ? m_clock() : 0;
    rr.soa.refresh = m_config.soaRefresh;
    rr.soa.retry = m_config.soaRetry;
    rr.soa.expire = m_config.soaExpire;
    rr.soa.minimum = m_config.soaMinTtl;
    return rr;
}

void Resolver::setNxDomain(Context &ctx) const
{
    ctx.reply.header.rcode = quint8(Rcode::NxDomain);
    ctx.reply.answers.clear();
    ctx.reply.additional.clear();
    ctx.reply.authority = {soaRecord(ctx.respDomain)};
}

PacketOutcome Resolver::handlePacket(const QByteArray &packet, Transport transport) const
{
    PacketOutcome out;
    const DecodeResult d = decode(packet);
    if (!d.message) {
        if (d.answerFormErr) {
            out.action = ResolveOutcome::Action::Reply;
            out.reply = formErrReply(d.header);
        }
        return out;
    }
    if (d.message->header.qr)
        return out;  // a response, not a question: never answer it
    Context ctx(*d.message);
    out.action = answer(ctx);
    if (out.action != ResolveOutcome::Action::Reply)
        return out;
    if (ctx.service) {
        out.reply = writeServiceReply(ctx, transport);
        return out;
    }
    trim(ctx, transport);
    out.reply = encode(ctx.reply);
    return out;
}

ResolveOutcome Resolver::resolve(const Message &query, Transport transport) const
{
    ResolveOutcome out;
    Context ctx(query);
    out.action = answer(ctx);
    if (out.action != ResolveOutcome::Action::Reply)
        return out;
    addServiceRecords(ctx);
    trim(ctx, transport);
    out.response = std::move(ctx.reply);
    return out;
}

ResolveOutcome::Action Resolver::answer(Context &ctx) const
{
    const Message &query = ctx.query;
    const bool recursing = !m_config.recursors.isEmpty();
    if (query.header.opcode != 0 || query.questions.size() != 1) {
        ctx.reply = errorReply(query, query.header.opcode != 0 ? Rcode::NotImp : Rcode::FormErr, recursing);
        return ResolveOutcome::Action::Reply;
    }
    ctx.reply = errorReply(query, Rcode::NoError, recursing);
    ctx.reply.header.aa = true;
    ctx.qname = query.questions.first().name;

    const QString lname = lowerName(ctx.qname);
    for (const QString &domain : {m_config.domain, m_config.altDomain}) {
        if (domain.isEmpty())
            continue;
        const qsizetype left = lname.size() - domain.size();  // octets before the domain
        if (lname.endsWith(domain) && (left == 0 || lname[left - 1] == QLatin1Char('.'))) {
            ctx.respDomain = domain;
            ctx.labels = nameLabels(QStringView(lname).left(left));
            break;
        }
    }
    if (ctx.respDomain.isEmpty()) {
        ctx.respDomain = m_config.domain;
        if (lname.endsWith(QLatin1String(".arpa."))) {
            if (ptrLookup(ctx))
                return ResolveOutcome::Action::Reply;
            if (!recursing) {
                setNxDomain(ctx);
                return ResolveOutcome::Action::Reply;
            }
        }
        if (recursing)
            return ResolveOutcome::Action::Forward;
        // No handler for a foreign zone (reference §12).
        ctx.reply = errorReply(query, Rcode::Refused, false);
        return ResolveOutcome::Action::Reply;
    }
    answerInZone(ctx);
    return ResolveOutcome::Action::Reply;
}

void Resolver::answerInZone(Context &ctx) const
{
    const quint16 qtype = ctx.query.questions.first().qtype;
    switch (qtype) {
    case type::SOA: {
        ctx.reply.answers = {soaRecord(ctx.respDomain)};
        nameservers(ctx.respDomain, &ctx.reply.authority, &ctx.reply.additional);
        return;
    }
    case type::NS:
        nameservers(ctx.respDomain, &ctx.reply.answers, &ctx.reply.additional);
        return;
    case type::AXFR:
        ctx.reply.header.rcode = quint8(Rcode::NotImp);
        return;
    default:
        dispatch(ctx);
    }
}

void Resolver::nameservers(const QString &domain, QList<ResourceRecord> *ns, QList<ResourceRecord> *glue) const
{
    QList<model::CheckServiceNode> servers = m_store.checkServiceNodes(QStringLiteral("consul"), {}, false).value;
    servers.erase(std::remove_if(servers.begin(), servers.end(),
                                 [](const model::CheckServiceNode &c) { return hasCritical(c, false); }),
                  servers.end());
    for (int i = int(servers.size()) - 1; i > 0; --i)
        std::swap(servers[i], servers[int(m_random(quint32(i + 1)))]);
    int count = 0;
    for (const model::CheckServiceNode &s : servers) {
        const QString nodeName = s.node.node;
        // Names that cannot be a DNS label are skipped, as Consul's InvalidDNSRe does.
        bool valid = !nodeName.isEmpty();
        for (const QChar c : nodeName)
            valid = valid && (c.isLetterOrNumber() || c == QLatin1Char('-')) && c.unicode() < 128;
        if (!valid)
            continue;
        const QString fqdn = lowerName(nodeName + QStringLiteral(".node.") + s.node.datacenter + QLatin1Char('.') + domain);
        ResourceRecord rr;
        rr.name = domain;
        rr.type = type::NS;
        rr.ttl = m_config.nodeTtl;
        rr.target = fqdn;
        ns->append(rr);
        const QByteArray ip = parseIpAddress(s.node.address);
        if (!ip.isEmpty())
            glue->append(addressRecord(fqdn, ip, m_config.nodeTtl));
        if (++count >= kMaxNameservers)
            break;
    }
}

void Resolver::dispatch(Context &ctx) const
{
    const quint16 qtype = ctx.query.questions.first().qtype;
    const QList<QByteArray> &labels = ctx.labels;
    // Scan from the right for the first keyword (Consul dns.go dispatch). For SRV an "_" label is
    // an implicit "service" keyword.
    QString kind;
    QList<QByteArray> parts, suffixes;
    auto isKeyword = [](const QByteArray &label) {
        for (const char *keyword : {"service", "connect", "virtual", "ingress", "node", "query", "addr"}) {
            if (label == keyword)
                return true;
        }
        return false;
    };
    for (int i = int(labels.size()) - 1; i >= 0; --i) {
        if (isKeyword(labels[i])) {
            kind = QString::fromLatin1(labels[i]);
            parts = labels.mid(0, i);
            suffixes = labels.mid(i + 1);
            break;
        }
        if (qtype == type::SRV && labels[i].startsWith('_')) {
            kind = QStringLiteral("service");
            parts = labels.mid(0, i + 1);
            suffixes = labels.mid(i + 1);
            break;
        }
    }
    if (kind.isEmpty()) {
        setNxDomain(ctx);
        return;
    }
    // Locality: none, one bare label (the datacenter), or key/value pairs such as "<dc>.dc".
    QString dc = m_config.datacenter;
    if (suffixes.size() == 1) {
        dc = QString::fromLatin1(suffixes[0]);
    } else if (suffixes.size() % 2 == 0) {
        for (int i = 0; i < suffixes.size(); i += 2) {
            const QByteArray &key = suffixes[i + 1];
            const QString value = QString::fromLatin1(suffixes[i]);
            if (key == "dc") {
                dc = value;
            } else if (key == "ns" || key == "ap") {
                if (value != QLatin1String("default")) {
                    setNxDomain(ctx);
                    return;
                }
            } else {
                setNxDomain(ctx);  // peers and sameness groups: none here
                return;
            }
        }
    } else {
        setNxDomain(ctx);
        return;
    }
    if (kind == QLatin1String("addr")) {
        if (parts.size() != 1) {
            setNxDomain(ctx);
            return;
        }
        addrLookup(ctx, QString::fromLatin1(parts[0]));
        return;
    }
    // Only this datacenter exists (Consul: "No path to datacenter" ⇒ NXDOMAIN).
    if (dc.compare(m_config.datacenter, Qt::CaseInsensitive) != 0 || parts.isEmpty()) {
        setNxDomain(ctx);
        return;
    }
    if (kind == QLatin1String("node")) {
        QStringList joined;
        // Node names keep their case in the catalog; match the original spelling of the question.
        const QList<QByteArray> original = nameLabels(ctx.qname);
        for (int i = 0; i < parts.size(); ++i)
            joined.append(QString::fromLatin1(original.value(i, parts[i])));
        nodeLookup(ctx, joined.join(QLatin1Char('.')));
        return;
    }
    if (kind == QLatin1String("service")) {
        const int n = int(parts.size());
        if (n == 2 && parts[0].startsWith('_') && parts[1].startsWith('_')) {
            // RFC 2782: _<service>._<tag>; "_tcp" means no tag filter.
            QString tag = QString::fromLatin1(parts[1].mid(1));
            if (tag == QLatin1String("tcp"))
                tag.clear();
            serviceLookup(ctx, QString::fromLatin1(parts[0].mid(1)), tag);
            return;
        }
        QStringList tagParts;
        for (int i = 0; i < n - 1; ++i)
            tagParts.append(QString::fromLatin1(parts[i]));
        serviceLookup(ctx, QString::fromLatin1(parts[n - 1]), tagParts.join(QLatin1Char('.')));
        return;
    }
    setNxDomain(ctx);  // query / connect / ingress / virtual: not served here
}

void Resolver::nodeLookup(Context &ctx, const QString &name) const
{
    std::optional<model::Node> node = m_store.node(name).value;
    if (!node) {
        // Catalog node names are matched case-insensitively (Consul's memdb index).
        for (const model::Node &n : m_store.nodes().value) {
            if (n.node.compare(name, Qt::CaseInsensitive) == 0) {
                node = n;
                break;
            }
        }
    }
    if (!node) {
        setNxDomain(ctx);
        return;
    }
    const quint16 qtype = ctx.query.questions.first().qtype;
    const quint32 ttl = m_config.nodeTtl;
    const bool metaInAnswer = qtype == type::ANY || qtype == type::TXT;
    if (qtype == type::A || qtype == type::AAAA || qtype == type::ANY) {
        const QByteArray ip = parseIpAddress(node->address);
        if (ip.isEmpty())
            ctx.reply.answers.append(cnameRecord(ctx.qname, node->address, ttl));
        else if (familyMatches(ip, qtype))
            ctx.reply.answers.append(addressRecord(ctx.qname, ip, ttl));
    }
    if (metaInAnswer || m_config.enableAdditionalNodeMetaTxt) {
        QList<ResourceRecord> &target = metaInAnswer ? ctx.reply.answers : ctx.reply.additional;
        if (metaInAnswer || !ctx.reply.answers.isEmpty()) {
            for (auto it = node->meta.cbegin(); it != node->meta.cend(); ++it) {
                ResourceRecord rr;
                rr.name = ctx.qname;
                rr.type = type::TXT;
                rr.ttl = ttl;
                rr.txt = {metaTxt(it.key(), it.value())};
                target.append(rr);
            }
        }
    }
    // A node with no record of the asked type: NOERROR, empty, and no SOA (reference §3).
}

// The healthy instances of one (service, tag, domain) with every record a lookup may need,
// valid for one state of the store: `epoch` and `index` (StateStore::serviceQueryIndex).
struct Resolver::ServiceView {
    struct Instance {
        ResourceRecord srv;           // owner name set per query
        int srvGroup = 0;             // same node, address and port → answered once (Consul dedup)
        QList<ResourceRecord> extra;  // the SRV target's A/AAAA and node-meta TXT
        int targetGroup = 0;          // same target (lower-cased) → its extra records once
        QByteArray ip;                // the answered address as octets; empty for a hostname
        ResourceRecord address;       // A/AAAA, or CNAME for a hostname; owner name set per query
        int addressGroup = 0;         // same address or CNAME target → answered once
        // The same records encoded once, for handlePacket (writeServiceReply). The extra records
        // are owned by the SRV target: srvWire.name.
        EncodedRecord srvWire;
        QList<EncodedRecord> extraWire;
        EncodedRecord addressWire;
    };
    quint64 epoch = 0;
    quint64 index = 0;
    QList<Instance> instances;  // in the store's order; shuffled per query
    int srvGroups = 0, targetGroups = 0, addressGroups = 0;
};

Resolver::CacheStats Resolver::cacheStats() const
{
    CacheStats s = m_stats;
    s.entries = int(m_views.size());
    return s;
}

std::shared_ptr<const Resolver::ServiceView> Resolver::serviceView(const QString &service, const QString &tag,
                                                                   const QString &domain) const
{
    const ViewKey key{service, tag, domain};
    const quint64 epoch = m_store.epoch();
    const quint64 index = m_store.serviceQueryIndex(service);
    const auto cached = m_views.constFind(key);
    if (cached != m_views.cend() && cached.value()->epoch == epoch && cached.value()->index == index) {
        ++m_stats.hits;
        return cached.value();
    }
    ++m_stats.misses;

    // The same read and the same rules a query without the cache applies (reference §4).
    auto view = std::make_shared<ServiceView>();
    view->epoch = epoch;
    const auto read = m_store.checkServiceNodes(service, tag.isEmpty() ? QStringList{} : QStringList{tag}, false);
    view->index = read.index;
    const quint32 ttl = serviceTtl(service);
    const QString dcDomain = m_config.datacenter + QLatin1Char('.') + domain;
    QHash<QString, int> srvGroups, targetGroups;
    QHash<QByteArray, int> addressGroups;
    auto group = [](auto &groups, const auto &groupKey) {
        const auto it = groups.constFind(groupKey);
        if (it != groups.cend())
            return it.value();
        const int g = int(groups.size());
        groups.insert(groupKey, g);
        return g;
    };
    for (const model::CheckServiceNode &n : read.value) {
        if (hasCritical(n, m_config.onlyPassing))
            continue;
        ServiceView::Instance inst;
        const QString address = n.service.address.isEmpty() ? n.node.address : n.service.address;

        // SRV (reference §4.3).
        inst.srvGroup = group(srvGroups, n.node.node + QLatin1Char(':') + address + QLatin1Char(':') +
                                             QString::number(n.service.port));
        bool warning = false;
        for (const model::Check &c : n.checks)
            warning = warning || c.status == model::status::Warning;
        ResourceRecord &srv = inst.srv;
        srv.type = type::SRV;
        srv.ttl = ttl;
        srv.srv.priority = 1;
        srv.srv.weight = quint16(std::clamp(warning ? n.service.weights.warning : n.service.weights.passing, 0, 65535));
        srv.srv.port = quint16(n.service.port);
        const QByteArray serviceIp = parseIpAddress(n.service.address);
        const QByteArray nodeIp = parseIpAddress(n.node.address);
        if (!n.service.address.isEmpty() && !serviceIp.isEmpty()) {
            srv.srv.target = hexOf(serviceIp) + QStringLiteral(".addr.") + dcDomain;
            inst.extra.append(addressRecord(srv.srv.target, serviceIp, ttl));
        } else if (n.service.address.isEmpty() && !nodeIp.isEmpty()) {
            srv.srv.target = n.node.node + QStringLiteral(".node.") + dcDomain;
            inst.extra.append(addressRecord(srv.srv.target, nodeIp, ttl));
            if (m_config.enableAdditionalNodeMetaTxt) {
                for (auto it = n.node.meta.cbegin(); it != n.node.meta.cend(); ++it) {
                    ResourceRecord txt;
                    txt.name = srv.srv.target;
                    txt.type = type::TXT;
                    txt.ttl = ttl;
                    txt.txt = {metaTxt(it.key(), it.value())};
                    inst.extra.append(txt);
                }
            }
        } else {
            srv.srv.target = address.endsWith(QLatin1Char('.')) ? address : address + QLatin1Char('.');
        }
        inst.targetGroup = group(targetGroups, lowerName(srv.srv.target));

        // A / AAAA / ANY / TXT (reference §4.2).
        inst.ip = n.service.address.isEmpty() ? nodeIp : serviceIp;
        inst.address = inst.ip.isEmpty() ? cnameRecord(QString(), address, ttl) : addressRecord(QString(), inst.ip, ttl);
        inst.addressGroup = group(addressGroups, inst.ip.isEmpty() ? inst.address.target.toLatin1() : inst.ip);
        inst.srvWire = EncodedRecord::from(inst.srv);
        for (const ResourceRecord &rr : inst.extra)
            inst.extraWire.append(EncodedRecord::from(rr));
        inst.addressWire = EncodedRecord::from(inst.address);
        view->instances.append(std::move(inst));
    }
    view->srvGroups = int(srvGroups.size());
    view->targetGroups = int(targetGroups.size());
    view->addressGroups = int(addressGroups.size());

    if (cached == m_views.cend() && m_views.size() >= kMaxCachedServices)
        m_views.clear();
    m_views.insert(key, view);
    return view;
}

void Resolver::serviceLookup(Context &ctx, const QString &service, const QString &tag) const
{
    std::shared_ptr<const ServiceView> view = serviceView(service, tag, ctx.respDomain);
    const QList<ServiceView::Instance> &instances = view->instances;
    const int n = int(instances.size());
    if (n == 0) {
        setNxDomain(ctx);  // even when the service exists (reference §4.1)
        return;
    }
    QVarLengthArray<int, 64> order(n);
    for (int i = 0; i < n; ++i)
        order[i] = i;
    for (int i = n - 1; i > 0; --i)  // Fisher–Yates, on every query
        std::swap(order[i], order[int(m_random(quint32(i + 1)))]);

    ServiceAnswer answer;
    const quint16 qtype = ctx.query.questions.first().qtype;
    if (qtype == type::SRV) {
        answer.srv = true;
        QVarLengthArray<bool, 64> seen(view->srvGroups, false);
        QVarLengthArray<bool, 64> extraSeen(view->targetGroups, false);
        for (const int i : order) {
            const ServiceView::Instance &inst = instances[i];
            if (seen[inst.srvGroup])
                continue;
            seen[inst.srvGroup] = true;
            answer.instances.append(i);
            answer.withExtra.append(!extraSeen[inst.targetGroup]);
            extraSeen[inst.targetGroup] = true;
        }
    } else if (qtype == type::A || qtype == type::AAAA || qtype == type::ANY || qtype == type::TXT) {
        QVarLengthArray<bool, 64> seen(view->addressGroups, false);
        for (const int i : order) {
            const ServiceView::Instance &inst = instances[i];
            if (!inst.ip.isEmpty() && !familyMatches(inst.ip, qtype))
                continue;
            if (seen[inst.addressGroup])
                continue;
            seen[inst.addressGroup] = true;
            answer.instances.append(i);
            answer.withExtra.append(false);
            if (m_config.aRecordLimit > 0 && answer.instances.size() >= m_config.aRecordLimit)
                break;
        }
    }
    if (answer.instances.isEmpty()) {
        ctx.reply.authority = {soaRecord(ctx.respDomain)};  // NODATA (reference §11)
        return;
    }
    answer.view = std::move(view);
    ctx.service = std::move(answer);
}

void Resolver::addServiceRecords(Context &ctx) const
{
    if (!ctx.service)
        return;
    const ServiceAnswer &a = *ctx.service;
    ctx.reply.answers.reserve(a.instances.size());
    for (qsizetype j = 0; j < a.instances.size(); ++j) {
        const ServiceView::Instance &inst = a.view->instances[a.instances[j]];
        ctx.reply.answers.append(a.srv ? inst.srv : inst.address);
        ctx.reply.answers.last().name = ctx.qname;
        if (a.withExtra[j])
            ctx.reply.additional.append(inst.extra);
    }
}

// The bytes encode() gives for the message resolve() builds, trimmed by the same rules (trim()),
// written from the records the view keeps encoded: tst_resolver_cache checks both agree byte for
// byte. Sizes are counted uncompressed without writing; a compressed write measures only a reply
// whose uncompressed size is over the limit (compression never makes a message longer).
QByteArray Resolver::writeServiceReply(const Context &ctx, Transport transport) const
{
    const ServiceAnswer &a = *ctx.service;
    const Question &q = ctx.query.questions.first();
    const EncodedName qname(q.name);
    const int total = int(a.instances.size());
    const std::optional<Edns> &edns = ctx.reply.edns;
    auto instance = [&](int j) -> const ServiceView::Instance & { return a.view->instances[a.instances[j]]; };
    auto answerRecord = [&](int j) -> const EncodedRecord & {
        return a.srv ? instance(j).srvWire : instance(j).addressWire;
    };
    auto uncompressedSize = [&](int count) {
        int size = 12 + qname.wireSize() + 4 + (edns ? 11 + int(edns->options.size()) : 0);
        for (int j = 0; j < count; ++j) {
            size += qname.wireSize() + answerRecord(j).uncompressedSize();
            if (a.withExtra[j]) {
                for (const EncodedRecord &e : instance(j).extraWire)
                    size += instance(j).srvWire.name.wireSize() + e.uncompressedSize();
            }
        }
        return size;
    };
    auto write = [&](int count, MessageWriter &w) {
        int additional = edns ? 1 : 0;
        for (int j = 0; j < count; ++j)
            additional += a.withExtra[j] ? int(instance(j).extraWire.size()) : 0;
        Header header = ctx.reply.header;
        header.tc = transport == Transport::Udp && count < total && m_config.enableTruncate;
        w.header(header, 1, count, 0, additional);
        w.question(qname, q.qtype, q.qclass);
        for (int j = 0; j < count; ++j)
            w.record(qname, answerRecord(j));
        for (int j = 0; j < count; ++j) {
            if (!a.withExtra[j])
                continue;
            // Owned by the SRV target, which the answers above already carry.
            for (const EncodedRecord &e : instance(j).extraWire)
                w.record(instance(j).srvWire.name, e);
        }
        if (edns)
            w.opt(*edns);
    };
    const SizeRules rules = sizeRules(ctx.query, transport);
    auto fits = [&](int count) {
        if (uncompressedSize(count) <= rules.maxSize)
            return true;
        if (!rules.compressed)
            return false;
        MessageWriter w;
        write(count, w);
        return w.size() <= rules.maxSize;
    };
    int count = std::min(total, rules.maxAnswers);
    if (count > 1 && !fits(count))
        count = largestFitting(count, fits);
    MessageWriter w;
    write(count, w);
    return w.bytes();
}

void Resolver::addrLookup(Context &ctx, const QString &hex) const
{
    const int bytes = int(hex.size()) / 2;
    QByteArray ip;
    if (bytes == 4 || bytes == 16) {
        bool valid = hex.size() % 2 == 0;
        for (const QChar c : hex)
            valid = valid && c.unicode() < 128 && std::isxdigit(c.unicode());
        if (valid)
            ip = QByteArray::fromHex(hex.toLatin1());
    }
    if (ip.size() != 4 && ip.size() != 16) {
        setNxDomain(ctx);
        return;
    }
    const quint16 qtype = ctx.query.questions.first().qtype;
    ResourceRecord rr = addressRecord(ctx.qname, ip, m_config.nodeTtl);
    // Consul quirk: a question of another type gets the record in the additional section.
    if (qtype == rr.type || qtype == type::ANY)
        ctx.reply.answers.append(rr);
    else
        ctx.reply.additional.append(rr);
}

bool Resolver::ptrLookup(Context &ctx) const
{
    const QByteArray ip = reverseNameToIp(nameLabels(lowerName(ctx.qname)));
    if (ip.isEmpty())
        return false;
    const QString dcDomain = m_config.datacenter + QLatin1Char('.') + m_config.domain;
    auto answer = [&](const QString &target) {
        ResourceRecord rr;
        rr.name = ctx.qname;
        rr.type = type::PTR;
        rr.ttl = 0;
        rr.target = target;
        ctx.reply.answers.append(rr);
        ctx.reply.header.aa = true;
        return true;
    };
    for (const model::Node &n : m_store.nodes().value) {
        if (parseIpAddress(n.address) == ip)
            return answer(n.node + QStringLiteral(".node.") + dcDomain);
    }
    const auto services = m_store.services().value;
    for (auto it = services.cbegin(); it != services.cend(); ++it) {
        for (const model::ServiceNode &sn : m_store.serviceNodes(it.key(), {}).value) {
            if (!sn.service.address.isEmpty() && parseIpAddress(sn.service.address) == ip)
                return answer(sn.service.service + QStringLiteral(".service.") + dcDomain);
        }
    }
    return false;
}

Resolver::SizeRules Resolver::sizeRules(const Message &query, Transport transport) const
{
    SizeRules rules;
    if (transport == Transport::Udp) {
        rules.maxSize = kDefaultUdpSize;
        if (query.edns && query.edns->udpSize > kDefaultUdpSize)
            rules.maxSize = std::min<int>(query.edns->udpSize, kMaxUdpSize);
        if (rules.maxSize == kDefaultUdpSize) {
            // Legacy clients: at most udp_answer_limit answers, and 512 octets even uncompressed.
            rules.compressed = false;
            rules.maxAnswers = m_config.udpAnswerLimit;
        } else {
            rules.maxAnswers = std::numeric_limits<int>::max();
        }
        rules.maxSize -= 8;  // the UDP header
    } else if (query.questions.first().qtype == type::SRV) {
        rules.maxAnswers = kMaxTcpSrvAnswers;
    }
    return rules;
}

int Resolver::largestFitting(int count, const std::function<bool(int)> &fits)
{
    // Largest answer count below `count` that fits; always keep at least one (reference §6).
    int lo = 1, hi = count - 1;
    while (lo < hi) {
        const int mid = (lo + hi + 1) / 2;
        if (fits(mid))
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

void Resolver::trim(Context &ctx, Transport transport) const
{
    Message &m = ctx.reply;
    const int total = int(m.answers.size());
    if (total == 0)
        return;
    // The additional section only describes SRV targets that are still answered (Consul syncExtra).
    const QList<ResourceRecord> allExtra = m.additional;
    auto syncExtra = [&]() {
        bool anySrv = false;
        QSet<QString> targets;
        for (const ResourceRecord &rr : m.answers) {
            if (rr.type == type::SRV) {
                anySrv = true;
                targets.insert(lowerName(rr.srv.target));
            }
        }
        if (!anySrv)
            return;
        m.additional.clear();
        for (const ResourceRecord &rr : allExtra) {
            if (targets.contains(lowerName(rr.name))) {
                m.additional.append(rr);
                if (rr.type == type::CNAME)
                    targets.insert(lowerName(rr.target));
            }
        }
    };
    const QList<ResourceRecord> answers = m.answers;
    auto cutTo = [&](int n) {
        m.answers = answers.mid(0, n);
        syncExtra();
    };

    const SizeRules rules = sizeRules(ctx.query, transport);
    if (total > rules.maxAnswers)
        cutTo(rules.maxAnswers);
    auto size = [&]() { return int(encode(m, rules.compressed).size()); };
    if (m.answers.size() > 1 && size() > rules.maxSize) {
        if (!m.authority.isEmpty())
            m.authority.clear();
        if (size() > rules.maxSize) {
            cutTo(largestFitting(int(m.answers.size()), [&](int n) {
                cutTo(n);
                return size() <= rules.maxSize;
            }));
        }
    }
    if (transport == Transport::Udp && m.answers.size() < total && m_config.enableTruncate)
        m.header.tc = true;
}

}  // namespace conclave::dns
