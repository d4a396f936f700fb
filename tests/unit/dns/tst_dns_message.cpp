// DNS codec: dig-captured queries decode to the right fields and re-encode byte for byte, a hand-
// checked reply with name compression (RFC 1035 §4.1.4), round trips of every RR type we know,
// and a table of hostile packets with the outcome the server must choose (FORMERR or silence).

#include "net/dns_message.h"

#include <QtTest>

using namespace conclave::net::dns;

Q_DECLARE_METATYPE(conclave::net::dns::DecodeError)

namespace {

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text).replace(' ', ""));
}

// `dig @127.0.0.1 -p 5399 web.service.consul` (BIND 9.18: RD+AD, EDNS 1232 with a cookie).
const char *kDigA = "a775 0120 0001 0000 0000 0001 03776562 0773657276696365 06636f6e73756c 00 0001 0001"
                    " 00 0029 04d0 00000000 000c 000a0008aeef7428ff8ab893";
// `dig @127.0.0.1 -p 5399 _web._tcp.service.consul SRV +noedns`.
const char *kDigSrv = "4606 0120 0001 0000 0000 0000 045f776562 045f746370 0773657276696365 06636f6e73756c 00"
                      " 0021 0001";

QByteArray header(quint16 flags, int qd, int an = 0, int ns = 0, int ar = 0)
{
    QByteArray h;
    auto u16 = [&h](int v) {
        h.append(char((v >> 8) & 0xFF));
        h.append(char(v & 0xFF));
    };
    u16(0x1234);
    u16(flags);
    u16(qd);
    u16(an);
    u16(ns);
    u16(ar);
    return h;
}

const QByteArray kQuestionA = hex("03776562 0773657276696365 06636f6e73756c 00 0001 0001");  // web.service.consul A IN

}  // namespace

class TestDnsMessage : public QObject {
    Q_OBJECT
private slots:
    void decodesDigQueries_data();
    void decodesDigQueries();
    void encodesReplyWithCompressionGolden();
    void roundTripsEveryRecordType_data();
    void roundTripsEveryRecordType();
    void compressionShrinksRepeatedNames();
    void srvTargetIsNeverCompressed();
    void compressionReusesLongestSuffixCaseSensitively();
    void pointersOnlyReachFirst16K();
    void unencodableNamesBecomeTheRoot();
    void preEncodedRecordsWriteWhatEncodeWrites();
    void escapesOddLabels();
    void hostilePackets_data();
    void hostilePackets();
    void formErrReplyEchoesIdAndRd();
    void errorReplyEchoesEdns();
    void parsesIpAddresses_data();
    void parsesIpAddresses();
};

void TestDnsMessage::decodesDigQueries_data()
{
    QTest::addColumn<QByteArray>("packet");
    QTest::addColumn<quint16>("id");
    QTest::addColumn<QString>("name");
    QTest::addColumn<quint16>("qtype");
    QTest::addColumn<int>("ednsSize");  // -1 = no OPT

    QTest::newRow("A with EDNS cookie") << hex(kDigA) << quint16(0xa775) << QStringLiteral("web.service.consul.")
                                        << type::A << 1232;
    QTest::newRow("RFC 2782 SRV without EDNS") << hex(kDigSrv) << quint16(0x4606)
                                               << QStringLiteral("_web._tcp.service.consul.") << type::SRV << -1;
}

void TestDnsMessage::decodesDigQueries()
{
    QFETCH(QByteArray, packet);
    QFETCH(quint16, id);
    QFETCH(QString, name);
    QFETCH(quint16, qtype);
    QFETCH(int, ednsSize);

    const DecodeResult r = decode(packet);
    QVERIFY(r.message);
    QCOMPARE(r.error, DecodeError::None);
    const Message &m = *r.message;
    QCOMPARE(m.header.id, id);
    QVERIFY(!m.header.qr);
    QVERIFY(m.header.rd);
    QVERIFY(m.header.ad);
    QCOMPARE(m.header.opcode, quint8(0));
    QCOMPARE(m.questions.size(), 1);
    QCOMPARE(m.questions[0].name, name);
    QCOMPARE(m.questions[0].qtype, qtype);
    QCOMPARE(m.questions[0].qclass, rrclass::IN);
    QVERIFY(m.additional.isEmpty());  // OPT lives in m.edns, not in the section
    QCOMPARE(m.edns.has_value(), ednsSize >= 0);
    if (m.edns) {
        QCOMPARE(int(m.edns->udpSize), ednsSize);
        QCOMPARE(m.edns->options, hex("000a0008aeef7428ff8ab893"));  // the cookie, passed through
    }
    // And back to the very same bytes.
    QCOMPARE(encode(m), packet);
}

