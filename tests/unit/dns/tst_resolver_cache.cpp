// The resolver's per-service cache (resolver.h): a long-lived Resolver must answer exactly as a
// fresh one would after every kind of catalog and health write, rebuild only when the service's
// query index or the store's epoch moves, keep shuffling per query, and stay bounded.

#include "core/state/catalog_ops.h"
#include "core/state/kv_ops.h"
#include "core/state/state_store.h"
#include "dns/resolver.h"

#include <QRandomGenerator>
#include <QtTest>

using namespace conclave;
using namespace conclave::net::dns;
using conclave::dns::ResolveOutcome;
using conclave::dns::Resolver;
using conclave::dns::ResolverConfig;

namespace {

Message query(const QString &name, quint16 qtype, std::optional<quint16> edns = std::nullopt)
{
    Message m;
    m.header.id = 7;
    m.questions = {Question{name, qtype, rrclass::IN}};
    if (edns)
        m.edns = Edns{*edns, 0, 0, false, {}};
    return m;
}

// A catalog that the tests write to at increasing Raft indexes, as the FSM does.
class Catalog {
public:
    state::StateStore store;

    void registerInstance(const QString &node, const QString &address, const QString &service, const QString &id,
                          const QString &status, const QStringList &tags = {}, const QString &serviceAddress = {},
                          int port = 80)
    {
        model::RegisterRequest r = nodeRequest(node, address);
        r.hasService = true;
        r.service.service = service;
        r.service.id = id;
        r.service.tags = tags;
        r.service.address = serviceAddress;
        r.service.port = port;
        r.checks = {check(node, QStringLiteral("service:") + id, status, id)};
        apply(r);
    }
    void setNode(const QString &node, const QString &address, const QMap<QString, QString> &meta = {})
    {
        model::RegisterRequest r = nodeRequest(node, address);
        r.nodeMeta = meta;
        apply(r);
    }
    void setCheck(const QString &node, const QString &checkId, const QString &status, const QString &serviceId = {})
    {
        model::RegisterRequest r = nodeRequest(node, {});
        r.skipNodeUpdate = true;
        r.checks = {check(node, checkId, status, serviceId)};
        apply(r);
    }
    void deregister(const QString &node, const QString &serviceId = {}, const QString &checkId = {})
    {
        state::WriteTxn txn(store, ++index);
        QCOMPARE(state::catalogDeregister(txn, model::DeregisterRequest{node, {}, serviceId, checkId}), QString());
    }
    void kvPut(const QString &key)
    {
        state::WriteTxn txn(store, ++index);
        model::KvEntry e;
        e.key = key;
        e.value = "v";
        state::kvSet(txn, e);
    }

    quint64 index = 1;

private:
    static model::Check check(const QString &node, const QString &id, const QString &status, const QString &serviceId)
    {
        model::Check c;
        c.node = node;
        c.checkId = id;
        c.name = id;
        c.status = status;
        c.serviceId = serviceId;
        return c;
    }
    static model::RegisterRequest nodeRequest(const QString &node, const QString &address)
    {
        model::RegisterRequest r;
        r.node = node;
        r.address = address;
        r.datacenter = QStringLiteral("dc1");
        return r;
    }
    void apply(const model::RegisterRequest &r)
    {
        state::WriteTxn txn(store, ++index);
        QCOMPARE(state::catalogEnsureRegistration(txn, r), QString());
    }
};

Resolver makeResolver(const state::StateStore &store, quint32 seed = 1)
{
    auto rng = std::make_shared<QRandomGenerator>(seed);
    return Resolver(ResolverConfig{}, store, [rng](quint32 bound) { return quint32(rng->bounded(bound)); },
                    [] { return 1700000000u; });
}

QStringList answerTexts(const Message &m)
{
    QStringList out;
    for (const ResourceRecord &rr : m.answers) {
        out.append(rr.type == type::SRV ? QStringLiteral("%1 %2").arg(rr.srv.target).arg(rr.srv.port)
                   : rr.type == type::CNAME ? rr.target
                                            : QString::fromLatin1(rr.address.toHex()));
    }
    return out;
}

}  // namespace

