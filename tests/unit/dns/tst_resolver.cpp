// DNS resolver over a populated StateStore: each row of the main table is one question and the
// exact reply Consul gives (rcode, answers, authority, additional), per
// ../shared/reference/consul-dns.md. Records are compared as zone-file-like text, sorted where the
// order is a shuffle.

#include "core/state/catalog_ops.h"
#include "core/state/state_store.h"
#include "dns/resolver.h"

#include <QtTest>

using namespace conclave;
using namespace conclave::net::dns;
using conclave::dns::PacketOutcome;
using conclave::dns::ResolveOutcome;
using conclave::dns::Resolver;
using conclave::dns::ResolverConfig;

namespace {

constexpr quint32 kNow = 1700000000;

QString typeName(quint16 t)
{
    switch (t) {
    case type::A: return QStringLiteral("A");
    case type::AAAA: return QStringLiteral("AAAA");
    case type::CNAME: return QStringLiteral("CNAME");
    case type::NS: return QStringLiteral("NS");
    case type::SOA: return QStringLiteral("SOA");
    case type::PTR: return QStringLiteral("PTR");
    case type::TXT: return QStringLiteral("TXT");
    case type::SRV: return QStringLiteral("SRV");
    default: return QString::number(t);
    }
}

QString ipText(const QByteArray &ip)
{
    if (ip.size() == 4)
        return QStringLiteral("%1.%2.%3.%4").arg(quint8(ip[0])).arg(quint8(ip[1])).arg(quint8(ip[2])).arg(quint8(ip[3]));
    return QString::fromLatin1(ip.toHex());
}

QString rrText(const ResourceRecord &rr)
{
    QString data;
    switch (rr.type) {
    case type::A:
    case type::AAAA: data = ipText(rr.address); break;
    case type::CNAME:
    case type::NS:
    case type::PTR: data = rr.target; break;
    case type::SOA:
        data = QStringLiteral("%1 %2 %3 %4 %5 %6 %7").arg(rr.soa.mname, rr.soa.rname).arg(rr.soa.serial)
                   .arg(rr.soa.refresh).arg(rr.soa.retry).arg(rr.soa.expire).arg(rr.soa.minimum);
        break;
    case type::SRV:
        data = QStringLiteral("%1 %2 %3 %4").arg(rr.srv.priority).arg(rr.srv.weight).arg(rr.srv.port).arg(rr.srv.target);
        break;
    case type::TXT: {
        QStringList parts;
        for (const QByteArray &t : rr.txt)
            parts.append(QLatin1Char('"') + QString::fromUtf8(t) + QLatin1Char('"'));
        data = parts.join(QLatin1Char(' '));
        break;
    }
    default: data = QString::fromLatin1(rr.rdata.toHex());
    }
    return QStringLiteral("%1 %2 %3 %4").arg(rr.name).arg(rr.ttl).arg(typeName(rr.type), data);
}

QStringList texts(const QList<ResourceRecord> &rrs)
{
    QStringList out;
    for (const ResourceRecord &rr : rrs)
        out.append(rrText(rr));
    out.sort();
    return out;
}

Message query(const QString &name, quint16 qtype, std::optional<quint16> edns = std::nullopt)
{
    Message m;
    m.header.id = 0x4242;
    m.header.rd = true;
    m.questions = {Question{name, qtype, rrclass::IN}};
    if (edns)
        m.edns = Edns{*edns, 0, 0, false, {}};
    return m;
}

model::Check check(const QString &node, const QString &id, const QString &status, const QString &serviceId = {})
{
    model::Check c;
    c.node = node;
    c.checkId = id;
    c.name = id;
    c.status = status;
    c.serviceId = serviceId;
    return c;
}

}  // namespace

Q_DECLARE_METATYPE(conclave::net::dns::Rcode)

class TestResolver : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();

    void answers_data();
    void answers();
    void onlyPassingDropsWarning();
    void ttlsFromConfig();
    void serviceTtlLookupRules_data();
    void serviceTtlLookupRules();
    void udpWithoutEdnsCapsAnswersSilently();
    void udpTruncateSetsTcWhenEnabled();
    void ednsSizeHonouredAndEchoed();
    void ednsBufferTrimsBySize();
    void srvAdditionalFollowsTrimmedAnswers();
    void tcpGetsFullAnswers();
    void foreignNamesRefusedOrForwarded();
    void altDomainAnswersInItsOwnDomain();
    void opcodeAndAxfrNotImplemented();
    void headerFlags();
    void packetLevel();
    void metaTxtEncoding_data();
    void metaTxtEncoding();