void TestDnsMessage::encodesReplyWithCompressionGolden()
{
    Message m;
    m.header.id = 0x1234;
    m.header.qr = true;
    m.header.aa = true;
    m.header.rd = true;
    m.questions = {Question{QStringLiteral("web.service.consul."), type::A, rrclass::IN}};
    ResourceRecord a;
    a.name = QStringLiteral("web.service.consul.");
    a.type = type::A;
    a.address = hex("0a000001");
    m.answers = {a};
    ResourceRecord soa;
    soa.name = QStringLiteral("consul.");
    soa.type = type::SOA;
    soa.soa = Soa{QStringLiteral("ns.consul."), QStringLiteral("hostmaster.consul."), 7, 3600, 600, 86400, 0};
    m.authority = {soa};

    const QByteArray expected = hex(
        "1234 8500 0001 0001 0001 0000"
        " 03776562 0773657276696365 06636f6e73756c 00 0001 0001"  // question at offset 12
        " c00c 0001 0001 00000000 0004 0a000001"                    // owner → pointer to 12
        " c018 0006 0001 00000000 0026"                             // "consul." at offset 24
        " 026e73 c018"                                              // ns.consul.
        " 0a686f73746d6173746572 c018"                              // hostmaster.consul.
        " 00000007 00000e10 00000258 00015180 00000000");
    QCOMPARE(encode(m).toHex(' '), expected.toHex(' '));
}

void TestDnsMessage::roundTripsEveryRecordType_data()
{
    QTest::addColumn<bool>("compress");
    QTest::newRow("compressed") << true;
    QTest::newRow("uncompressed") << false;
}

void TestDnsMessage::roundTripsEveryRecordType()
{
    QFETCH(bool, compress);
    Message m;
    m.header.id = 0xbeef;
    m.header.qr = true;
    m.header.aa = true;
    m.header.tc = true;
    m.header.ra = true;
    m.header.rcode = quint8(Rcode::NxDomain);
    m.questions = {Question{QStringLiteral("Web.Service.consul."), type::ANY, rrclass::IN}};
    auto rr = [](const char *name, quint16 t, quint32 ttl) {
        ResourceRecord r;
        r.name = QString::fromLatin1(name);
        r.type = t;
        r.ttl = ttl;
        return r;
    };
    ResourceRecord a = rr("web.service.consul.", type::A, 30);
    a.address = hex("c0a8010a");
    ResourceRecord aaaa = rr("web.service.consul.", type::AAAA, 30);
    aaaa.address = hex("20010db8000100020000cafe00001337");
    ResourceRecord cname = rr("alias.service.consul.", type::CNAME, 0);
    cname.target = QStringLiteral("example.com.");
    ResourceRecord ns = rr("consul.", type::NS, 0);
    ns.target = QStringLiteral("server1.node.dc1.consul.");
    ResourceRecord ptr = rr("1.0.0.10.in-addr.arpa.", type::PTR, 0);
    ptr.target = QStringLiteral("node-a.node.dc1.consul.");
    ResourceRecord soa = rr("consul.", type::SOA, 0);
    soa.soa = Soa{QStringLiteral("ns.consul."), QStringLiteral("hostmaster.consul."), 1700000000, 3600, 600, 86400, 0};
    ResourceRecord srv = rr("web.service.consul.", type::SRV, 0);
    srv.srv = Srv{1, 5, 8080, QStringLiteral("node-a.node.dc1.consul.")};
    ResourceRecord txt = rr("node-a.node.dc1.consul.", type::TXT, 0);
    txt.txt = {QByteArray("rack=r1"), QByteArray(), QByteArray("a`=b=c")};
    ResourceRecord unknown = rr("web.service.consul.", 99, 5);
    unknown.rdata = hex("00ff10");
    m.answers = {a, aaaa, cname, srv, txt};
    m.authority = {ns, soa};
    m.additional = {ptr, unknown};
    m.edns = Edns{4096, 0, 0, true, hex("000a0008aeef7428ff8ab893")};

    const QByteArray wire = encode(m, compress);
    DecodeResult r = decode(wire);
    // decode() is for queries but reads any single-question message.
    QVERIFY2(r.message, qPrintable(QString::number(int(r.error))));
    QCOMPARE(*r.message, m);
    QCOMPARE(encode(*r.message, compress), wire);
}