class TestResolverCache : public QObject {
    Q_OBJECT
private slots:
    void sameAnswersAsAFreshResolverThroughRandomWrites();
    void healthNodeAndInstanceChangesShowAtOnce();
    void unrelatedWritesKeepTheEntry();
    void restoredStoreIsReadAgainEvenAtTheSameIndex();
    void shuffledOnEveryQuery();
    void ownerNamesFollowTheQuestion();
    void boundedInSize();
    void packetsMatchTheMessagePath();
    void packetTrimmingKeepsAdditionalInStep();
};

void TestResolverCache::sameAnswersAsAFreshResolverThroughRandomWrites()
{
    Catalog c;
    QRandomGenerator rng(20261203);
    const QStringList services{QStringLiteral("web"), QStringLiteral("db"), QStringLiteral("cache")};
    const QStringList statuses{model::status::Passing, model::status::Warning, model::status::Critical};
    // One shuffle source for both resolvers, rewound before each of them answers.
    quint32 state = 0;
    const Resolver::Random random = [&state](quint32 bound) {
        state = state * 1664525u + 1013904223u;
        return (state >> 8) % bound;
    };
    const auto clock = [] { return 1700000000u; };
    for (const bool onlyPassing : {false, true}) {
        ResolverConfig cfg;
        cfg.onlyPassing = onlyPassing;
        cfg.altDomain = QStringLiteral("alt.");
        const Resolver cached(cfg, c.store, random, clock);
        for (int step = 0; step < 300; ++step) {
            const QString node = QStringLiteral("n%1").arg(rng.bounded(6));
            const QString service = services[rng.bounded(int(services.size()))];
            const QString id = service + QString::number(rng.bounded(3));
            const bool nodeExists = c.store.node(node).value.has_value();
            switch (rng.bounded(7)) {
            case 0:
            case 1:
                c.registerInstance(node, QStringLiteral("10.0.0.%1").arg(rng.bounded(4)), service, id,
                                   statuses[rng.bounded(3)],
                                   rng.bounded(2) ? QStringList{QStringLiteral("v1")} : QStringList{},
                                   rng.bounded(4) == 0 ? QStringLiteral("192.168.0.%1").arg(rng.bounded(3)) : QString(),
                                   8000 + rng.bounded(2));
                break;
            case 2:
                if (nodeExists) {
                    c.setNode(node, rng.bounded(5) == 0 ? QStringLiteral("host.example.")
                                                        : QStringLiteral("10.0.1.%1").arg(rng.bounded(4)),
                              {{QStringLiteral("rack"), QString::number(rng.bounded(2))}});
                }
                break;
            case 3:
                if (nodeExists)
                    c.setCheck(node, QStringLiteral("serfHealth"), statuses[rng.bounded(3)]);
                break;
            case 4: {
                const auto ns = c.store.nodeServices(node).value;
                if (ns && !ns->services.isEmpty()) {
                    const QString sid = ns->services.first().id;
                    c.setCheck(node, QStringLiteral("service:") + sid, statuses[rng.bounded(3)], sid);
                }
                break;
            }
            case 5:
                c.deregister(node, rng.bounded(2) ? id : QString());
                break;
            default:
                c.kvPut(QStringLiteral("k%1").arg(step));
                break;
            }
            for (const QString &name : {QStringLiteral("web.service.consul."), QStringLiteral("v1.db.service.consul."),
                                        QStringLiteral("_cache._tcp.service.alt."), QStringLiteral("CACHE.service.consul.")}) {
                for (const quint16 qtype : {type::A, type::SRV, type::ANY, type::AAAA}) {
                    const Message q = query(name, qtype, rng.bounded(2) ? std::optional<quint16>(4096) : std::nullopt);
                    const Transport t = rng.bounded(2) ? Transport::Udp : Transport::Tcp;
                    const quint32 seed = rng.generate();
                    state = seed;
                    const Message got = cached.resolve(q, t).response;
                    state = seed;
                    const Message expected = Resolver(cfg, c.store, random, clock).resolve(q, t).response;
                    QCOMPARE(got, expected);
                }
            }
        }
        QVERIFY(cached.cacheStats().hits > 0);
        QVERIFY(cached.cacheStats().misses > 0);
    }
}

