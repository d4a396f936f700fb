#include "net/dns_message.h"

#include <QVarLengthArray>

#include <algorithm>
#include <cctype>
#include <cstring>

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

// Presentation form of a name of at most kMaxName wire octets: each octet at most 4 characters
// ("\DDD") and one dot per label.
constexpr int kMaxNameText = 4 * kMaxName + kMaxName;

// Appends one label in presentation form and its dot: '.' and '\' escaped, octets outside
// printable ASCII as "\DDD" (zone-file form).
char *appendLabelText(char *out, const char *label, int len)
{
    for (int i = 0; i < len; ++i) {
        const quint8 c = quint8(label[i]);
        if (c == '.' || c == '\\') {
            *out++ = '\\';
            *out++ = char(c);
        } else if (c <= 0x20 || c >= 0x7F) {
            *out++ = '\\';
            *out++ = char('0' + c / 100);
            *out++ = char('0' + c / 10 % 10);
            *out++ = char('0' + c % 10);
        } else {
            *out++ = char(c);
        }
    }
    *out++ = '.';
    return out;
}

// Walks a name in presentation form: `octet(c)` for each octet of a label, escapes undone
// ("\." and "\DDD") and characters outside Latin-1 as '?' (as QString::toLatin1() gives
// them), `labelEnd()` after each label; empty labels are skipped. Stops early when `octet`
// returns false.
template <typename Octet, typename LabelEnd>
void forEachNameOctet(QStringView name, Octet octet, LabelEnd labelEnd)
{
    const QChar *text = name.constData();
    const int n = int(name.size());
    auto at = [text](int i) { return text[i].unicode() > 0xFF ? '?' : char(text[i].unicode()); };
    auto isDigit = [&](int i) { return at(i) >= '0' && at(i) <= '9'; };
    bool open = false;
    for (int i = 0; i < n; ++i) {
        char c = at(i);
        if (c == '.') {
            if (open)
                labelEnd();
            open = false;
            continue;
        }
        if (c == '\\' && i + 1 < n) {
            if (i + 3 < n && isDigit(i + 1) && isDigit(i + 2) && isDigit(i + 3)) {
                c = char((at(i + 1) - '0') * 100 + (at(i + 2) - '0') * 10 + (at(i + 3) - '0'));
                i += 3;
            } else {
                c = at(++i);
            }
        }
        if (!octet(c))
            return;
        open = true;
    }
    if (open)
        labelEnd();
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
        char text[kMaxNameText];
        char *out = text;
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
            out = appendLabelText(out, m_data.constData() + p + 1, len);
            p += 1 + len;
        }
        if (out == text)
            return QStringLiteral(".");
        return QString::fromLatin1(text, out - text);
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

// A presentation name in wire form (RFC 1035 §3.1), built without allocating: the same labels
// nameLabels() gives (escapes undone, empty labels skipped, non-Latin-1 characters as '?').
// An unencodable name (a label over 63 octets, the name over 255) comes out as the root.
struct NameBuffer {
    char bytes[kMaxName + 1];
    int size = 0;  // octets in bytes, without the root octet

    explicit NameBuffer(const QString &text)
    {
        int labelStart = -1;  // offset of the open label's length octet, -1 = none open
        bool valid = true;
        forEachNameOctet(
            text,
            [&](char c) {
                if (labelStart < 0) {
                    labelStart = size;
                    bytes[size++] = 0;
                }
                valid = size + 1 <= kMaxName && size - labelStart <= kMaxLabel;
                if (valid)
                    bytes[size++] = c;
                return valid;
            },
            [&] {
                bytes[labelStart] = char(size - labelStart - 1);
                labelStart = -1;
            });
        // 255 octets on the wire, counting the root octet.
        if (!valid || size + 1 > kMaxName)
            size = 0;
    }
};

// Two labels, each at its length octet, are the same octets (case-sensitively).
bool sameLabel(const char *a, const char *b)
{
    return a[0] == b[0] && std::memcmp(a + 1, b + 1, size_t(quint8(a[0]))) == 0;
}

quint32 labelHash(int parent, const char *label)
{
    quint32 h = 2166136261u ^ quint32(parent + 1);
    for (int i = 0; i <= quint8(label[0]); ++i)
        h = (h ^ quint8(label[i])) * 16777619u;
    return h;
}

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

QList<QByteArray> nameLabels(QStringView name)
{
    QList<QByteArray> labels;
    QVarLengthArray<char, 64> label;
    forEachNameOctet(
        name,
        [&](char c) {
            label.append(c);
            return true;
        },
        [&] {
            labels.append(QByteArray(label.constData(), label.size()));
            label.clear();
        });
    return labels;
}