private:
    void registerNode(const QString &node, const QString &address, const QMap<QString, QString> &meta = {});
    void registerService(const QString &node, const QString &address, const QString &name, const QString &id,
                         const QStringList &tags, int port, const QString &serviceStatus,
                         const QString &serviceAddress = {}, model::Weights weights = {});
    Message ask(const Message &q, Transport t = Transport::Udp, ResolverConfig cfg = {});

    state::StateStore m_store;
    quint64 m_index = 1;
};

void TestResolver::registerNode(const QString &node, const QString &address, const QMap<QString, QString> &meta)
{
    model::RegisterRequest r;
    r.node = node;
    r.address = address;
    r.datacenter = QStringLiteral("dc1");
    r.nodeMeta = meta;
    r.checks = {check(node, QStringLiteral("serfHealth"), model::status::Passing)};
    state::WriteTxn txn(m_store, ++m_index);
    QCOMPARE(state::catalogEnsureRegistration(txn, r), QString());
    txn.commit();
}

void TestResolver::registerService(const QString &node, const QString &address, const QString &name,
                                   const QString &id, const QStringList &tags, int port,
                                   const QString &serviceStatus, const QString &serviceAddress,
                                   model::Weights weights)
{
    model::RegisterRequest r;
    r.node = node;
    r.address = address;
    r.datacenter = QStringLiteral("dc1");
    r.skipNodeUpdate = true;
    r.hasService = true;
    r.service.service = name;
    r.service.id = id;
    r.service.tags = tags;
    r.service.port = port;
    r.service.address = serviceAddress;
    r.service.weights = weights;
    r.checks = {check(node, QStringLiteral("service:") + id, serviceStatus, id)};
    state::WriteTxn txn(m_store, ++m_index);
    QCOMPARE(state::catalogEnsureRegistration(txn, r), QString());
    txn.commit();
}

void TestResolver::initTestCase()
{
    using namespace model::status;
    registerNode(QStringLiteral("server1"), QStringLiteral("10.0.0.100"));
    registerService(QStringLiteral("server1"), QStringLiteral("10.0.0.100"), QStringLiteral("consul"),
                    QStringLiteral("consul"), {}, 8300, Passing);
    registerNode(QStringLiteral("node-a"), QStringLiteral("10.0.0.1"), {{QStringLiteral("rack"), QStringLiteral("r1")}});
    registerService(QStringLiteral("node-a"), QStringLiteral("10.0.0.1"), QStringLiteral("web"), QStringLiteral("web1"),
                    {QStringLiteral("v1"), QStringLiteral("v2")}, 8080, Passing);
    registerService(QStringLiteral("node-a"), QStringLiteral("10.0.0.1"), QStringLiteral("dead"), QStringLiteral("dead1"),
                    {}, 9, Critical);
    registerNode(QStringLiteral("node-b"), QStringLiteral("10.0.0.2"));
    registerService(QStringLiteral("node-b"), QStringLiteral("10.0.0.2"), QStringLiteral("web"), QStringLiteral("web2"),
                    {QStringLiteral("v2")}, 8080, Warning, {}, model::Weights{10, 3});
    registerNode(QStringLiteral("node-c"), QStringLiteral("10.0.0.3"));
    registerService(QStringLiteral("node-c"), QStringLiteral("10.0.0.3"), QStringLiteral("web"), QStringLiteral("web3"),
                    {QStringLiteral("v1")}, 8081, Critical);
    registerNode(QStringLiteral("node-d"), QStringLiteral("10.0.0.4"));
    registerService(QStringLiteral("node-d"), QStringLiteral("10.0.0.4"), QStringLiteral("web"), QStringLiteral("web4"),
                    {QStringLiteral("v3")}, 9090, Passing, QStringLiteral("192.168.1.10"));
    // A node whose serfHealth is critical hides its instances.
    registerNode(QStringLiteral("node-e"), QStringLiteral("10.0.0.5"));
    registerService(QStringLiteral("node-e"), QStringLiteral("10.0.0.5"), QStringLiteral("web"), QStringLiteral("web5"),
                    {}, 8080, Passing);
    {
        state::WriteTxn txn(m_store, ++m_index);
        model::RegisterRequest r;
        r.node = QStringLiteral("node-e");
        r.address = QStringLiteral("10.0.0.5");
        r.skipNodeUpdate = true;
        r.checks = {check(QStringLiteral("node-e"), QStringLiteral("serfHealth"), model::status::Critical)};
        QCOMPARE(state::catalogEnsureRegistration(txn, r), QString());
        txn.commit();
    }
    registerNode(QStringLiteral("v6node"), QStringLiteral("2001:db8::1"));
    registerService(QStringLiteral("v6node"), QStringLiteral("2001:db8::1"), QStringLiteral("v6svc"), QStringLiteral("v6svc"),
                    {}, 80, Passing);
    registerNode(QStringLiteral("hostnode"), QStringLiteral("db.example.com"));
}