void TestResolverCache::healthNodeAndInstanceChangesShowAtOnce()
{
    Catalog c;
    c.registerInstance(QStringLiteral("n1"), QStringLiteral("10.0.0.1"), QStringLiteral("api"), QStringLiteral("api1"),
                       model::status::Passing);
    c.registerInstance(QStringLiteral("n2"), QStringLiteral("10.0.0.2"), QStringLiteral("api"), QStringLiteral("api2"),
                       model::status::Passing);
    Resolver r = makeResolver(c.store);
    auto ask = [&](quint16 qtype = type::A) {
        QStringList a = answerTexts(r.resolve(query(QStringLiteral("api.service.consul."), qtype), Transport::Tcp).response);
        a.sort();
        return a;
    };
    QCOMPARE(ask(), (QStringList{"0a000001", "0a000002"}));
    QCOMPARE(ask(), (QStringList{"0a000001", "0a000002"}));
    QCOMPARE(r.cacheStats().misses, 1u);
    QCOMPARE(r.cacheStats().hits, 1u);

    c.setCheck(QStringLiteral("n1"), QStringLiteral("service:api1"), model::status::Critical, QStringLiteral("api1"));
    QCOMPARE(ask(), QStringList{"0a000002"});
    c.setCheck(QStringLiteral("n1"), QStringLiteral("service:api1"), model::status::Passing, QStringLiteral("api1"));
    QCOMPARE(ask(), (QStringList{"0a000001", "0a000002"}));

    c.setNode(QStringLiteral("n2"), QStringLiteral("10.0.0.22"));
    QCOMPARE(ask(), (QStringList{"0a000001", "0a000016"}));
    QCOMPARE(ask(type::SRV), (QStringList{"n1.node.dc1.consul. 80", "n2.node.dc1.consul. 80"}));

    // A node-level check (serfHealth) hides every instance on its node.
    c.setCheck(QStringLiteral("n2"), QStringLiteral("serfHealth"), model::status::Critical);
    QCOMPARE(ask(), QStringList{"0a000001"});

    c.registerInstance(QStringLiteral("n3"), QStringLiteral("10.0.0.3"), QStringLiteral("api"), QStringLiteral("api3"),
                       model::status::Warning);
    QCOMPARE(ask(), (QStringList{"0a000001", "0a000003"}));

    c.deregister(QStringLiteral("n1"), QStringLiteral("api1"));
    c.deregister(QStringLiteral("n3"));
    const Message gone = r.resolve(query(QStringLiteral("api.service.consul."), type::A), Transport::Udp).response;
    QCOMPARE(int(gone.header.rcode), int(Rcode::NxDomain));
    QCOMPARE(gone.authority.size(), 1);
}

void TestResolverCache::unrelatedWritesKeepTheEntry()
{
    Catalog c;
    c.registerInstance(QStringLiteral("n1"), QStringLiteral("10.0.0.1"), QStringLiteral("api"), QStringLiteral("api1"),
                       model::status::Passing);
    Resolver r = makeResolver(c.store);
    const Message q = query(QStringLiteral("api.service.consul."), type::A);
    r.resolve(q, Transport::Udp);
    c.kvPut(QStringLiteral("config/x"));
    c.registerInstance(QStringLiteral("n9"), QStringLiteral("10.0.0.9"), QStringLiteral("other"), QStringLiteral("other"),
                       model::status::Critical);
    c.setCheck(QStringLiteral("n9"), QStringLiteral("serfHealth"), model::status::Critical);
    r.resolve(q, Transport::Udp);
    QCOMPARE(r.cacheStats().misses, 1u);
    QCOMPARE(r.cacheStats().hits, 1u);
    // A second service on the same node: the node's checks now matter to it, not to "api".
    c.registerInstance(QStringLiteral("n1"), QStringLiteral("10.0.0.1"), QStringLiteral("db"), QStringLiteral("db1"),
                       model::status::Passing);
    r.resolve(q, Transport::Udp);
    QCOMPARE(r.cacheStats().misses, 2u);  // registering on n1 rewrote n1's checks: api's index moved
}

