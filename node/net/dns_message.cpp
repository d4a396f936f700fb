#include "net/dns_message.h"

#include <QHash>

#include <cctype>

namespace conclave::net::dns {

namespace {

constexpr int kHeaderSize = 12;
constexpr int kMaxLabel = 63;
constexpr int kMaxName = 255;  // wire octets, including the length octets and the root
constexpr int kMaxPointerOffset = 0x3FFF;

bool isKnownClass(quint16 c)
{
    return c == rrclass::IN || c == rrclass::CH || c == rrclass::HS || c == rrclass::NONE || c == rrclass::ANY;
}

// ---------------------------------------------------------------- reading

class Reader {
public:
    explicit Reader(const QByteArray &data) : m_data(data) {}

    int pos() const { return m_pos; }
    int remaining() const { return int(m_data.size()) - m_pos; }
    DecodeError error() const { return m_error; }
    bool ok() const { return m_error == DecodeError::None; }
    void fail(DecodeError e)
    {
        if (m_error == DecodeError::None)
            m_error = e;
    }

    quint8 u8()
    {
        if (remaining() < 1) {
            fail(DecodeError::Truncated);
            return 0;
        }
        return quint8(m_data[m_pos++]);
    }
    quint16 u16()
    {
        if (remaining() < 2) {
            fail(DecodeError::Truncated);
            return 0;
        }
        const quint16 v = quint16((quint8(m_data[m_pos]) << 8) | quint8(m_data[m_pos + 1]));
        m_pos += 2;
        return v;
    }
    quint32 u32()
    {
        const quint32 hi = u16();
        const quint32 lo = u16();
        return (hi << 16) | lo;
    }
    QByteArray bytes(int n)
    {
        if (n < 0 || remaining() < n) {
            fail(DecodeError::Truncated);
            return {};
        }
        QByteArray out = m_data.mid(m_pos, n);
        m_pos += n;
        return out;
    }

    // RFC 1035 §4.1.4. A pointer must point before the start of the label sequence that holds
    // it, which rules out loops and forward references without a hop counter.
    QString name()
    {
        QList<QByteArray> labels;
        int wireLength = 1;  // the root octet
        int p = m_pos;
        int limit = m_pos;   // pointers must go below this
        bool jumped = false;
        while (true) {
            if (p >= m_data.size()) {
                fail(DecodeError::Truncated);
                return {};
            }
            const quint8 len = quint8(m_data[p]);
            if ((len & 0xC0) == 0xC0) {
                if (p + 1 >= m_data.size()) {
                    fail(DecodeError::Truncated);
                    return {};
                }
                const int target = ((len & 0x3F) << 8) | quint8(m_data[p + 1]);
                if (!jumped)
                    m_pos = p + 2;
                jumped = true;
                if (target >= limit) {
                    fail(DecodeError::BadPointer);
                    return {};
                }
                limit = target;
                p = target;
                continue;
            }
            if ((len & 0xC0) != 0) {  // 01 and 10 label types are reserved / obsolete
                fail(DecodeError::LabelTooLong);
                return {};
            }
            if (len == 0) {
                if (!jumped)
                    m_pos = p + 1;
                break;
            }
            if (p + 1 + len > m_data.size()) {
                fail(DecodeError::Truncated);
                return {};
            }
            wireLength += 1 + len;
            if (wireLength > kMaxName) {
                fail(DecodeError::NameTooLong);
                return {};
            }
            labels.append(m_data.mid(p + 1, len));
            p += 1 + len;
        }
        return labelsToName(labels);
    }

private:
    const QByteArray &m_data;
    int m_pos = 0;
    DecodeError m_error = DecodeError::None;
};

bool readRecord(Reader &r, ResourceRecord &rr, std::optional<Edns> *edns, bool *isOpt)
{
    *isOpt = false;
    rr.name = r.name();
    rr.type = r.u16();
    rr.rrClass = r.u16();
    rr.ttl = r.u32();
    const int rdlength = r.u16();
    if (!r.ok())
        return false;
    if (r.remaining() < rdlength) {
        r.fail(DecodeError::Truncated);
        return false;
    }
    const int end = r.pos() + rdlength;
    if (rr.type == type::OPT) {
        if (!edns || rr.name != QLatin1String(".") || edns->has_value()) {
            r.fail(DecodeError::BadOpt);
            return false;
        }
        Edns e;
        e.udpSize = rr.rrClass;
        e.extendedRcode = quint8(rr.ttl >> 24);
        e.version = quint8(rr.ttl >> 16);
        e.dnssecOk = (rr.ttl & 0x8000) != 0;
        e.options = r.bytes(rdlength);
        *edns = e;
        *isOpt = true;
        return r.ok();
    }
    if (!isKnownClass(rr.rrClass)) {
        r.fail(DecodeError::BadClass);
        return false;
    }
    switch (rr.type) {
    case type::A:
    case type::AAAA:
        if (rdlength != (rr.type == type::A ? 4 : 16)) {
            r.fail(DecodeError::BadRdata);
            return false;
        }
        rr.address = r.bytes(rdlength);
        break;
    case type::CNAME:
    case type::NS:
    case type::PTR:
        rr.target = r.name();
        break;
    case type::SOA:
        rr.soa.mname = r.name();
        rr.soa.rname = r.name();
        rr.soa.serial = r.u32();
        rr.soa.refresh = r.u32();
        rr.soa.retry = r.u32();
        rr.soa.expire = r.u32();
        rr.soa.minimum = r.u32();
        break;
    case type::SRV:
        rr.srv.priority = r.u16();
        rr.srv.weight = r.u16();
        rr.srv.port = r.u16();
        rr.srv.target = r.name();
        break;
    case type::TXT:
        while (r.ok() && r.pos() < end) {
            const int n = r.u8();
            rr.txt.append(r.bytes(n));
        }
        break;
    default:
        rr.rdata = r.bytes(rdlength);
        break;
    }
    if (!r.ok())
        return false;
    if (r.pos() != end) {
        r.fail(DecodeError::BadRdata);
        return false;
    }
    return true;
}

// ---------------------------------------------------------------- writing

class Writer {
public:
    explicit Writer(bool compress) : m_compress(compress) { m_out.reserve(512); }

