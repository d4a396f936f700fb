#include "core/gossip/messages.h"

namespace conclave::gossip {

namespace {

class Writer {
public:
    explicit Writer(MessageType t)
    {
        m_out.append(char(kWireVersion));
        m_out.append(char(t));
    }
    void u(quint64 v)
    {
        do {
            quint8 b = v & 0x7f;
            v >>= 7;
            if (v)
                b |= 0x80;
            m_out.append(char(b));
        } while (v);
    }
    void b(bool v) { m_out.append(char(v ? 1 : 0)); }
    void bytes(const QByteArray &v)
    {
        u(quint64(v.size()));
        m_out.append(v);
    }
    void s(const QString &v) { bytes(v.toUtf8()); }
    void tags(const Tags &t)
    {
        u(quint64(t.size()));
        for (auto it = t.cbegin(); it != t.cend(); ++it) {
            s(it.key());
            s(it.value());
        }
    }
    QByteArray take() { return std::move(m_out); }

private:
    QByteArray m_out;
};

// Every read checks bounds; the first failure latches ok = false and later reads return zeros.
class Reader {
public:
    explicit Reader(const QByteArray &in) : m_in(in) {}
    bool ok() const { return m_ok; }
    bool atEnd() const { return m_pos == m_in.size(); }
    quint64 u(quint64 max = ~quint64(0))
    {
        quint64 v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!m_ok || m_pos >= m_in.size())
                return fail();
            const quint8 byte = quint8(m_in[m_pos++]);
            if (shift == 63 && (byte & 0x7e))
                return fail();  // more than 64 bits
            v |= quint64(byte & 0x7f) << shift;
            if (!(byte & 0x80)) {
                if (v > max)
                    return fail();
                return v;
            }
        }
        return fail();
    }
    quint32 u32() { return quint32(u(0xffffffffu)); }
    bool b()
    {
        const quint64 v = u(1);
        return v == 1;
    }
    QByteArray bytes(int maxSize)
    {
        const qsizetype n = qsizetype(u(quint64(maxSize)));
        if (!m_ok || n > m_in.size() - m_pos) {
            fail();
            return {};
        }
        QByteArray out = m_in.mid(m_pos, n);
        m_pos += n;
        return out;
    }
    QString s()
    {
        const QByteArray raw = bytes(kMaxStringSize);
        if (!m_ok)
            return {};
        QString out = QString::fromUtf8(raw);
        if (out.toUtf8() != raw)  // invalid UTF-8 would not round-trip
            fail();
        return out;
    }
    Tags tags()
    {
        Tags t;
        const quint64 n = u(kMaxTags);
        for (quint64 i = 0; m_ok && i < n; ++i) {
            QString k = s();
            QString v = s();
            if (!m_ok || t.contains(k)) {
                fail();
                break;
            }
            t.insert(k, v);
        }
        return t;
    }
    quint64 fail()
    {
        m_ok = false;
        return 0;
    }

private:
    const QByteArray &m_in;
    qsizetype m_pos = 2;  // after version and type
    bool m_ok = true;
};

QByteArray encodeOne(const Ping &m)
{
    Writer w(MessageType::Ping);
    w.u(m.seqNo);
    w.s(m.target);
    w.s(m.source);
    w.s(m.sourceAddr);
    return w.take();
}
QByteArray encodeOne(const IndirectPing &m)
{
    Writer w(MessageType::IndirectPing);
    w.u(m.seqNo);
    w.s(m.target);
    w.s(m.targetAddr);
    w.b(m.wantNack);
    w.s(m.source);
    w.s(m.sourceAddr);
    return w.take();
}
QByteArray encodeOne(const Ack &m)
{
    Writer w(MessageType::Ack);
    w.u(m.seqNo);
    return w.take();
}
QByteArray encodeOne(const Nack &m)
{
    Writer w(MessageType::Nack);
    w.u(m.seqNo);
    return w.take();
}
QByteArray encodeOne(const Suspect &m)
{
    Writer w(MessageType::Suspect);
    w.u(m.incarnation);
    w.s(m.node);
    w.s(m.from);
    return w.take();
}
QByteArray encodeOne(const Alive &m)
{
    Writer w(MessageType::Alive);
    w.u(m.incarnation);
    w.s(m.node);
    w.s(m.addr);
    w.tags(m.tags);
    return w.take();
}
QByteArray encodeOne(const Dead &m)
{
    Writer w(MessageType::Dead);
    w.u(m.incarnation);
    w.s(m.node);
    w.s(m.from);
    return w.take();
}
QByteArray encodeOne(const PushPull &m)
{
    Writer w(MessageType::PushPull);
    w.b(m.join);
    w.u(m.states.size());
    for (const PushNodeState &st : m.states) {
        w.s(st.name);
        w.s(st.addr);
        w.u(st.incarnation);
        w.u(quint8(st.state));
        w.tags(st.tags);
    }
    return w.take();
}
QByteArray encodeOne(const Compound &m)
{
    Writer w(MessageType::Compound);
    w.u(m.parts.size());
    for (const QByteArray &p : m.parts)
        w.bytes(p);
    return w.take();
}