Message TestResolver::ask(const Message &q, Transport t, ResolverConfig cfg)
{
    // Always pick index 0: a deterministic (but non-identity) Fisher–Yates.
    Resolver r(cfg, m_store, [](quint32) { return 0u; }, [] { return kNow; });
    const ResolveOutcome out = r.resolve(q, t);
    if (out.action != ResolveOutcome::Action::Reply)
        return {};
    // Every reply must survive the codec unchanged.
    const DecodeResult back = decode(encode(out.response));
    if (!back.message || !(*back.message == out.response))
        qWarning() << "reply does not round-trip";
    return out.response;
}

void TestResolver::answers_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<quint16>("qtype");
    QTest::addColumn<Rcode>("rcode");
    QTest::addColumn<QStringList>("answer");
    QTest::addColumn<QStringList>("authority");
    QTest::addColumn<QStringList>("additional");

    const QString soa = QStringLiteral("consul. 0 SOA ns.consul. hostmaster.consul. 1700000000 3600 600 86400 0");
    const QStringList none;
    auto rows = [](std::initializer_list<const char *> l) {
        QStringList out;
        for (const char *s : l)
            out.append(QString::fromUtf8(s));
        out.sort();
        return out;
    };

    QTest::newRow("service A: passing and warning, critical and serf-critical left out")
        << "web.service.consul." << type::A << Rcode::NoError
        << rows({"web.service.consul. 0 A 10.0.0.1", "web.service.consul. 0 A 10.0.0.2", "web.service.consul. 0 A 192.168.1.10"})
        << none << none;
    QTest::newRow("tag filter excludes the critical v1 instance")
        << "v1.web.service.consul." << type::A << Rcode::NoError << rows({"v1.web.service.consul. 0 A 10.0.0.1"}) << none << none;
    QTest::newRow("tag is case-insensitive, with explicit dc")
        << "V2.web.service.dc1.consul." << type::A << Rcode::NoError
        << rows({"V2.web.service.dc1.consul. 0 A 10.0.0.1", "V2.web.service.dc1.consul. 0 A 10.0.0.2"}) << none << none;
    QTest::newRow("service SRV: node targets, addr target for a service address, weights")
        << "web.service.consul." << type::SRV << Rcode::NoError
        << rows({"web.service.consul. 0 SRV 1 1 8080 node-a.node.dc1.consul.",
                 "web.service.consul. 0 SRV 1 3 8080 node-b.node.dc1.consul.",
                 "web.service.consul. 0 SRV 1 1 9090 c0a8010a.addr.dc1.consul."})
        << none
        << rows({"node-a.node.dc1.consul. 0 A 10.0.0.1", "node-a.node.dc1.consul. 0 TXT \"rack=r1\"",
                 "node-b.node.dc1.consul. 0 A 10.0.0.2", "c0a8010a.addr.dc1.consul. 0 A 192.168.1.10"});
    QTest::newRow("RFC 2782 with a tag")
        << "_web._v2.service.consul." << type::SRV << Rcode::NoError
        << rows({"_web._v2.service.consul. 0 SRV 1 1 8080 node-a.node.dc1.consul.",
                 "_web._v2.service.consul. 0 SRV 1 3 8080 node-b.node.dc1.consul."})
        << none
        << rows({"node-a.node.dc1.consul. 0 A 10.0.0.1", "node-a.node.dc1.consul. 0 TXT \"rack=r1\"",
                 "node-b.node.dc1.consul. 0 A 10.0.0.2"});
    QTest::newRow("RFC 2782 _tcp means no tag, 'service' label optional")
        << "_web._tcp.consul." << type::SRV << Rcode::NoError
        << rows({"_web._tcp.consul. 0 SRV 1 1 8080 node-a.node.dc1.consul.",
                 "_web._tcp.consul. 0 SRV 1 3 8080 node-b.node.dc1.consul.",
                 "_web._tcp.consul. 0 SRV 1 1 9090 c0a8010a.addr.dc1.consul."})
        << none
        << rows({"node-a.node.dc1.consul. 0 A 10.0.0.1", "node-a.node.dc1.consul. 0 TXT \"rack=r1\"",
                 "node-b.node.dc1.consul. 0 A 10.0.0.2", "c0a8010a.addr.dc1.consul. 0 A 192.168.1.10"});
    QTest::newRow("RFC 2782 _udp is a tag") << "_web._udp.service.consul." << type::SRV << Rcode::NxDomain << none
                                           << QStringList{soa} << none;
    QTest::newRow("service with only a critical instance: NXDOMAIN")
        << "dead.service.consul." << type::A << Rcode::NxDomain << none << QStringList{soa} << none;
    QTest::newRow("unknown service") << "nope.service.consul." << type::A << Rcode::NxDomain << none << QStringList{soa} << none;
    QTest::newRow("unknown tag") << "v9.web.service.consul." << type::SRV << Rcode::NxDomain << none << QStringList{soa} << none;
    QTest::newRow("service MX: NODATA with SOA") << "web.service.consul." << type::MX << Rcode::NoError << none
                                                 << QStringList{soa} << none;
    QTest::newRow("AAAA of an IPv4-only service: NODATA with SOA")
        << "web.service.consul." << type::AAAA << Rcode::NoError << none << QStringList{soa} << none;
    QTest::newRow("service AAAA") << "v6svc.service.consul." << type::AAAA << Rcode::NoError
                                  << rows({"v6svc.service.consul. 0 AAAA 20010db8000000000000000000000001"}) << none << none;
    QTest::newRow("service TXT answers like ANY")
        << "v1.web.service.consul." << type::TXT << Rcode::NoError << rows({"v1.web.service.consul. 0 A 10.0.0.1"}) << none << none;
    QTest::newRow("service names are case-insensitive")
        << "WEB.Service.CONSUL." << type::A << Rcode::NoError
        << rows({"WEB.Service.CONSUL. 0 A 10.0.0.1", "WEB.Service.CONSUL. 0 A 10.0.0.2", "WEB.Service.CONSUL. 0 A 192.168.1.10"})
        << none << none;
    QTest::newRow("unknown datacenter") << "web.service.dc2.consul." << type::A << Rcode::NxDomain << none << QStringList{soa} << none;
    QTest::newRow("explicit <dc>.dc form") << "v1.web.service.dc1.dc.consul." << type::A << Rcode::NoError
                                         << rows({"v1.web.service.dc1.dc.consul. 0 A 10.0.0.1"}) << none << none;
    QTest::newRow("node A with meta TXT in additional")
        << "node-a.node.consul." << type::A << Rcode::NoError << rows({"node-a.node.consul. 0 A 10.0.0.1"}) << none
        << rows({"node-a.node.consul. 0 TXT \"rack=r1\""});
    QTest::newRow("node TXT") << "node-a.node.dc1.consul." << type::TXT << Rcode::NoError
                              << rows({"node-a.node.dc1.consul. 0 TXT \"rack=r1\""}) << none << none;
    QTest::newRow("node ANY: A and TXT") << "node-a.node.consul." << type::ANY << Rcode::NoError
                                         << rows({"node-a.node.consul. 0 A 10.0.0.1", "node-a.node.consul. 0 TXT \"rack=r1\""})
                                         << none << none;
    QTest::newRow("node MX: NOERROR, empty, no SOA") << "node-a.node.consul." << type::MX << Rcode::NoError << none << none << none;
    QTest::newRow("node AAAA of an IPv4 node: NOERROR, empty") << "node-b.node.consul." << type::AAAA << Rcode::NoError << none
                                                            << none << none;
    QTest::newRow("node names are case-insensitive")
        << "NODE-B.NODE.Consul." << type::A << Rcode::NoError << rows({"NODE-B.NODE.Consul. 0 A 10.0.0.2"}) << none << none;
    QTest::newRow("IPv6 node") << "v6node.node.consul." << type::AAAA << Rcode::NoError
                               << rows({"v6node.node.consul. 0 AAAA 20010db8000000000000000000000001"}) << none << none;
    QTest::newRow("hostname node answers a CNAME") << "hostnode.node.consul." << type::A << Rcode::NoError
                                                  << rows({"hostnode.node.consul. 0 CNAME db.example.com."}) << none << none;
    QTest::newRow("unknown node") << "nosuch.node.consul." << type::A << Rcode::NxDomain << none << QStringList{soa} << none;
    QTest::newRow("addr IPv4") << "c000020a.addr.dc1.consul." << type::A << Rcode::NoError
                               << rows({"c000020a.addr.dc1.consul. 0 A 192.0.2.10"}) << none << none;
    QTest::newRow("addr IPv6, dc ignored") << "20010db800010002cafe000000001337.addr.dc9.consul." << type::AAAA << Rcode::NoError
                                           << rows({"20010db800010002cafe000000001337.addr.dc9.consul. 0 AAAA 20010db800010002cafe000000001337"})
                                           << none << none;
    QTest::newRow("addr with another qtype: record in additional") << "c000020a.addr.consul." << type::SRV << Rcode::NoError << none
                                                                  << none << rows({"c000020a.addr.consul. 0 A 192.0.2.10"});
    QTest::newRow("addr not hex") << "zz00020a.addr.consul." << type::A << Rcode::NxDomain << none << QStringList{soa} << none;
    QTest::newRow("addr odd length") << "c000020a0.addr.consul." << type::A << Rcode::NxDomain << none << QStringList{soa} << none;
    QTest::newRow("SOA at the apex: NS in authority, glue")
        << "consul." << type::SOA << Rcode::NoError << QStringList{soa}
        << rows({"consul. 0 NS server1.node.dc1.consul."}) << rows({"server1.node.dc1.consul. 0 A 10.0.0.100"});
    QTest::newRow("NS at the apex") << "consul." << type::NS << Rcode::NoError
                                    << rows({"consul. 0 NS server1.node.dc1.consul."}) << none
                                    << rows({"server1.node.dc1.consul. 0 A 10.0.0.100"});
    QTest::newRow("A at the apex: NXDOMAIN") << "consul." << type::A << Rcode::NxDomain << none << QStringList{soa} << none;
    QTest::newRow("no keyword") << "foo.bar.consul." << type::A << Rcode::NxDomain << none << QStringList{soa} << none;
    QTest::newRow("prepared queries are not served") << "geo.query.consul." << type::A << Rcode::NxDomain << none
                                                     << QStringList{soa} << none;
    QTest::newRow("PTR of a node address") << "1.0.0.10.in-addr.arpa." << type::PTR << Rcode::NoError
                                           << rows({"1.0.0.10.in-addr.arpa. 0 PTR node-a.node.dc1.consul."}) << none << none;
    QTest::newRow("PTR of a service address") << "10.1.168.192.in-addr.arpa." << type::PTR << Rcode::NoError
                                              << rows({"10.1.168.192.in-addr.arpa. 0 PTR web.service.dc1.consul."}) << none << none;
    QTest::newRow("PTR unknown, no recursors") << "9.9.9.9.in-addr.arpa." << type::PTR << Rcode::NxDomain << none
                                               << QStringList{soa} << none;
    QTest::newRow("outside the domain, no recursors: REFUSED") << "example.com." << type::A << Rcode::Refused << none << none
                                                               << none;
}