void TestDnsMessage::compressionShrinksRepeatedNames()
{
    Message m;
    m.questions = {Question{QStringLiteral("web.service.consul."), type::A, rrclass::IN}};
    for (int i = 0; i < 5; ++i) {
        ResourceRecord a;
        a.name = QStringLiteral("web.service.consul.");
        a.address = QByteArray(4, char(i));
        m.answers.append(a);
    }
    const int uncompressed = int(encode(m, false).size());
    const int compressed = int(encode(m, true).size());
    // 12 header + 24 question + 5 × (20 name + 14 fixed) vs 5 × (2 pointer + 14).
    QCOMPARE(uncompressed, 12 + 24 + 5 * (20 + 14));
    QCOMPARE(compressed, 12 + 24 + 5 * (2 + 14));
}

void TestDnsMessage::srvTargetIsNeverCompressed()
{
    Message m;
    m.questions = {Question{QStringLiteral("node-a.node.dc1.consul."), type::SRV, rrclass::IN}};
    ResourceRecord srv;
    srv.name = QStringLiteral("node-a.node.dc1.consul.");
    srv.type = type::SRV;
    srv.srv = Srv{1, 1, 80, QStringLiteral("node-a.node.dc1.consul.")};
    m.answers = {srv};
    const QByteArray wire = encode(m);
    // RFC 2782: the target is written in full even though the same name sits at offset 12.
    QVERIFY(wire.endsWith(hex("0001 0001 0050 066e6f64652d61 046e6f6465 03646331 06636f6e73756c 00")));
}

void TestDnsMessage::compressionReusesLongestSuffixCaseSensitively()
{
    Message m;
    m.questions = {Question{QStringLiteral("a.b.consul."), type::A, rrclass::IN}};
    auto cname = [](const char *name, const char *target) {
        ResourceRecord r;
        r.name = QString::fromLatin1(name);
        r.type = type::CNAME;
        r.target = QString::fromLatin1(target);
        return r;
    };
    m.answers = {cname("c.b.consul.", "a.B.consul."), cname("x\\.y.b.consul.", "x\\.y.b.consul.")};
    const QByteArray expected = hex(
        "0000 0000 0001 0002 0000 0000"
        " 0161 0162 06636f6e73756c 00 0001 0001"  // a.b.consul. at 12, b.consul. at 14, consul. at 16
        " 0163 c00e 0005 0001 00000000 0006"      // c + → b.consul.
        " 0161 0142 c010"                          // a.B + → consul.: "B" is not "b"
        " 03782e79 c00e 0005 0001 00000000 0002"   // the escaped dot stays inside its label
        " c030");                                  // the whole owner name, just written at 48
    QCOMPARE(encode(m).toHex(' '), expected.toHex(' '));
    const DecodeResult back = decode(encode(m));
    QVERIFY(back.message);
    QCOMPARE(*back.message, m);
}

void TestDnsMessage::pointersOnlyReachFirst16K()
{
    // Enough TXT records to push later names past offset 0x3FFF, where no pointer can reach.
    Message m;
    m.questions = {Question{QStringLiteral("early.consul."), type::TXT, rrclass::IN}};
    ResourceRecord filler;
    filler.name = QStringLiteral("early.consul.");
    filler.type = type::TXT;
    filler.txt = {QByteArray(255, 'x')};
    for (int i = 0; i < 70; ++i)
        m.answers.append(filler);
    ResourceRecord late = filler;
    late.name = QStringLiteral("late.consul.");
    late.txt = {QByteArray("y")};
    m.answers.append(late);
    m.answers.append(late);
    m.answers.append(filler);
    const QByteArray wire = encode(m);
    QVERIFY(wire.size() > 0x3FFF);
    const DecodeResult back = decode(wire);
    QVERIFY(back.message);
    QCOMPARE(*back.message, m);
    // "late" sits beyond 0x3FFF both times: written out in full, its "consul." still a pointer;
    // the last record's owner points back to the question.
    const QByteArray lateWire = hex("046c617465 c012 0010 0001 00000000 0002 0179");
    QCOMPARE(wire.count(lateWire), 2);
    QVERIFY(wire.endsWith(hex("c00c 0010 0001 00000000 0100") + QByteArray(1, char(255)) + QByteArray(255, 'x')));
}