QString labelsToName(const QList<QByteArray> &labels)
{
    if (labels.isEmpty())
        return QStringLiteral(".");
    qsizetype room = 0;
    for (const QByteArray &l : labels)
        room += 4 * l.size() + 1;
    QByteArray out(room, Qt::Uninitialized);
    char *end = out.data();
    for (const QByteArray &l : labels)
        end = appendLabelText(end, l.constData(), int(l.size()));
    return QString::fromLatin1(out.constData(), end - out.constData());
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

// ---------------------------------------------------------------- EncodedName, EncodedRecord

EncodedName::EncodedName(const QString &presentation)
{
    const NameBuffer wire(presentation);
    m_labels = QByteArray(wire.bytes, wire.size);
}

EncodedRecord EncodedRecord::from(const ResourceRecord &rr)
{
    Q_ASSERT(rr.type != type::SOA);
    EncodedRecord e;
    e.type = rr.type;
    e.rrClass = rr.rrClass;
    e.ttl = rr.ttl;
    switch (rr.type) {
    case type::A:
    case type::AAAA:
        e.rdata = rr.address;
        break;
    case type::CNAME:
    case type::NS:
    case type::PTR:
        e.name = EncodedName(rr.target);
        e.rdataName = RdataName::Compressed;
        break;
    case type::SRV: {
        const char fixed[6] = {char(rr.srv.priority >> 8), char(rr.srv.priority & 0xFF), char(rr.srv.weight >> 8),
                               char(rr.srv.weight & 0xFF),   char(rr.srv.port >> 8),     char(rr.srv.port & 0xFF)};
        e.rdata = QByteArray(fixed, 6);
        e.name = EncodedName(rr.srv.target);
        e.rdataName = RdataName::Uncompressed;  // RFC 2782: the target is never compressed
        break;
    }
    case type::TXT:
        for (const QByteArray &s : rr.txt) {
            const int n = int(std::min<qsizetype>(s.size(), 255));
            e.rdata.append(char(n));
            e.rdata.append(s.constData(), n);
        }
        break;
    default:
        e.rdata = rr.rdata;
        break;
    }
    return e;
}

int EncodedRecord::uncompressedSize() const
{
    return 10 + int(rdata.size()) + (rdataName == RdataName::None ? 0 : name.wireSize());
}

// ---------------------------------------------------------------- MessageWriter

MessageWriter::MessageWriter(bool compress) : m_compress(compress) {}

void MessageWriter::header(const Header &h, int questions, int answers, int authority, int additional)
{
    u16(h.id);
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
    u16(flags);
    u16(quint16(questions));
    u16(quint16(answers));
    u16(quint16(authority));
    u16(quint16(additional));
}

void MessageWriter::question(const Question &q)
{
    const NameBuffer wire(q.name);
    name(wire.bytes, wire.size, true);
    u16(q.qtype);
    u16(q.qclass);
}

void MessageWriter::question(const EncodedName &qname, quint16 qtype, quint16 qclass)
{
    name(qname.labels().constData(), int(qname.labels().size()), true);
    u16(qtype);
    u16(qclass);
}

void MessageWriter::record(const EncodedName &owner, const EncodedRecord &rr)
{
    name(owner.labels().constData(), int(owner.labels().size()), true);
    body(rr);
}

void MessageWriter::record(const ResourceRecord &rr)
{
    name(rr.name);
    if (rr.type != type::SOA) {
        body(EncodedRecord::from(rr));
        return;
    }
    u16(rr.type);
    u16(rr.rrClass);
    u32(rr.ttl);
    const int lenAt = size();
    u16(0);
    name(rr.soa.mname);
    name(rr.soa.rname);
    u32(rr.soa.serial);
    u32(rr.soa.refresh);
    u32(rr.soa.retry);
    u32(rr.soa.expire);
    u32(rr.soa.minimum);
    patch16(lenAt, quint16(size() - lenAt - 2));
}

void MessageWriter::opt(const Edns &e)
{
    u8(0);
    u16(type::OPT);
    u16(e.udpSize);
    u32((quint32(e.extendedRcode) << 24) | (quint32(e.version) << 16) | (e.dnssecOk ? 0x8000u : 0u));
    u16(quint16(e.options.size()));
    m_out.append(e.options.constData(), e.options.size());
}

QByteArray MessageWriter::bytes() const
{
    return QByteArray(m_out.constData(), m_out.size());
}

void MessageWriter::body(const EncodedRecord &rr)
{
    u16(rr.type);
    u16(rr.rrClass);
    u32(rr.ttl);
    const int lenAt = size();
    u16(0);
    m_out.append(rr.rdata.constData(), rr.rdata.size());
    if (rr.rdataName != EncodedRecord::RdataName::None) {
        name(rr.name.labels().constData(), int(rr.name.labels().size()),
             rr.rdataName == EncodedRecord::RdataName::Compressed);
    }
    patch16(lenAt, quint16(size() - lenAt - 2));
}

void MessageWriter::u16(quint16 v)
{
    const char b[2] = {char(v >> 8), char(v & 0xFF)};
    m_out.append(b, 2);
}

void MessageWriter::u32(quint32 v)
{
    const char b[4] = {char(v >> 24), char((v >> 16) & 0xFF), char((v >> 8) & 0xFF), char(v & 0xFF)};
    m_out.append(b, 4);
}

void MessageWriter::patch16(int at, quint16 v)
{
    m_out[at] = char(v >> 8);
    m_out[at + 1] = char(v & 0xFF);
}

void MessageWriter::name(const QString &text)
{
    const NameBuffer wire(text);
    name(wire.bytes, wire.size, true);
}

// Compression (RFC 1035 §4.1.4): every suffix written so far is a node of a trie keyed by
// (suffix to its right, label), so a name finds its longest earlier suffix without building
// keys. Suffixes match case-sensitively, so a pointer never changes a name's case. A suffix
// written beyond offset 0x3FFF stays in the trie but cannot be pointed to. Even a name that may
// not be compressed (an SRV target) adds its suffixes, so later names can point into it.
void MessageWriter::name(const char *labels, int size, bool mayCompress)
{
    if (!m_compress || size == 0) {
        m_out.append(labels, size);
        u8(0);
        return;
    }
    int starts[kMaxName / 2 + 1];  // offset of each label's length octet
    int count = 0;
    for (int at = 0; at < size; at += 1 + quint8(labels[at]))
        starts[count++] = at;
    // From the root leftwards: the suffixes already known, path[i] = node of labels i..count-1.
    int path[kMaxName / 2 + 1];
    int known = count;  // labels known..count-1 have a node
    int parent = -1;
    if (recentPath(labels, size, path)) {
        known = 0;
    } else {
        for (int i = count - 1; i >= 0; --i) {
            const int node = findNode(parent, labels + starts[i]);
            if (node < 0)
                break;
            path[i] = node;
            parent = node;
            known = i;
        }
    }
    // The longest known suffix that a pointer can reach.
    int pointTo = count;
    if (mayCompress) {
        for (int i = known; i < count; ++i) {
            if (m_nodes[path[i]].offset <= kMaxPointerOffset) {
                pointTo = i;
                break;
            }
        }
    }
    const int at = this->size();
    m_out.append(labels, pointTo < count ? starts[pointTo] : size);
    if (pointTo < count)
        u16(quint16(0xC000 | m_nodes[path[pointTo]].offset));
    else
        u8(0);
    // The new suffixes, right to left so that each knows the node to its right.
    parent = known < count ? path[known] : -1;
    for (int i = known - 1; i >= 0; --i)
        parent = addNode(parent, at + starts[i]);
    m_recent[m_recentNext] = Recent{labels, size, parent};
    m_recentNext = (m_recentNext + 1) % int(m_recent.size());
}

// A name written again from the same place (the question's EncodedName as each answer's owner,
// an SRV target as the owner of its additional records) finds its node without hashing. The
// node is only a guess until its chain of labels up to the root matches the name's labels: it
// is then the very node findNode() would reach, label by label.
bool MessageWriter::recentPath(const char *labels, int size, int *path) const
{
    for (const Recent &r : m_recent) {
        if (r.labels != labels || r.size != size || r.node < 0)
            continue;
        int node = r.node;
        for (int at = 0, i = 0; at < size; at += 1 + quint8(labels[at]), ++i) {
            if (node < 0)
                return false;
            if (!sameLabel(m_out.constData() + m_nodes[node].offset, labels + at))
                return false;
            path[i] = node;
            node = m_nodes[node].parent;
        }
        return node < 0;
    }
    return false;
}

int MessageWriter::findNode(int parent, const char *label) const
{
    if (m_slots.isEmpty())
        return -1;
    const quint32 mask = quint32(m_slots.size() - 1);
    for (quint32 s = labelHash(parent, label) & mask;; s = (s + 1) & mask) {
        const int node = m_slots[s];
        if (node < 0)
            return -1;
        const Node &n = m_nodes[node];
        if (n.parent == parent && sameLabel(m_out.constData() + n.offset, label))
            return node;
    }
}

int MessageWriter::addNode(int parent, int offset)
{
    if ((m_nodes.size() + 1) * 2 > m_slots.size())
        rehash(std::max<qsizetype>(64, m_slots.size() * 2));
    const int node = int(m_nodes.size());
    m_nodes.append(Node{parent, offset});
    insertSlot(node);
    return node;
}

void MessageWriter::insertSlot(int node)
{
    const Node &n = m_nodes[node];
    const quint32 mask = quint32(m_slots.size() - 1);
    quint32 s = labelHash(n.parent, m_out.constData() + n.offset) & mask;
    while (m_slots[s] >= 0)
        s = (s + 1) & mask;
    m_slots[s] = node;
}

void MessageWriter::rehash(qsizetype size)
{
    m_slots.resize(size);
    std::fill(m_slots.begin(), m_slots.end(), -1);
    for (int i = 0; i < int(m_nodes.size()); ++i)
        insertSlot(i);
}

// ---------------------------------------------------------------- encode

QByteArray encode(const Message &msg, bool compress)
{
    MessageWriter w(compress);
    w.header(msg.header, int(msg.questions.size()), int(msg.answers.size()), int(msg.authority.size()),
             int(msg.additional.size() + (msg.edns ? 1 : 0)));
    for (const Question &q : msg.questions)
        w.question(q);
    for (const auto *sectionList : {&msg.answers, &msg.authority, &msg.additional}) {
        for (const ResourceRecord &rr : *sectionList)
            w.record(rr);
    }
    if (msg.edns)
        w.opt(*msg.edns);
    return w.bytes();
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
