#include "server/raft_messages.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>

namespace conclave::server {

namespace {

// Integer keys keep the hot path (appends, heartbeats) small.
enum Key : qint64 {
    kType = 1, kFrom, kTo, kTerm, kLogTerm, kIndex, kEntries, kCommit, kReject, kRejectHint,
    kSnapIndex, kSnapTerm, kSnapMembership, kContext,
    kEntryTerm = 1, kEntryIndex, kEntryType, kEntryData,
};

class Reader {
public:
    explicit Reader(const QCborMap &map) : m_map(map) {}
    bool ok() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }

    quint64 u64(qint64 key, bool required = false)
    {
        const QCborValue v = m_map.value(key);
        if (v.isUndefined()) {
            if (required)
                fail(key, "missing");
            return 0;
        }
        if (!v.isInteger() || v.toInteger() < 0) {
            fail(key, "not an unsigned integer");
            return 0;
        }
        return quint64(v.toInteger());
    }
    QString text(qint64 key)
    {
        const QCborValue v = m_map.value(key);
        if (v.isUndefined())
            return {};
        if (!v.isString())
            fail(key, "not a text string");
        return v.toString();
    }
    QByteArray bytes(qint64 key)
    {
        const QCborValue v = m_map.value(key);
        if (v.isUndefined())
            return {};
        if (!v.isByteArray())
            fail(key, "not a byte string");
        return v.toByteArray();
    }
    bool boolean(qint64 key)
    {
        const QCborValue v = m_map.value(key);
        if (v.isUndefined())
            return false;
        if (!v.isBool())
            fail(key, "not a boolean");
        return v.toBool();
    }
    QCborValue value(qint64 key) const { return m_map.value(key); }
    void fail(qint64 key, const char *why)
    {
        if (m_error.isEmpty())
            m_error = QStringLiteral("field %1 %2").arg(key).arg(QLatin1String(why));
    }

private:
    QCborMap m_map;
    QString m_error;
};

std::optional<QCborMap> parseMap(const QByteArray &bytes, const char *what, QString *error)
{
    QCborParserError parseError;
    const QCborValue v = QCborValue::fromCbor(bytes, &parseError);
    QString why;
    if (parseError.error != QCborError::NoError)
        why = parseError.errorString();
    else if (parseError.offset != bytes.size())
        why = QStringLiteral("trailing bytes");
    else if (!v.isMap())
        why = QStringLiteral("not a CBOR map");
    if (!why.isEmpty()) {
        if (error)
            *error = QStringLiteral("malformed %1: %2").arg(QLatin1String(what), why);
        return std::nullopt;
    }
    return v.toMap();
}

template<typename T>
std::optional<T> finish(const Reader &r, T value, const char *what, QString *error)
{
    if (r.ok())
        return value;
    if (error)
        *error = QStringLiteral("malformed %1: %2").arg(QLatin1String(what), r.error());
    return std::nullopt;
}

QCborMap messageMap(const raft::Message &m)
{
    QCborMap map;
    map.insert(kType, qint64(m.type));
    map.insert(kFrom, m.from.value);
    map.insert(kTo, m.to.value);
    // Zero fields are left out: most message types use only a few of them.
    auto put = [&map](qint64 key, quint64 v) {
        if (v != 0)
            map.insert(key, qint64(v));
    };
    put(kTerm, m.term.value);
    put(kLogTerm, m.logTerm.value);
    put(kIndex, m.index.value);
    if (!m.entries.empty()) {
        QCborArray entries;
        for (const raft::Entry &e : m.entries) {
            QCborMap em;
            em.insert(kEntryTerm, qint64(e.term.value));
            em.insert(kEntryIndex, qint64(e.index.value));
            em.insert(kEntryType, qint64(e.type));
            em.insert(kEntryData, e.data);
            entries.append(em);
        }
        map.insert(kEntries, entries);
    }
    put(kCommit, m.commit.value);
    if (m.reject)
        map.insert(kReject, true);
    put(kRejectHint, m.rejectHint.value);
    put(kSnapIndex, m.snapshot.index.value);
    put(kSnapTerm, m.snapshot.term.value);
    if (m.snapshot.membership != raft::Membership{})
        map.insert(kSnapMembership, m.snapshot.membership.encode());
    if (!m.context.isEmpty())
        map.insert(kContext, m.context);
    return map;
}

std::optional<raft::Message> messageFromMap(const QCborMap &map, QString *error)
{
    Reader r(map);
    raft::Message m;
    const quint64 type = r.u64(kType, true);
    if (r.ok() && (type < quint64(raft::MessageType::PreVote) || type > quint64(raft::MessageType::ReadIndexResp)))
        r.fail(kType, "is not a message type");
    m.type = raft::MessageType(type);
    m.from.value = r.text(kFrom);
    m.to.value = r.text(kTo);
    m.term.value = r.u64(kTerm);
    m.logTerm.value = r.u64(kLogTerm);
    m.index.value = r.u64(kIndex);
    const QCborValue entries = r.value(kEntries);
    if (!entries.isUndefined() && !entries.isArray())
        r.fail(kEntries, "not an array");
    for (const QCborValue &ev : entries.toArray()) {
        if (!ev.isMap()) {
            r.fail(kEntries, "holds a non-map entry");
            break;
        }
        Reader er(ev.toMap());
        raft::Entry e;
        e.term.value = er.u64(kEntryTerm, true);
        e.index.value = er.u64(kEntryIndex, true);
        const quint64 et = er.u64(kEntryType);
        if (et > quint64(raft::EntryType::ConfChange))
            er.fail(kEntryType, "is not an entry type");
        e.type = raft::EntryType(et);
        e.data = er.bytes(kEntryData);
        if (!er.ok()) {
            r.fail(kEntries, "holds a malformed entry");
            break;
        }
        m.entries.push_back(std::move(e));
    }
    m.commit.value = r.u64(kCommit);
    m.reject = r.boolean(kReject);
    m.rejectHint.value = r.u64(kRejectHint);
    m.snapshot.index.value = r.u64(kSnapIndex);
    m.snapshot.term.value = r.u64(kSnapTerm);
    const QCborValue membership = r.value(kSnapMembership);
    if (!membership.isUndefined()) {
        std::optional<raft::Membership> decoded;
        if (membership.isByteArray())
            decoded = raft::Membership::decode(membership.toByteArray());
        if (decoded)
            m.snapshot.membership = *decoded;
        else
            r.fail(kSnapMembership, "is not an encoded membership");
    }
    m.context = r.bytes(kContext);
    return finish(r, std::move(m), "raft message", error);
}

}  // namespace