    QByteArray &out() { return m_out; }
    void u8(quint8 v) { m_out.append(char(v)); }
    void u16(quint16 v)
    {
        m_out.append(char(v >> 8));
        m_out.append(char(v & 0xFF));
    }
    void u32(quint32 v)
    {
        u16(quint16(v >> 16));
        u16(quint16(v & 0xFFFF));
    }
    void patch16(int at, quint16 v)
    {
        m_out[at] = char(v >> 8);
        m_out[at + 1] = char(v & 0xFF);
    }

    // Compression matches suffixes case-sensitively, so a pointer never changes a name's case.
    void name(const QString &text, bool mayCompress)
    {
        QList<QByteArray> labels = nameLabels(text);
        int wire = 1;
        for (const QByteArray &l : labels) {
            wire += 1 + int(l.size());
            if (l.isEmpty() || l.size() > kMaxLabel)
                wire = kMaxName + 1;
        }
        if (wire > kMaxName)
            labels.clear();
        for (int i = 0; i < labels.size(); ++i) {
            QByteArray key;
            if (m_compress) {
                for (int j = i; j < labels.size(); ++j) {
                    key.append(char(labels[j].size()));
                    key.append(labels[j]);
                }
                if (mayCompress) {
                    const auto it = m_offsets.constFind(key);
                    if (it != m_offsets.cend()) {
                        u16(quint16(0xC000 | it.value()));
                        return;
                    }
                }
                if (m_out.size() <= kMaxPointerOffset && !m_offsets.contains(key))
                    m_offsets.insert(key, int(m_out.size()));
            }
            u8(quint8(labels[i].size()));
            m_out.append(labels[i]);
        }
        u8(0);
    }