void TestDnsMessage::unencodableNamesBecomeTheRoot()
{
    for (const QString &name : {QString(64, QLatin1Char('a')) + QLatin1Char('.'),
                                (QString(63, QLatin1Char('b')) + QLatin1Char('.')).repeated(4)}) {
        Message m;
        m.questions = {Question{name, type::A, rrclass::IN}};
        for (const bool compress : {true, false})
            QCOMPARE(encode(m, compress), hex("0000 0000 0001 0000 0000 0000 00 0001 0001"));
    }
    // 3 × 64 + 62 + 1 = 255 octets on the wire: the longest name there is.
    const QString longest = (QString(63, QLatin1Char('c')) + QLatin1Char('.')).repeated(3) + QString(61, QLatin1Char('d')) + QLatin1Char('.');
    Message m;
    m.questions = {Question{longest, type::A, rrclass::IN}};
    const DecodeResult back = decode(encode(m));
    QVERIFY(back.message);
    QCOMPARE(back.message->questions.first().name, longest);
}

void TestDnsMessage::preEncodedRecordsWriteWhatEncodeWrites()
{
    // Random replies written twice: by encode() from the Message, and by a MessageWriter from
    // names and records encoded beforehand. Owners and RDATA names come from a small pool of
    // mixed-case names (some long, so that bigger messages pass the 16K pointer limit).
    QRandomGenerator rng(3);
    QStringList pool;
    for (const char *n : {"web.service.consul.", "Web.Service.consul.", "n1.node.dc1.consul.", "N1.node.dc1.consul.",
                          "0a000001.addr.dc1.consul.", "host.example.", "consul.", "a\\.b.c."})
        pool.append(QString::fromLatin1(n));
    pool.append(QString(60, QLatin1Char('x')) + QStringLiteral(".") + QString(60, QLatin1Char('y')) + QStringLiteral(".consul."));
    pool.append(QString(64, QLatin1Char('z')) + QStringLiteral(".consul."));  // unencodable: the root
    auto randomRecord = [&]() {
        ResourceRecord rr;
        rr.name = pool[rng.bounded(int(pool.size()))];
        rr.ttl = rng.generate();
        const QList<quint16> types{type::A, type::AAAA, type::CNAME, type::NS, type::PTR, type::SRV, type::TXT, 99};
        rr.type = types[rng.bounded(int(types.size()))];
        const QString target = pool[rng.bounded(int(pool.size()))];
        switch (rr.type) {
        case type::A: rr.address = QByteArray(4, char(rng.bounded(256))); break;
        case type::AAAA: rr.address = QByteArray(16, char(rng.bounded(256))); break;
        case type::SRV: rr.srv = Srv{1, quint16(rng.bounded(3)), quint16(8000 + rng.bounded(9)), target}; break;
        case type::TXT: rr.txt = {QByteArray("rack=r1"), QByteArray(int(rng.bounded(300)), 't')}; break;
        case 99: rr.rdata = QByteArray("raw"); break;
        default: rr.target = target;
        }
        return rr;
    };
    int big = 0;
    for (int i = 0; i < 3000; ++i) {
        Message m;
        m.header.id = quint16(i);
        m.header.qr = true;
        m.header.aa = true;
        m.questions = {Question{pool[rng.bounded(int(pool.size()))], type::SRV, rrclass::IN}};
        for (QList<ResourceRecord> *section : {&m.answers, &m.authority, &m.additional}) {
            for (int k = int(rng.bounded(i % 100 == 0 ? 400 : 8)); k > 0; --k)
                section->append(randomRecord());
        }
        if (rng.bounded(2))
            m.edns = Edns{1232, 0, 0, false, hex("000a0008aeef7428ff8ab893")};
        for (const bool compress : {true, false}) {
            MessageWriter w(compress);
            w.header(m.header, 1, int(m.answers.size()), int(m.authority.size()),
                     int(m.additional.size()) + (m.edns ? 1 : 0));
            const Question &q = m.questions.first();
            w.question(EncodedName(q.name), q.qtype, q.qclass);
            int uncompressed = 12 + EncodedName(q.name).wireSize() + 4 + (m.edns ? 11 + int(m.edns->options.size()) : 0);
            for (const auto *section : {&m.answers, &m.authority, &m.additional}) {
                for (const ResourceRecord &rr : *section) {
                    const EncodedRecord e = EncodedRecord::from(rr);
                    w.record(EncodedName(rr.name), e);
                    uncompressed += EncodedName(rr.name).wireSize() + e.uncompressedSize();
                }
            }
            if (m.edns)
                w.opt(*m.edns);
            const QByteArray expected = encode(m, compress);
            QCOMPARE(w.bytes().toHex(), expected.toHex());
            QCOMPARE(w.size(), int(expected.size()));
            QCOMPARE(uncompressed, int(encode(m, false).size()));
            big += expected.size() > 0x3FFF;
        }
    }
    QVERIFY(big > 0);
}