void TestResolverCache::restoredStoreIsReadAgainEvenAtTheSameIndex()
{
    // Two histories with the same indexes and different data: only the epoch tells them apart.
    Catalog a, b;
    a.registerInstance(QStringLiteral("n1"), QStringLiteral("10.0.0.1"), QStringLiteral("api"), QStringLiteral("api1"),
                       model::status::Passing);
    b.registerInstance(QStringLiteral("n1"), QStringLiteral("10.9.9.9"), QStringLiteral("api"), QStringLiteral("api1"),
                       model::status::Passing);
    QCOMPARE(a.store.serviceQueryIndex(QStringLiteral("api")), b.store.serviceQueryIndex(QStringLiteral("api")));
    Resolver r = makeResolver(a.store);
    const Message q = query(QStringLiteral("api.service.consul."), type::A);
    QCOMPARE(answerTexts(r.resolve(q, Transport::Udp).response), QStringList{"0a000001"});
    const quint64 epoch = a.store.epoch();
    QString error;
    QVERIFY2(a.store.restore(b.store.snapshot(), &error), qPrintable(error));
    QCOMPARE(a.store.epoch(), epoch + 1);
    QCOMPARE(answerTexts(r.resolve(q, Transport::Udp).response), QStringList{"0a090909"});
}

void TestResolverCache::shuffledOnEveryQuery()
{
    Catalog c;
    for (int i = 0; i < 5; ++i) {
        c.registerInstance(QStringLiteral("n%1").arg(i), QStringLiteral("10.0.0.%1").arg(i), QStringLiteral("api"),
                           QStringLiteral("api%1").arg(i), model::status::Passing);
    }
    // Four draws a query, 0,1,0,1 each time: every query runs its own Fisher–Yates from the store's
    // order (n0 … n4), so all four give the same permutation; shuffling a kept order again would not.
    quint32 draw = 0;
    Resolver r(ResolverConfig{}, c.store, [&draw](quint32) { return quint32(draw++ % 2); }, [] { return 0u; });
    QSet<QStringList> orders;
    for (int i = 0; i < 4; ++i) {
        const QStringList order = answerTexts(r.resolve(query(QStringLiteral("api.service.consul."), type::A), Transport::Tcp).response);
        QCOMPARE(order.size(), 5);
        orders.insert(order);
    }
    QCOMPARE(r.cacheStats().hits, 3u);
    QStringList expected{"0a000000", "0a000001", "0a000002", "0a000003", "0a000004"};
    for (int i = 4, k = 0; i > 0; --i, ++k)
        expected.swapItemsAt(i, k % 2);
    QCOMPARE(orders, QSet<QStringList>{expected});
    // With a real random source, the order moves from query to query.
    Resolver random = makeResolver(c.store, 99);
    orders.clear();
    for (int i = 0; i < 50; ++i)
        orders.insert(answerTexts(random.resolve(query(QStringLiteral("api.service.consul."), type::A), Transport::Tcp).response));
    QVERIFY(orders.size() > 10);
    QCOMPARE(random.cacheStats().misses, 1u);
}

void TestResolverCache::ownerNamesFollowTheQuestion()
{
    Catalog c;
    c.registerInstance(QStringLiteral("n1"), QStringLiteral("10.0.0.1"), QStringLiteral("api"), QStringLiteral("api1"),
                       model::status::Passing, {QStringLiteral("v1")});
    Resolver r = makeResolver(c.store);
    for (const QString &name : {QStringLiteral("api.service.consul."), QStringLiteral("API.Service.Consul."),
                                QStringLiteral("api.service.dc1.consul."), QStringLiteral("v1.api.service.consul.")}) {
        const Message reply = r.resolve(query(name, type::A), Transport::Udp).response;
        QCOMPARE(reply.answers.size(), 1);
        QCOMPARE(reply.answers[0].name, name);
    }
    const Message srv = r.resolve(query(QStringLiteral("_api._v1.service.consul."), type::SRV), Transport::Udp).response;
    QCOMPARE(srv.answers.value(0).name, QStringLiteral("_api._v1.service.consul."));
    QCOMPARE(srv.additional.value(0).name, QStringLiteral("n1.node.dc1.consul."));
}

void TestResolverCache::boundedInSize()
{
    Catalog c;
    Resolver r = makeResolver(c.store);
    for (int i = 0; i <= Resolver::kMaxCachedServices; ++i)
        r.resolve(query(QStringLiteral("s%1.service.consul.").arg(i), type::A), Transport::Udp);
    QVERIFY(r.cacheStats().entries <= Resolver::kMaxCachedServices);
    QVERIFY(r.cacheStats().entries >= 1);
}