void TestResolver::answers()
{
    QFETCH(QString, name);
    QFETCH(quint16, qtype);
    QFETCH(Rcode, rcode);
    QFETCH(QStringList, answer);
    QFETCH(QStringList, authority);
    QFETCH(QStringList, additional);

    // TCP: no answer limit, so every row shows the full answer set.
    const Message reply = ask(query(name, qtype), Transport::Tcp);
    QCOMPARE(int(reply.header.rcode), int(rcode));
    QCOMPARE(reply.header.id, quint16(0x4242));
    QVERIFY(reply.header.qr);
    QCOMPARE(reply.questions.size(), 1);
    QCOMPARE(reply.questions[0].name, name);
    QCOMPARE(texts(reply.answers), answer);
    QCOMPARE(texts(reply.authority), authority);
    QCOMPARE(texts(reply.additional), additional);
}

void TestResolver::onlyPassingDropsWarning()
{
    ResolverConfig cfg;
    cfg.onlyPassing = true;
    const Message reply = ask(query(QStringLiteral("web.service.consul."), type::A), Transport::Udp, cfg);
    QCOMPARE(texts(reply.answers),
             (QStringList{QStringLiteral("web.service.consul. 0 A 10.0.0.1"), QStringLiteral("web.service.consul. 0 A 192.168.1.10")}));
    ResolverConfig cfg2;
    cfg2.onlyPassing = true;
    const Message v2 = ask(query(QStringLiteral("_web._v2.service.consul."), type::SRV), Transport::Udp, cfg2);
    QCOMPARE(v2.answers.size(), 1);
    QCOMPARE(v2.answers[0].srv.target, QStringLiteral("node-a.node.dc1.consul."));
}