    void record(const ResourceRecord &rr)
    {
        name(rr.name, true);
        u16(rr.type);
        u16(rr.rrClass);
        u32(rr.ttl);
        const int lenAt = int(m_out.size());
        u16(0);
        const int start = int(m_out.size());
        switch (rr.type) {
        case type::A:
        case type::AAAA:
            m_out.append(rr.address);
            break;
        case type::CNAME:
        case type::NS:
        case type::PTR:
            name(rr.target, true);
            break;
        case type::SOA:
            name(rr.soa.mname, true);
            name(rr.soa.rname, true);
            u32(rr.soa.serial);
            u32(rr.soa.refresh);
            u32(rr.soa.retry);
            u32(rr.soa.expire);
            u32(rr.soa.minimum);
            break;
        case type::SRV:
            u16(rr.srv.priority);
            u16(rr.srv.weight);
            u16(rr.srv.port);
            name(rr.srv.target, false);
            break;
        case type::TXT:
            for (const QByteArray &s : rr.txt) {
                const QByteArray part = s.left(255);
                u8(quint8(part.size()));
                m_out.append(part);
            }
            break;
        default:
            m_out.append(rr.rdata);
            break;
        }
        patch16(lenAt, quint16(m_out.size() - start));
    }

private:
    QByteArray m_out;
    bool m_compress;
    QHash<QByteArray, int> m_offsets;  // wire form of a name suffix → its offset
};

}  // namespace

QString lowerName(const QString &name)
{
    QString out = name;
    for (QChar &c : out) {
        if (c.unicode() >= 'A' && c.unicode() <= 'Z')
            c = QChar(c.unicode() + ('a' - 'A'));
    }
    return out;
}

QList<QByteArray> nameLabels(const QString &name)
{
    QList<QByteArray> labels;
    const QByteArray text = name.toLatin1();
    QByteArray cur;
    bool any = false;
    for (int i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\\' && i + 1 < text.size()) {
            if (i + 3 < text.size() && std::isdigit(quint8(text[i + 1])) && std::isdigit(quint8(text[i + 2])) &&
                std::isdigit(quint8(text[i + 3]))) {
                cur.append(char((text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0')));
                i += 3;
            } else {
                cur.append(text[++i]);
            }
            any = true;
        } else if (c == '.') {
            if (any)
                labels.append(cur);
            cur.clear();
            any = false;
        } else {
            cur.append(c);
            any = true;
        }
    }
    if (any)
        labels.append(cur);
    return labels;
}

QString labelsToName(const QList<QByteArray> &labels)
{
    if (labels.isEmpty())
        return QStringLiteral(".");
    QByteArray out;
    for (const QByteArray &l : labels) {
        for (const char ch : l) {
            const quint8 c = quint8(ch);
            if (c == '.' || c == '\\') {
                out.append('\\');
                out.append(ch);
            } else if (c <= 0x20 || c >= 0x7F) {
                out.append('\\');
                out.append(QByteArray::number(c).rightJustified(3, '0'));
            } else {
                out.append(ch);
            }
        }
        out.append('.');
    }
    return QString::fromLatin1(out);
}

DecodeResult decode(const QByteArray &packet)
{
    DecodeResult result;
    if (packet.size() < kHeaderSize) {
        result.error = DecodeError::ShortHeader;
        return result;
    }
    Reader r(packet);
    Header &h = result.header;
    h.id = r.u16();
    const quint16 flags = r.u16();
    h.qr = flags & 0x8000;
    h.opcode = quint8((flags >> 11) & 0xF);
    h.aa = flags & 0x0400;
    h.tc = flags & 0x0200;
    h.rd = flags & 0x0100;
    h.ra = flags & 0x0080;
    h.ad = flags & 0x0020;
    h.cd = flags & 0x0010;
    h.rcode = quint8(flags & 0xF);
    const int qd = r.u16(), an = r.u16(), ns = r.u16(), ar = r.u16();
    // Only queries get a FORMERR; answering a malformed response could bounce forever.
    auto reject = [&](DecodeError e) {
        result.error = e;
        result.answerFormErr = !h.qr;
        return result;
    };
    if (qd != 1)
        return reject(DecodeError::BadQuestionCount);

    Message msg;
    msg.header = h;
    Question q;
    q.name = r.name();
    q.qtype = r.u16();
    q.qclass = r.u16();
    if (!r.ok())
        return reject(r.error());
    if (!isKnownClass(q.qclass))
        return reject(DecodeError::BadClass);
    msg.questions.append(q);

    auto section = [&](int count, QList<ResourceRecord> &out, bool additional) {
        for (int i = 0; i < count; ++i) {
            ResourceRecord rr;
            bool isOpt = false;
            if (!readRecord(r, rr, additional ? &msg.edns : nullptr, &isOpt)) {
                if (r.ok())
                    r.fail(DecodeError::BadOpt);
                return false;
            }
            if (!isOpt)
                out.append(rr);
        }
        return true;
    };
    if (!section(an, msg.answers, false) || !section(ns, msg.authority, false) ||
        !section(ar, msg.additional, true))
        return reject(r.error());
    if (r.remaining() != 0)
        return reject(DecodeError::TrailingData);
    result.message = std::move(msg);
    return result;
}

QByteArray encode(const Message &msg, bool compress)
{
    Writer w(compress);
    const Header &h = msg.header;
    w.u16(h.id);
    quint16 flags = 0;
    flags |= h.qr ? 0x8000 : 0;
    flags |= quint16((h.opcode & 0xF) << 11);
    flags |= h.aa ? 0x0400 : 0;
    flags |= h.tc ? 0x0200 : 0;
    flags |= h.rd ? 0x0100 : 0;
    flags |= h.ra ? 0x0080 : 0;
    flags |= h.ad ? 0x0020 : 0;
    flags |= h.cd ? 0x0010 : 0;
    flags |= h.rcode & 0xF;
    w.u16(flags);
    w.u16(quint16(msg.questions.size()));
    w.u16(quint16(msg.answers.size()));
    w.u16(quint16(msg.authority.size()));
    w.u16(quint16(msg.additional.size() + (msg.edns ? 1 : 0)));
    for (const Question &q : msg.questions) {
        w.name(q.name, true);
        w.u16(q.qtype);
        w.u16(q.qclass);
    }
    for (const auto *sectionList : {&msg.answers, &msg.authority, &msg.additional}) {
        for (const ResourceRecord &rr : *sectionList)
            w.record(rr);
    }
    if (msg.edns) {
        const Edns &e = *msg.edns;
        w.u8(0);
        w.u16(type::OPT);
        w.u16(e.udpSize);
        w.u32((quint32(e.extendedRcode) << 24) | (quint32(e.version) << 16) | (e.dnssecOk ? 0x8000u : 0u));
        w.u16(quint16(e.options.size()));
        w.out().append(e.options);
    }
    return w.out();
}

QByteArray formErrReply(const Header &queryHeader)
{
    Message m;
    m.header.id = queryHeader.id;
    m.header.qr = true;
    m.header.opcode = queryHeader.opcode;
    m.header.rd = queryHeader.rd;
    m.header.rcode = quint8(Rcode::FormErr);
    return encode(m);
}

Message errorReply(const Message &query, Rcode rcode, bool recursionAvailable)
{
    Message m;
    m.header.id = query.header.id;
    m.header.qr = true;
    m.header.opcode = query.header.opcode;
    m.header.rd = query.header.rd;
    m.header.ra = recursionAvailable;
    m.header.rcode = quint8(rcode);
    m.questions = query.questions;
    if (query.edns) {
        Edns e;
        e.udpSize = query.edns->udpSize;
        m.edns = e;
    }
    return m;
}

QByteArray parseIpAddress(const QString &text)
{
    const QByteArray s = text.toLatin1();
    if (s.isEmpty())
        return {};
    if (!s.contains(':')) {
        const QList<QByteArray> parts = s.split('.');
        if (parts.size() != 4)
            return {};
        QByteArray out;
        for (const QByteArray &p : parts) {
            if (p.isEmpty() || p.size() > 3)
                return {};
            bool ok = false;
            const int v = p.toInt(&ok, 10);
            if (!ok || v < 0 || v > 255 || !std::isdigit(quint8(p[0])))
                return {};
            out.append(char(v));
        }
        return out;
    }
    // IPv6 (RFC 4291 §2.2): groups of hex, at most one "::", optional trailing dotted IPv4.
    QList<quint16> head, tail;
    bool seenGap = false;
    QByteArray rest = s;
    const int gap = rest.indexOf("::");
    if (gap >= 0) {
        if (rest.indexOf("::", gap + 1) >= 0)
            return {};
        seenGap = true;
    }
    auto parseGroups = [](const QByteArray &part, QList<quint16> &out) {
        if (part.isEmpty())
            return true;
        const QList<QByteArray> groups = part.split(':');
        for (int i = 0; i < groups.size(); ++i) {
            const QByteArray &g = groups[i];
            if (i == groups.size() - 1 && g.contains('.')) {
                const QByteArray v4 = parseIpAddress(QString::fromLatin1(g));
                if (v4.size() != 4)
                    return false;
                out.append(quint16((quint8(v4[0]) << 8) | quint8(v4[1])));
                out.append(quint16((quint8(v4[2]) << 8) | quint8(v4[3])));
                continue;
            }
            if (g.isEmpty() || g.size() > 4)
                return false;
            bool ok = false;
            const uint v = g.toUInt(&ok, 16);
            if (!ok)
                return false;
            out.append(quint16(v));
        }
        return true;
    };
    if (seenGap) {
        if (!parseGroups(rest.left(gap), head) || !parseGroups(rest.mid(gap + 2), tail))
            return {};
        if (head.size() + tail.size() > 7)
            return {};
    } else {
        if (!parseGroups(rest, head) || head.size() != 8)
            return {};
    }
    QList<quint16> all = head;
    for (int i = int(head.size() + tail.size()); i < 8; ++i)
        all.append(0);
    all.append(tail);
    QByteArray out;
    for (const quint16 g : all) {
        out.append(char(g >> 8));
        out.append(char(g & 0xFF));
    }
    return out;
}

}  // namespace conclave::net::dns