void TestResolverCache::packetsMatchTheMessagePath()
{
    // handlePacket writes service replies from the records the cache keeps encoded; resolve()
    // builds the Message that encode() turns into bytes. Through random catalogs, questions,
    // transports, EDNS sizes and configs the two must give the same bytes, shuffle included.
    Catalog c;
    QRandomGenerator rng(20261204);
    quint32 state = 0;
    const Resolver::Random random = [&state](quint32 bound) {
        state = state * 1664525u + 1013904223u;
        return (state >> 8) % bound;
    };
    const QStringList statuses{model::status::Passing, model::status::Passing, model::status::Warning,
                               model::status::Critical};
    auto address = [&](int i) {
        switch (rng.bounded(6)) {
        case 0: return QStringLiteral("2001:db8::%1").arg(i + 1);
        case 1: return QStringLiteral("host%1.example.").arg(i % 7);
        default: return QStringLiteral("10.%1.%2.%3").arg(rng.bounded(2)).arg(i / 200).arg(i % 200 + 1);
        }
    };
    auto meta = [&]() {
        QMap<QString, QString> m;
        for (int k = int(rng.bounded(4)); k > 0; --k)
            m.insert(QStringLiteral("key%1").arg(rng.bounded(5)), rng.bounded(2) ? QStringLiteral("v=`x") : QString(rng.bounded(80), QLatin1Char('m')));
        return m;
    };
    // "big" gets long node names so that a TCP SRV reply passes the 0x3FFF compression pointer limit.
    for (int i = 0; i < 300; ++i) {
        const QString node = QStringLiteral("Big-Node-With-A-Rather-Long-Name-%1").arg(i);
        c.registerInstance(node, QStringLiteral("10.9.%1.%2").arg(i / 200).arg(i % 200 + 1), QStringLiteral("big"),
                           QStringLiteral("big%1").arg(i), model::status::Passing);
        c.setNode(node, QStringLiteral("10.9.%1.%2").arg(i / 200).arg(i % 200 + 1), meta());
    }
    const QStringList names{
        QStringLiteral("svc0.service.consul."),  QStringLiteral("SVC1.Service.CONSUL."),
        QStringLiteral("v1.svc0.service.consul."), QStringLiteral("_svc2._tcp.service.consul."),
        QStringLiteral("_svc1._v1.consul."),     QStringLiteral("svc2.service.dc1.consul."),
        QStringLiteral("svc0.service.alt."),     QStringLiteral("big.service.consul."),
        QStringLiteral("BIG.service.alt."),      QStringLiteral("nosuch.service.consul."),
        QStringLiteral("n3.node.consul."),       QStringLiteral("elsewhere.example."),
    };
    const QList<quint16> qtypes{type::A, type::AAAA, type::ANY, type::TXT, type::SRV, type::SRV, type::MX};
    const QList<std::optional<quint16>> ednsSizes{std::nullopt, std::nullopt, quint16(512), quint16(700),
                                                  quint16(1232), quint16(4096), quint16(65535)};
    int compared = 0, big = 0;
    for (int round = 0; round < 60; ++round) {
        for (int w = int(rng.bounded(1, 6)); w > 0; --w) {
            const int i = int(rng.bounded(40));
            const QString node = QStringLiteral("%1%2").arg(rng.bounded(3) ? QStringLiteral("n") : QStringLiteral("Web-N")).arg(i);
            if (rng.bounded(8) == 0) {
                c.deregister(node);
                continue;
            }
            const int s = int(rng.bounded(3));
            c.registerInstance(node, address(i), QStringLiteral("svc%1").arg(s),
                               QStringLiteral("svc%1-%2").arg(s).arg(rng.bounded(3)), statuses[rng.bounded(4)],
                               rng.bounded(2) ? QStringList{QStringLiteral("v1")} : QStringList{},
                               rng.bounded(3) == 0 ? address(i + int(rng.bounded(3))) : QString(),
                               8000 + int(rng.bounded(2)));
            if (rng.bounded(3) == 0)
                c.setNode(node, address(i), meta());
        }
        ResolverConfig cfg;
        cfg.altDomain = QStringLiteral("alt.");
        cfg.udpAnswerLimit = int(rng.bounded(1, 9));
        cfg.enableTruncate = rng.bounded(2);
        cfg.aRecordLimit = rng.bounded(3) == 0 ? 2 : 0;
        cfg.onlyPassing = rng.bounded(4) == 0;
        cfg.enableAdditionalNodeMetaTxt = rng.bounded(4) != 0;
        cfg.serviceTtl = {{QStringLiteral("svc*"), 7}};
        const Resolver r(cfg, c.store, random, [] { return 1700000000u; });
        for (int k = 0; k < 60; ++k) {
            Message q = query(names[rng.bounded(int(names.size()))], qtypes[rng.bounded(int(qtypes.size()))],
                              ednsSizes[rng.bounded(int(ednsSizes.size()))]);
            q.header.rd = rng.bounded(2);
            const Transport t = rng.bounded(3) ? Transport::Udp : Transport::Tcp;
            const quint32 seed = rng.generate();
            state = seed;
            const QByteArray expected = encode(r.resolve(q, t).response);
            state = seed;
            const QByteArray got = r.handlePacket(encode(q), t).reply;
            if (got != expected) {
                qWarning() << q.questions.first().name << q.questions.first().qtype << int(t)
                           << (q.edns ? int(q.edns->udpSize) : -1) << cfg.udpAnswerLimit;
            }
            QCOMPARE(got.toHex(), expected.toHex());
            ++compared;
            big += got.size() > 0x3FFF;
        }
    }
    QVERIFY(compared == 3600);
    QVERIFY(big > 0);
}