void TestResolver::ttlsFromConfig()
{
    ResolverConfig cfg;
    cfg.nodeTtl = 10;
    cfg.serviceTtl = {{QStringLiteral("web"), 30}, {QStringLiteral("*"), 5}};
    cfg.soaMinTtl = 7;
    Message reply = ask(query(QStringLiteral("web.service.consul."), type::SRV), Transport::Tcp, cfg);
    QCOMPARE(reply.answers.size(), 3);
    for (const ResourceRecord &rr : reply.answers + reply.additional)
        QCOMPARE(rr.ttl, 30u);
    reply = ask(query(QStringLiteral("v6svc.service.consul."), type::AAAA), Transport::Tcp, cfg);
    QCOMPARE(reply.answers.value(0).ttl, 5u);
    reply = ask(query(QStringLiteral("node-a.node.consul."), type::A), Transport::Tcp, cfg);
    QCOMPARE(reply.answers.value(0).ttl, 10u);
    QCOMPARE(reply.additional.value(0).ttl, 10u);
    reply = ask(query(QStringLiteral("c000020a.addr.consul."), type::A), Transport::Tcp, cfg);
    QCOMPARE(reply.answers.value(0).ttl, 10u);
    // The SOA's TTL is its MINIMUM (RFC 2308).
    reply = ask(query(QStringLiteral("nope.service.consul."), type::A), Transport::Tcp, cfg);
    QCOMPARE(reply.authority.value(0).ttl, 7u);
    QCOMPARE(reply.authority.value(0).soa.minimum, 7u);
}