std::optional<Message> decodeBody(MessageType type, Reader &r)
{
    switch (type) {
    case MessageType::Ping: {
        Ping m;
        m.seqNo = r.u32();
        m.target = r.s();
        m.source = r.s();
        m.sourceAddr = r.s();
        return m;
    }
    case MessageType::IndirectPing: {
        IndirectPing m;
        m.seqNo = r.u32();
        m.target = r.s();
        m.targetAddr = r.s();
        m.wantNack = r.b();
        m.source = r.s();
        m.sourceAddr = r.s();
        return m;
    }
    case MessageType::Ack:
        return Ack{r.u32()};
    case MessageType::Nack:
        return Nack{r.u32()};
    case MessageType::Suspect: {
        Suspect m;
        m.incarnation = r.u32();
        m.node = r.s();
        m.from = r.s();
        return m;
    }
    case MessageType::Alive: {
        Alive m;
        m.incarnation = r.u32();
        m.node = r.s();
        m.addr = r.s();
        m.tags = r.tags();
        return m;
    }
    case MessageType::Dead: {
        Dead m;
        m.incarnation = r.u32();
        m.node = r.s();
        m.from = r.s();
        return m;
    }
    case MessageType::PushPull: {
        PushPull m;
        m.join = r.b();
        const quint64 n = r.u(kMaxStates);
        for (quint64 i = 0; r.ok() && i < n; ++i) {
            PushNodeState st;
            st.name = r.s();
            st.addr = r.s();
            st.incarnation = r.u32();
            st.state = NodeState(r.u(quint8(NodeState::Left)));
            st.tags = r.tags();
            m.states.push_back(std::move(st));
        }
        return m;
    }
    case MessageType::Compound: {
        Compound m;
        const quint64 n = r.u(kMaxCompoundParts);
        for (quint64 i = 0; r.ok() && i < n; ++i) {
            QByteArray part = r.bytes(kMaxPacketSize);
            // A part must at least look like a non-compound message; its body is checked later.
            if (part.size() < 2 || quint8(part[0]) != kWireVersion
                || quint8(part[1]) == quint8(MessageType::Compound)) {
                r.fail();
                break;
            }
            m.parts.push_back(std::move(part));
        }
        return m;
    }
    }
    return std::nullopt;
}

}  // namespace

MessageType typeOf(const Message &m)
{
    return MessageType(quint8(m.index() + 1));
}

QByteArray encode(const Message &m)
{
    return std::visit([](const auto &v) { return encodeOne(v); }, m);
}

std::optional<Message> decode(const QByteArray &bytes)
{
    if (bytes.size() < 2 || quint8(bytes[0]) != kWireVersion)
        return std::nullopt;
    const quint8 t = quint8(bytes[1]);
    if (t < quint8(MessageType::Ping) || t > quint8(MessageType::Compound))
        return std::nullopt;
    Reader r(bytes);
    std::optional<Message> m = decodeBody(MessageType(t), r);
    if (!m || !r.ok() || !r.atEnd())
        return std::nullopt;
    return m;
}

QByteArray encodeCompound(const std::vector<QByteArray> &parts)
{
    if (parts.size() == 1)
        return parts.front();
    return encode(Compound{parts});
}

int compoundOverhead(int partSize)
{
    int n = 1;
    for (quint64 v = quint64(partSize); v >= 0x80; v >>= 7)
        ++n;
    return partSize + n;
}

int tagsSize(const Tags &tags)
{
    Writer w(MessageType::Alive);
    w.tags(tags);
    return int(w.take().size()) - 2;
}

}  // namespace conclave::gossip