void TestResolverCache::packetTrimmingKeepsAdditionalInStep()
{
    Catalog c;
    for (int i = 0; i < 60; ++i) {
        const QString node = QStringLiteral("node-%1").arg(i);
        c.registerInstance(node, QStringLiteral("10.0.0.%1").arg(i + 1), QStringLiteral("api"), QStringLiteral("api%1").arg(i),
                           model::status::Passing);
        c.setNode(node, QStringLiteral("10.0.0.%1").arg(i + 1), {{QStringLiteral("rack"), QStringLiteral("r%1").arg(i % 3)}});
    }
    ResolverConfig cfg;
    cfg.enableTruncate = true;
    auto rng = std::make_shared<QRandomGenerator>(5);
    const Resolver r(cfg, c.store, [rng](quint32 bound) { return quint32(rng->bounded(bound)); }, [] { return 0u; });
    struct Case {
        std::optional<quint16> edns;
        Transport transport;
        int maxSize;
    };
    for (const Case &k : {Case{std::nullopt, Transport::Udp, 504}, Case{quint16(1232), Transport::Udp, 1224},
                          Case{std::nullopt, Transport::Tcp, 65523}}) {
        const QByteArray reply = r.handlePacket(encode(query(QStringLiteral("api.service.consul."), type::SRV, k.edns)),
                                                k.transport).reply;
        const DecodeResult d = decode(reply);
        QVERIFY(d.message);
        const Message &m = *d.message;
        QVERIFY(reply.size() <= k.maxSize);
        if (!k.edns && k.transport == Transport::Udp) {
            QCOMPARE(m.answers.size(), 3);  // udp_answer_limit
            QVERIFY(encode(m, false).size() <= k.maxSize);
        }
        QCOMPARE(m.header.tc, m.answers.size() < 60 && k.transport == Transport::Udp);
        QCOMPARE(m.answers.size() == 60, k.transport == Transport::Tcp);
        // Each answered target has its A and its TXT record in the additional section, in that
        // order, and nothing else is there.
        QMap<QString, QList<quint16>> expected, additional;
        for (const ResourceRecord &rr : m.answers) {
            QCOMPARE(rr.name, QStringLiteral("api.service.consul."));
            expected.insert(rr.srv.target, {type::A, type::TXT});
        }
        for (const ResourceRecord &rr : m.additional)
            additional[rr.name].append(rr.type);
        QCOMPARE(additional, expected);
    }
}

QTEST_APPLESS_MAIN(TestResolverCache)
#include "tst_resolver_cache.moc"