void TestResolver::serviceTtlLookupRules_data()
{
    QTest::addColumn<QString>("service");
    QTest::addColumn<quint32>("ttl");
    QTest::newRow("exact wins over prefix") << "web" << 30u;
    QTest::newRow("longest prefix") << "webapp" << 20u;
    QTest::newRow("shorter prefix") << "wx" << 15u;
    QTest::newRow("wildcard fallback") << "db" << 5u;
}

void TestResolver::serviceTtlLookupRules()
{
    QFETCH(QString, service);
    QFETCH(quint32, ttl);
    ResolverConfig cfg;
    cfg.serviceTtl = {{QStringLiteral("web"), 30}, {QStringLiteral("web*"), 20}, {QStringLiteral("w*"), 15}, {QStringLiteral("*"), 5}};
    Resolver r(cfg, m_store, [](quint32) { return 0u; }, [] { return kNow; });
    QCOMPARE(r.serviceTtl(service), ttl);
    QCOMPARE(Resolver(ResolverConfig{}, m_store, {}, {}).serviceTtl(service), 0u);
}

void TestResolver::udpWithoutEdnsCapsAnswersSilently()
{
    for (int i = 0; i < 20; ++i) {
        const QString node = QStringLiteral("big-%1").arg(i);
        const QString ip = QStringLiteral("10.1.0.%1").arg(i + 1);
        registerNode(node, ip);
        registerService(node, ip, QStringLiteral("big"), QStringLiteral("big"), {}, 80, model::status::Passing);
    }
    const Message a = ask(query(QStringLiteral("big.service.consul."), type::A));
    QCOMPARE(a.answers.size(), 3);  // udp_answer_limit default
    QVERIFY(!a.header.tc);          // enable_truncate defaults to false
    ResolverConfig cfg;
    cfg.udpAnswerLimit = 5;
    QCOMPARE(ask(query(QStringLiteral("big.service.consul."), type::A), Transport::Udp, cfg).answers.size(), 5);
    cfg.udpAnswerLimit = 50;  // hard cap 8
    QCOMPARE(ask(query(QStringLiteral("big.service.consul."), type::A), Transport::Udp, cfg).answers.size(), 8);
}