QByteArray encodeRaftMessage(const raft::Message &message)
{
    return messageMap(message).toCborValue().toCbor();
}

std::optional<raft::Message> decodeRaftMessage(const QByteArray &bytes, QString *error)
{
    const std::optional<QCborMap> map = parseMap(bytes, "raft message", error);
    if (!map)
        return std::nullopt;
    return messageFromMap(*map, error);
}

QByteArray encodeSnapshotChunk(const SnapshotChunk &chunk)
{
    QCborMap map;
    map.insert(1, qint64(chunk.offset));
    map.insert(2, qint64(chunk.total));
    map.insert(3, qint64(chunk.snapshotIndex));
    map.insert(4, qint64(chunk.snapshotTerm));
    map.insert(5, chunk.data);
    if (chunk.isLast())
        map.insert(6, messageMap(chunk.message));
    return map.toCborValue().toCbor();
}

std::optional<SnapshotChunk> decodeSnapshotChunk(const QByteArray &bytes, QString *error)
{
    const std::optional<QCborMap> map = parseMap(bytes, "snapshot chunk", error);
    if (!map)
        return std::nullopt;
    Reader r(*map);
    SnapshotChunk c;
    c.offset = r.u64(1, true);
    c.total = r.u64(2, true);
    c.snapshotIndex = r.u64(3, true);
    c.snapshotTerm = r.u64(4, true);
    c.data = r.bytes(5);
    if (r.ok() && c.offset + quint64(c.data.size()) > c.total)
        r.fail(5, "runs past the total size");
    if (r.ok() && c.isLast()) {
        const QCborValue mv = r.value(6);
        std::optional<raft::Message> m;
        QString why;
        if (mv.isMap())
            m = messageFromMap(mv.toMap(), &why);
        if (!m || m->type != raft::MessageType::Snapshot || m->snapshot.index.value != c.snapshotIndex)
            r.fail(6, "is not the snapshot message of this snapshot");
        else
            c.message = std::move(*m);
    }
    return finish(r, std::move(c), "snapshot chunk", error);
}

QByteArray encodeForwardRequest(const ForwardRequest &request)
{
    QCborMap map;
    map.insert(1, qint64(request.id));
    map.insert(2, request.command);
    return map.toCborValue().toCbor();
}

std::optional<ForwardRequest> decodeForwardRequest(const QByteArray &bytes, QString *error)
{
    const std::optional<QCborMap> map = parseMap(bytes, "forward request", error);
    if (!map)
        return std::nullopt;
    Reader r(*map);
    ForwardRequest q;
    q.id = r.u64(1, true);
    q.command = r.bytes(2);
    return finish(r, std::move(q), "forward request", error);
}

QByteArray encodeForwardResponse(const ForwardResponse &response)
{
    QCborMap map;
    map.insert(1, qint64(response.id));
    map.insert(2, qint64(response.index));
    map.insert(3, response.error);
    map.insert(4, response.errorText);
    map.insert(5, response.result.ok);
    map.insert(6, response.result.error);
    return map.toCborValue().toCbor();
}

std::optional<ForwardResponse> decodeForwardResponse(const QByteArray &bytes, QString *error)
{
    const std::optional<QCborMap> map = parseMap(bytes, "forward response", error);
    if (!map)
        return std::nullopt;
    Reader r(*map);
    ForwardResponse s;
    s.id = r.u64(1, true);
    s.index = r.u64(2);
    const quint64 err = r.u64(3);
    if (err > 16)
        r.fail(3, "is not an error code");
    s.error = int(err);
    s.errorText = r.text(4);
    if (!r.value(5).isBool())
        r.fail(5, "missing");
    s.result.ok = r.boolean(5);
    s.result.error = r.text(6);
    return finish(r, std::move(s), "forward response", error);
}

}  // namespace conclave::server
