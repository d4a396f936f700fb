#include "api/stream_history.h"

#include <QRandomGenerator>

#include <algorithm>

namespace conclave::api {

namespace {

bool isUnder(stream::Topic topic, const QString &id, const QString &prefix)
{
    return topic != stream::Topic::Kv || id.startsWith(prefix);
}

}  // namespace

std::optional<stream::Change> StreamEvent::changeFor(const QString &prefix) const
{
    stream::Change c{topic, topic == stream::Topic::Kv ? prefix : QString(), index, {}, {}};
    for (qsizetype i = 0; i < upsertIds.size(); ++i)
        if (isUnder(topic, upsertIds[i], prefix))
            c.upserts.append(upserts[i]);
    for (const QString &id : deletes)
        if (isUnder(topic, id, prefix))
            c.deletes.append(id);
    if (c.upserts.isEmpty() && c.deletes.isEmpty())
        return std::nullopt;
    return c;
}

QByteArray StreamEvent::encodedFor(const QString &prefix) const
{
    if (topic != stream::Topic::Kv || prefix.isEmpty())
        return encoded;
    const auto c = changeFor(prefix);
    return c ? stream::encode(*c) : QByteArray();
}

StreamHistory::StreamHistory(StreamHistoryLimits limits)
    : m_limits(limits), m_instance(QString::number(QRandomGenerator::system()->generate64(), 16).rightJustified(16, QLatin1Char('0')))
{
}

QString StreamHistory::identity(stream::Topic topic) const
{
    return m_instance + QLatin1Char('.') + QString::number(at(topic).epoch);
}

void StreamHistory::restart(stream::Topic topic, quint64 index, const QList<QJsonObject> &rows)
{
    TopicState &t = at(topic);
    const bool wasRecording = t.recording;
    dropEvents(t);
    t.recording = true;
    t.rows.clear();
    for (const QJsonObject &row : rows)
        t.rows.insert(stream::rowId(topic, row), row);
    t.head = t.base = t.lastRead = index;
    if (wasRecording)
        ++t.epoch;
}

StreamHistory::Recorded StreamHistory::record(stream::Topic topic, quint64 index, const QList<QJsonObject> &rows)
{
    TopicState &t = at(topic);
    QMap<QString, QJsonObject> now;
    for (const QJsonObject &row : rows)
        now.insert(stream::rowId(topic, row), row);
    if (!t.recording) {
        t.recording = true;
        t.rows = std::move(now);
        t.head = t.base = t.lastRead = index;
        return Recorded::Started;
    }

    StreamEvent e;
    e.topic = topic;
    e.index = index;
    for (auto it = now.cbegin(); it != now.cend(); ++it) {
        const auto old = t.rows.constFind(it.key());
        if (old == t.rows.cend() || *old != it.value()) {
            e.upsertIds.append(it.key());
            e.upserts.append(it.value());
            if (old == t.rows.cend())
                e.created.insert(it.key());
        }
    }
    for (auto it = t.rows.cbegin(); it != t.rows.cend(); ++it)
        if (!now.contains(it.key()))
            e.deletes.append(it.key());
    if (e.upserts.isEmpty() && e.deletes.isEmpty()) {
        t.lastRead = std::max(t.lastRead, index);
        return Recorded::Unchanged;
    }
    t.rows = std::move(now);

    if (index <= t.lastRead) {
        // Rows moved without the index rising (a store restore at the same index, or the
        // members and datacenters topics, whose rows are not all in the store): no index can
        // name the old state any more, so nothing before it can be resumed.
        dropEvents(t);
        t.head = t.base = t.lastRead;
        ++t.epoch;
        return Recorded::Restarted;
    }

    e.encoded = stream::encode(stream::Change{topic, QString(), index, e.upserts, e.deletes});
    e.seq = ++m_seq;
    m_bytes += e.bytes();
    ++m_count;
    t.events.push_back(std::move(e));
    t.head = t.lastRead = index;
    maybeEvict();
    return Recorded::Appended;
}

void StreamHistory::dropEvents(TopicState &t)
{
    for (const StreamEvent &e : t.events)
        m_bytes -= e.bytes();
    m_count -= qsizetype(t.events.size());
    t.events.clear();
}

void StreamHistory::maybeEvict()
{
    while (m_count > 0 && (m_count > m_limits.maxEvents || m_bytes > m_limits.maxBytes)) {
        TopicState *oldest = nullptr;
        for (TopicState &t : m_topics)
            if (!t.events.empty() && (!oldest || t.events.front().seq < oldest->events.front().seq))
                oldest = &t;
        const StreamEvent &e = oldest->events.front();
        // A client at e.index still has every event it needs; one before it no longer does.
        oldest->base = e.index;
        m_bytes -= e.bytes();
        --m_count;
        oldest->events.pop_front();
    }
}

QJsonArray StreamHistory::rows(stream::Topic topic, const QString &prefix) const
{
    const TopicState &t = at(topic);
    QJsonArray out;
    if (topic != stream::Topic::Kv || prefix.isEmpty()) {
        for (const QJsonObject &row : t.rows)
            out.append(row);
        return out;
    }
    for (auto it = t.rows.lowerBound(prefix); it != t.rows.cend() && it.key().startsWith(prefix); ++it)
        out.append(it.value());
    return out;
}

QString StreamHistory::whyNotResumable(stream::Topic topic, quint64 fromIndex, const QString &history,
                                       quint64 lastIndex) const
{
    const TopicState &t = at(topic);
    const QString name = stream::topicName(topic);
    if (!t.recording)
        return QStringLiteral("this agent keeps no history of %1 yet").arg(name);
    if (history != identity(topic))
        return QStringLiteral("index %1 is from another history of %2 (another agent, a restart, or a restored snapshot)")
            .arg(fromIndex).arg(name);
    if (fromIndex > lastIndex)
        return QStringLiteral("index %1 is ahead of this agent (it has applied up to %2)").arg(fromIndex).arg(lastIndex);
    if (fromIndex >= t.lastRead || fromIndex == t.base)
        return {};
    if (fromIndex < t.base)
        return QStringLiteral("this agent's history of %1 starts at index %2, after %3").arg(name).arg(t.base).arg(fromIndex);
    const auto it = std::lower_bound(t.events.cbegin(), t.events.cend(), fromIndex,
                                     [](const StreamEvent &e, quint64 i) { return e.index < i; });
    if (it != t.events.cend() && it->index == fromIndex)
        return {};
    // Between two reads that were coalesced into one event: the state at fromIndex is not one
    // this agent saw, so the event after it cannot be applied to it safely.
    return QStringLiteral("index %1 is not one this agent recorded for %2").arg(fromIndex).arg(name);
}

const StreamEvent *StreamHistory::next(stream::Topic topic, quint64 afterIndex) const
{
    const TopicState &t = at(topic);
    const auto it = std::upper_bound(t.events.cbegin(), t.events.cend(), afterIndex,
                                     [](quint64 i, const StreamEvent &e) { return i < e.index; });
    return it == t.events.cend() ? nullptr : &*it;
}

std::optional<stream::Change> StreamHistory::changeSince(stream::Topic topic, quint64 afterIndex,
                                                         const QString &prefix) const
{
    struct Fold {
        bool createdInside = false;  // the row did not exist at afterIndex
        std::optional<QJsonObject> row;  // nullopt: deleted
    };
    QMap<QString, Fold> folded;
    quint64 index = 0;
    for (const StreamEvent *e = next(topic, afterIndex); e; e = next(topic, e->index)) {
        index = e->index;
        for (qsizetype i = 0; i < e->upsertIds.size(); ++i) {
            const QString &id = e->upsertIds[i];
            if (!isUnder(topic, id, prefix))
                continue;
            auto it = folded.find(id);
            if (it == folded.end())
                it = folded.insert(id, Fold{e->created.contains(id), std::nullopt});
            it->row = e->upserts[i].toObject();
        }
        for (const QString &id : e->deletes) {
            if (!isUnder(topic, id, prefix))
                continue;
            auto it = folded.find(id);
            if (it == folded.end())
                it = folded.insert(id, Fold{false, std::nullopt});
            it->row.reset();
        }
    }
    stream::Change c{topic, topic == stream::Topic::Kv ? prefix : QString(), index, {}, {}};
    for (auto it = folded.cbegin(); it != folded.cend(); ++it) {
        if (it->row)
            c.upserts.append(*it->row);
        else if (!it->createdInside)
            c.deletes.append(it.key());
    }
    if (c.upserts.isEmpty() && c.deletes.isEmpty())
        return std::nullopt;
    return c;
}

}  // namespace conclave::api