void TestResolver::udpTruncateSetsTcWhenEnabled()
{
    ResolverConfig cfg;
    cfg.enableTruncate = true;
    const Message a = ask(query(QStringLiteral("big.service.consul."), type::A), Transport::Udp, cfg);
    QCOMPARE(a.answers.size(), 3);
    QVERIFY(a.header.tc);
    // Nothing cut, no TC.
    const Message small = ask(query(QStringLiteral("v1.web.service.consul."), type::A), Transport::Udp, cfg);
    QVERIFY(!small.header.tc);
    QCOMPARE(ask(query(QStringLiteral("big.service.consul."), type::A), Transport::Tcp, cfg).header.tc, false);
}

void TestResolver::ednsSizeHonouredAndEchoed()
{
    const Message a = ask(query(QStringLiteral("big.service.consul."), type::A, 4096));
    QCOMPARE(a.answers.size(), 20);  // EDNS: no record-count cap
    QVERIFY(a.edns);
    QCOMPARE(a.edns->udpSize, quint16(4096));
    QVERIFY(!ask(query(QStringLiteral("big.service.consul."), type::A)).edns);
}

void TestResolver::ednsBufferTrimsBySize()
{
    for (int i = 0; i < 200; ++i) {
        const QString node = QStringLiteral("huge-node-with-a-long-name-%1").arg(i);
        const QString ip = QStringLiteral("10.2.%1.%2").arg(i / 250).arg(i % 250 + 1);
        registerNode(node, ip);
        registerService(node, ip, QStringLiteral("huge"), QStringLiteral("huge"), {}, 80, model::status::Passing);
    }
    const Message q = query(QStringLiteral("huge.service.consul."), type::SRV, 1232);
    const Message reply = ask(q);
    QVERIFY(reply.answers.size() > 1);
    QVERIFY(reply.answers.size() < 200);
    QVERIFY(encode(reply).size() <= 1232 - 8);
    // Tight: one more answer (with its additional records) would not fit.
    QVERIFY(encode(reply).size() > 1232 - 8 - 200);
    const Message tcp = ask(q, Transport::Tcp);
    QCOMPARE(tcp.answers.size(), 200);
    QCOMPARE(tcp.additional.size(), 200);
}

void TestResolver::srvAdditionalFollowsTrimmedAnswers()
{
    const Message reply = ask(query(QStringLiteral("big.service.consul."), type::SRV));
    QCOMPARE(reply.answers.size(), 3);
    QStringList targets, extras;
    for (const ResourceRecord &rr : reply.answers)
        targets.append(rr.srv.target);
    for (const ResourceRecord &rr : reply.additional)
        extras.append(rr.name);
    targets.sort();
    extras.sort();
    QCOMPARE(extras, targets);
    QVERIFY(encode(reply, false).size() <= 512 - 8);
}

void TestResolver::tcpGetsFullAnswers()
{
    const Message reply = ask(query(QStringLiteral("big.service.consul."), type::SRV), Transport::Tcp);
    QCOMPARE(reply.answers.size(), 20);
    QCOMPARE(reply.additional.size(), 20);
}

void TestResolver::foreignNamesRefusedOrForwarded()
{
    const Message refused = ask(query(QStringLiteral("example.com."), type::A));
    QCOMPARE(int(refused.header.rcode), int(Rcode::Refused));
    QVERIFY(!refused.header.ra);
    QVERIFY(!refused.header.aa);

    ResolverConfig cfg;
    cfg.recursors = {QStringLiteral("127.0.0.1:53")};
    Resolver r(cfg, m_store, [](quint32) { return 0u; }, [] { return kNow; });
    QCOMPARE(int(r.resolve(query(QStringLiteral("example.com."), type::A), Transport::Udp).action),
             int(ResolveOutcome::Action::Forward));
    QCOMPARE(int(r.resolve(query(QStringLiteral("9.9.9.9.in-addr.arpa."), type::PTR), Transport::Udp).action),
             int(ResolveOutcome::Action::Forward));
    // Our own zone is still answered, with RA set.
    const ResolveOutcome own = r.resolve(query(QStringLiteral("web.service.consul."), type::A), Transport::Udp);
    QCOMPARE(int(own.action), int(ResolveOutcome::Action::Reply));
    QVERIFY(own.response.header.ra);
}