void TestDnsMessage::escapesOddLabels()
{
    const QList<QByteArray> labels{QByteArray("a.b"), QByteArray("c\\d"), QByteArray("\x01 x")};
    const QString name = labelsToName(labels);
    QCOMPARE(name, QStringLiteral("a\\.b.c\\\\d.\\001\\032x."));
    QCOMPARE(nameLabels(name), labels);
    QCOMPARE(labelsToName({}), QStringLiteral("."));
    QVERIFY(nameLabels(QStringLiteral(".")).isEmpty());
    QCOMPARE(lowerName(QStringLiteral("WeB.Service.CONSUL.")), QStringLiteral("web.service.consul."));
}

void TestDnsMessage::hostilePackets_data()
{
    QTest::addColumn<QByteArray>("packet");
    QTest::addColumn<DecodeError>("error");
    QTest::addColumn<bool>("answerFormErr");

    const QByteArray q1 = header(0x0100, 1);
    QTest::newRow("empty packet: silence") << QByteArray() << DecodeError::ShortHeader << false;
    QTest::newRow("11 octets: silence") << header(0x0100, 1).left(11) << DecodeError::ShortHeader << false;
    QTest::newRow("qdcount 0") << header(0x0100, 0) << DecodeError::BadQuestionCount << true;
    QTest::newRow("qdcount 2") << header(0x0100, 2) + kQuestionA + kQuestionA << DecodeError::BadQuestionCount << true;
    QTest::newRow("qdcount 0 in a response: silence") << header(0x8100, 0) << DecodeError::BadQuestionCount << false;
    QTest::newRow("pointer to itself") << q1 + hex("c00c 0001 0001") << DecodeError::BadPointer << true;
    QTest::newRow("label then pointer back to the name's start (loop)")
        << q1 + hex("0161 c00c 0001 0001") << DecodeError::BadPointer << true;
    QTest::newRow("forward pointer") << q1 + hex("c010 0001 0001 0000") << DecodeError::BadPointer << true;
    QTest::newRow("pointer beyond the packet") << q1 + hex("c3ff 0001 0001") << DecodeError::BadPointer << true;
    QTest::newRow("pointer cut after one octet") << q1 + hex("c0") << DecodeError::Truncated << true;
    QTest::newRow("truncated label") << q1 + hex("05 6162") << DecodeError::Truncated << true;
    QTest::newRow("name without its root octet") << q1 + hex("03 776562") << DecodeError::Truncated << true;
    QTest::newRow("label 64 (reserved 01 type)") << q1 + QByteArray(1, char(64)) + QByteArray(64, 'a') + hex("00 0001 0001")
                                                 << DecodeError::LabelTooLong << true;
    QTest::newRow("label type 10") << q1 + hex("80 0001 0001") << DecodeError::LabelTooLong << true;
    QByteArray longName;
    for (int i = 0; i < 5; ++i)
        longName += QByteArray(1, char(63)) + QByteArray(63, 'a');
    QTest::newRow("name of 321 octets") << q1 + longName + hex("00 0001 0001") << DecodeError::NameTooLong << true;
    QTest::newRow("question without type") << q1 + hex("03776562 00") << DecodeError::Truncated << true;
    QTest::newRow("unknown question class") << q1 + hex("03776562 00 0001 0007") << DecodeError::BadClass << true;
    QTest::newRow("trailing garbage") << q1 + kQuestionA + hex("dead") << DecodeError::TrailingData << true;
    QTest::newRow("answer count without answers") << header(0x0100, 1, 1) + kQuestionA << DecodeError::Truncated << true;
    QTest::newRow("A record with rdlength 5")
        << header(0x0100, 1, 1) + kQuestionA + hex("c00c 0001 0001 00000000 0005 0a00000102")
        << DecodeError::BadRdata << true;
    QTest::newRow("rdlength past the end")
        << header(0x0100, 1, 1) + kQuestionA + hex("c00c 0001 0001 00000000 0010 0a000001")
        << DecodeError::Truncated << true;
    QTest::newRow("SRV rdata longer than its target")
        << header(0x0100, 1, 1) + kQuestionA + hex("c00c 0021 0001 00000000 0009 0001 0001 0050 00 ffff")
        << DecodeError::BadRdata << true;
    QTest::newRow("two OPT records")
        << header(0x0100, 1, 0, 0, 2) + kQuestionA + hex("00 0029 1000 00000000 0000 00 0029 1000 00000000 0000")
        << DecodeError::BadOpt << true;
    QTest::newRow("OPT in the answer section")
        << header(0x0100, 1, 1) + kQuestionA + hex("00 0029 1000 00000000 0000") << DecodeError::BadOpt << true;
    QTest::newRow("OPT not at the root")
        << header(0x0100, 1, 0, 0, 1) + kQuestionA + hex("c00c 0029 1000 00000000 0000") << DecodeError::BadOpt << true;
}

void TestDnsMessage::hostilePackets()
{
    QFETCH(QByteArray, packet);
    QFETCH(DecodeError, error);
    QFETCH(bool, answerFormErr);
    const DecodeResult r = decode(packet);
    QVERIFY(!r.message);
    QCOMPARE(int(r.error), int(error));
    QCOMPARE(r.answerFormErr, answerFormErr);
    if (answerFormErr)
        QCOMPARE(r.header.id, quint16(0x1234));
}

void TestDnsMessage::formErrReplyEchoesIdAndRd()
{
    const DecodeResult r = decode(header(0x0100, 0));
    QVERIFY(r.answerFormErr);
    QCOMPARE(formErrReply(r.header).toHex(' '), hex("1234 8101 0000 0000 0000 0000").toHex(' '));
}

void TestDnsMessage::errorReplyEchoesEdns()
{
    const Message query = *decode(hex(kDigA)).message;
    const Message reply = errorReply(query, Rcode::ServFail, true);
    QCOMPARE(reply.header.id, quint16(0xa775));
    QVERIFY(reply.header.qr && reply.header.ra && reply.header.rd && !reply.header.ad);
    QCOMPARE(reply.header.rcode, quint8(Rcode::ServFail));
    QCOMPARE(reply.questions, query.questions);
    QVERIFY(reply.edns);
    QCOMPARE(reply.edns->udpSize, quint16(1232));
    QVERIFY(reply.edns->options.isEmpty());
}

void TestDnsMessage::parsesIpAddresses_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("octets");
    QTest::newRow("v4") << QStringLiteral("192.0.2.10") << hex("c000020a");
    QTest::newRow("v4 zero") << QStringLiteral("0.0.0.0") << hex("00000000");
    QTest::newRow("v6 compressed") << QStringLiteral("2001:db8:1:2:cafe::1337") << hex("20010db800010002cafe000000001337");
    QTest::newRow("v6 loopback") << QStringLiteral("::1") << hex("00000000000000000000000000000001");
    QTest::newRow("v6 full") << QStringLiteral("1:2:3:4:5:6:7:8") << hex("00010002000300040005000600070008");
    QTest::newRow("v6 mapped v4") << QStringLiteral("::ffff:10.0.0.1") << hex("00000000000000000000ffff0a000001");
    QTest::newRow("hostname") << QStringLiteral("db.example.com") << QByteArray();
    QTest::newRow("v4 out of range") << QStringLiteral("10.0.0.256") << QByteArray();
    QTest::newRow("v4 short") << QStringLiteral("10.0.1") << QByteArray();
    QTest::newRow("v6 two gaps") << QStringLiteral("1::2::3") << QByteArray();
    QTest::newRow("v6 nine groups") << QStringLiteral("1:2:3:4:5:6:7:8:9") << QByteArray();
    QTest::newRow("empty") << QString() << QByteArray();
}

void TestDnsMessage::parsesIpAddresses()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, octets);
    QCOMPARE(parseIpAddress(text).toHex(), octets.toHex());
}

QTEST_APPLESS_MAIN(TestDnsMessage)
#include "tst_dns_message.moc"