void TestResolver::altDomainAnswersInItsOwnDomain()
{
    ResolverConfig cfg;
    cfg.domain = QStringLiteral("Conclave");  // normalised to "conclave."
    cfg.altDomain = QStringLiteral("alt.test.");
    const Message srv = ask(query(QStringLiteral("v1.web.service.alt.test."), type::SRV), Transport::Udp, cfg);
    QCOMPARE(texts(srv.answers), QStringList{QStringLiteral("v1.web.service.alt.test. 0 SRV 1 1 8080 node-a.node.dc1.alt.test.")});
    const Message nx = ask(query(QStringLiteral("nope.service.alt.test."), type::A), Transport::Udp, cfg);
    QCOMPARE(nx.authority.value(0).name, QStringLiteral("alt.test."));
    QCOMPARE(nx.authority.value(0).soa.mname, QStringLiteral("ns.alt.test."));
    const Message primary = ask(query(QStringLiteral("node-a.node.conclave."), type::A), Transport::Udp, cfg);
    QCOMPARE(primary.answers.size(), 1);
    QCOMPARE(int(ask(query(QStringLiteral("web.service.consul."), type::A), Transport::Udp, cfg).header.rcode),
             int(Rcode::Refused));
}

void TestResolver::opcodeAndAxfrNotImplemented()
{
    Message q = query(QStringLiteral("web.service.consul."), type::A);
    q.header.opcode = 2;  // STATUS
    QCOMPARE(int(ask(q).header.rcode), int(Rcode::NotImp));
    QCOMPARE(int(ask(query(QStringLiteral("consul."), type::AXFR), Transport::Tcp).header.rcode), int(Rcode::NotImp));
}

void TestResolver::headerFlags()
{
    const Message reply = ask(query(QStringLiteral("web.service.consul."), type::A));
    QVERIFY(reply.header.qr);
    QVERIFY(reply.header.aa);
    QVERIFY(reply.header.rd);   // echoed
    QVERIFY(!reply.header.ra);  // no recursors
    Message noRd = query(QStringLiteral("web.service.consul."), type::A);
    noRd.header.rd = false;
    QVERIFY(!ask(noRd).header.rd);
}

void TestResolver::packetLevel()
{
    Resolver r(ResolverConfig{}, m_store, [](quint32) { return 0u; }, [] { return kNow; });
    // A real query in, a reply that decodes, same ID.
    PacketOutcome out = r.handlePacket(encode(query(QStringLiteral("v1.web.service.consul."), type::A)), Transport::Udp);
    QCOMPARE(int(out.action), int(ResolveOutcome::Action::Reply));
    const DecodeResult d = decode(out.reply);
    QVERIFY(d.message);
    QCOMPARE(d.message->header.id, quint16(0x4242));
    QCOMPARE(d.message->answers.value(0).address, QByteArray::fromHex("0a000001"));
    // qdcount 0: FORMERR.
    out = r.handlePacket(QByteArray::fromHex("abcd01000000000000000000"), Transport::Udp);
    QCOMPARE(int(out.action), int(ResolveOutcome::Action::Reply));
    QCOMPARE(out.reply.toHex(), QByteArray("abcd81010000000000000000"));
    // Garbage shorter than a header, and responses: silence.
    QCOMPARE(int(r.handlePacket(QByteArray("xyz"), Transport::Udp).action), int(ResolveOutcome::Action::Drop));
    Message response = query(QStringLiteral("web.service.consul."), type::A);
    response.header.qr = true;
    QCOMPARE(int(r.handlePacket(encode(response), Transport::Udp).action), int(ResolveOutcome::Action::Drop));
}

void TestResolver::metaTxtEncoding_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("txt");
    QTest::newRow("plain") << "rack" << "r1" << QByteArray("rack=r1");
    QTest::newRow("empty value") << "consul-network-segment" << "" << QByteArray("consul-network-segment=");
    QTest::newRow("= and backquote in key") << "a=b`c" << "x" << QByteArray("a`=b``c=x");
    QTest::newRow("spaces around key") << "  k " << "v" << QByteArray("` ` k` =v");
    QTest::newRow("backquote in value, = kept") << "k" << "a`b=c" << QByteArray("k=a``b=c");
    QTest::newRow("rfc1035- prefix: value only") << "RFC1035-spf" << "v=spf1 -all" << QByteArray("v=spf1 -all");
}

void TestResolver::metaTxtEncoding()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QByteArray, txt);
    QCOMPARE(Resolver::metaTxt(key, value), txt);
}

QTEST_APPLESS_MAIN(TestResolver)
#include "tst_resolver.moc"
