#include "shared/stream/messages.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <cmath>

namespace conclave::stream {

namespace {

// Every wire name of the protocol, once.
namespace key {
inline constexpr QLatin1String Type{"Type"};
inline constexpr QLatin1String Topics{"Topics"};
inline constexpr QLatin1String Topic{"Topic"};
inline constexpr QLatin1String Prefix{"Prefix"};
inline constexpr QLatin1String FromIndex{"FromIndex"};
inline constexpr QLatin1String Token{"Token"};
inline constexpr QLatin1String Index{"Index"};
inline constexpr QLatin1String Rows{"Rows"};
inline constexpr QLatin1String Upserts{"Upserts"};
inline constexpr QLatin1String Deletes{"Deletes"};
inline constexpr QLatin1String Reason{"Reason"};
inline constexpr QLatin1String History{"History"};
// Row ids.
inline constexpr QLatin1String Key{"Key"};
inline constexpr QLatin1String Id{"ID"};
inline constexpr QLatin1String CheckId{"CheckID"};
inline constexpr QLatin1String Name{"Name"};
}  // namespace key

namespace type {
inline constexpr QLatin1String Subscribe{"Subscribe"};
inline constexpr QLatin1String Snapshot{"Snapshot"};
inline constexpr QLatin1String Change{"Change"};
inline constexpr QLatin1String Error{"Error"};
inline constexpr QLatin1String Resume{"Resume"};
}  // namespace type

struct TopicEntry {
    Topic topic;
    QLatin1String name;
};
constexpr TopicEntry kTopics[] = {
    {Topic::Datacenters, QLatin1String("datacenters")},
    {Topic::Members, QLatin1String("members")},
    {Topic::Nodes, QLatin1String("nodes")},
    {Topic::Services, QLatin1String("services")},
    {Topic::Checks, QLatin1String("checks")},
    {Topic::Kv, QLatin1String("kv")},
};

QByteArray toBytes(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// Indexes are written as JSON numbers; doubles hold integers exactly up to 2^53, far beyond any
// Raft index a cluster reaches.
QJsonValue indexValue(quint64 index)
{
    return QJsonValue(double(index));
}

// The largest index a JSON number carries exactly.
constexpr double kMaxIndex = 9007199254740992.0;  // 2^53

/// A whole number from 0 to 2^53 (absent or null = 0); anything else (a fraction, 1e300, a string)
/// is refused rather than converted.
std::optional<quint64> readIndex(const QJsonValue &v)
{
    if (v.isUndefined() || v.isNull())
        return 0;
    if (!v.isDouble())
        return std::nullopt;
    const double d = v.toDouble();
    if (!(d >= 0 && d <= kMaxIndex) || d != std::floor(d))
        return std::nullopt;
    return quint64(d);
}

/// A string field: absent or null = "", another type = refused.
bool readString(const QJsonObject &o, QLatin1String name, QString *out, QString *error)
{
    const QJsonValue v = o.value(name);
    if (v.isUndefined() || v.isNull()) {
        out->clear();
        return true;
    }
    if (!v.isString()) {
        *error = QStringLiteral("%1 must be a string").arg(name);
        return false;
    }
    *out = v.toString();
    return true;
}

bool readTopic(const QJsonObject &o, Topic *topic, QString *error)
{
    if (!o.value(key::Topic).isString()) {
        *error = QStringLiteral("Topic must be a string naming a topic");
        return false;
    }
    const auto t = topicFromName(o.value(key::Topic).toString());
    if (!t) {
        *error = QStringLiteral("unknown topic '%1'").arg(o.value(key::Topic).toString());
        return false;
    }
    *topic = *t;
    return true;
}

}  // namespace

QString topicName(Topic topic)
{
    for (const auto &e : kTopics)
        if (e.topic == topic)
            return e.name;
    return {};
}

std::optional<Topic> topicFromName(const QString &name)
{
    for (const auto &e : kTopics)
        if (name == e.name)
            return e.topic;
    return std::nullopt;
}

QString rowId(Topic topic, const QJsonObject &row)
{
    const QString node = row.value(field::Node).toString();
    switch (topic) {
    case Topic::Kv:
        return row.value(key::Key).toString();
    case Topic::Nodes:
        return node;
    case Topic::Services:
        return node + QLatin1Char('/') + row.value(field::Service).toObject().value(key::Id).toString();
    case Topic::Checks:
        return node + QLatin1Char('/') + row.value(key::CheckId).toString();
    case Topic::Datacenters:
        return row.value(field::Datacenter).toString();
    case Topic::Members:
        return row.value(key::Name).toString();
    }
    return {};
}

QByteArray encode(const Subscribe &message)
{
    QJsonArray topics;
    for (const TopicRequest &t : message.topics) {
        QJsonObject o{{key::Topic, topicName(t.topic)}, {key::FromIndex, indexValue(t.fromIndex)}};
        if (t.topic == Topic::Kv)
            o.insert(key::Prefix, t.prefix);
        if (!t.history.isEmpty())
            o.insert(key::History, t.history);
        topics.append(o);
    }
    QJsonObject o{{key::Type, type::Subscribe}, {key::Topics, topics}};
    if (!message.token.isEmpty())
        o.insert(key::Token, message.token);
    return toBytes(o);
}

QByteArray encode(const Snapshot &message)
{
    QJsonObject o{{key::Type, type::Snapshot},
                  {key::Topic, topicName(message.topic)},
                  {key::Index, indexValue(message.index)},
                  {key::Rows, message.rows}};
    if (message.topic == Topic::Kv)
        o.insert(key::Prefix, message.prefix);
    if (!message.reason.isEmpty())
        o.insert(key::Reason, message.reason);
    if (!message.history.isEmpty())
        o.insert(key::History, message.history);
    return toBytes(o);
}

QByteArray encode(const Change &message)
{
    QJsonObject o{{key::Type, type::Change},
                  {key::Topic, topicName(message.topic)},
                  {key::Index, indexValue(message.index)},
                  {key::Upserts, message.upserts},
                  {key::Deletes, QJsonArray::fromStringList(message.deletes)}};
    if (message.topic == Topic::Kv)
        o.insert(key::Prefix, message.prefix);
    return toBytes(o);
}

QByteArray encode(const Error &message)
{
    return toBytes(QJsonObject{{key::Type, type::Error}, {key::Reason, message.reason}});
}

QByteArray encode(const Resume &message)
{
    QJsonObject o{{key::Type, type::Resume},
                  {key::Topic, topicName(message.topic)},
                  {key::FromIndex, indexValue(message.fromIndex)},
                  {key::Index, indexValue(message.index)}};
    if (message.topic == Topic::Kv)
        o.insert(key::Prefix, message.prefix);
    if (!message.history.isEmpty())
        o.insert(key::History, message.history);
    return toBytes(o);
}

std::optional<Message> decode(const QByteArray &text, QString *error)
{
    QString dummy;
    if (!error)
        error = &dummy;
    QJsonParseError perr{};
    const QJsonDocument doc = QJsonDocument::fromJson(text, &perr);
    if (perr.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QStringLiteral("message is not a JSON object");
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    const QString t = o.value(key::Type).toString();
    Message m;
    if (t == type::Subscribe) {
        m.type = MessageType::Subscribe;
        if (!readString(o, key::Token, &m.subscribe.token, error))
            return std::nullopt;
        const QJsonValue topics = o.value(key::Topics);
        if (!topics.isArray() || topics.toArray().isEmpty()) {
            *error = QStringLiteral("Subscribe needs a non-empty Topics array");
            return std::nullopt;
        }
        if (topics.toArray().size() > kMaxSubscribeTopics) {
            *error = QStringLiteral("Subscribe lists at most %1 topics").arg(kMaxSubscribeTopics);
            return std::nullopt;
        }
        for (const QJsonValue &v : topics.toArray()) {
            if (!v.isObject()) {
                *error = QStringLiteral("each entry of Topics must be an object such as {\"Topic\":\"kv\"}");
                return std::nullopt;
            }
            const QJsonObject to = v.toObject();
            TopicRequest r;
            if (!readTopic(to, &r.topic, error))
                return std::nullopt;
            for (const TopicRequest &earlier : std::as_const(m.subscribe.topics)) {
                if (earlier.topic == r.topic) {
                    *error = QStringLiteral("topic '%1' is listed more than once").arg(topicName(r.topic));
                    return std::nullopt;
                }
            }
            if (!readString(to, key::Prefix, &r.prefix, error) || !readString(to, key::History, &r.history, error))
                return std::nullopt;
            const auto from = readIndex(to.value(key::FromIndex));
            if (!from) {
                *error = QStringLiteral("FromIndex must be a whole number from 0 to 2^53");
                return std::nullopt;
            }
            r.fromIndex = *from;
            m.subscribe.topics.append(r);
        }
        return m;
    }
    if (t == type::Snapshot || t == type::Change) {
        Topic topic;
        if (!readTopic(o, &topic, error))
            return std::nullopt;
        const auto index = readIndex(o.value(key::Index));
        if (!index || *index == 0) {
            *error = QStringLiteral("%1 needs a positive Index").arg(t);
            return std::nullopt;
        }
        const QString prefix = o.value(key::Prefix).toString();
        if (t == type::Snapshot) {
            m.type = MessageType::Snapshot;
            m.snapshot = Snapshot{topic, prefix, *index, o.value(key::Rows).toArray(), o.value(key::Reason).toString(),
                                  o.value(key::History).toString()};
        } else {
            m.type = MessageType::Change;
            QStringList deletes;
            for (const QJsonValue &d : o.value(key::Deletes).toArray())
                deletes.append(d.toString());
            m.change = Change{topic, prefix, *index, o.value(key::Upserts).toArray(), deletes};
        }
        return m;
    }
    if (t == type::Resume) {
        Topic topic;
        if (!readTopic(o, &topic, error))
            return std::nullopt;
        const auto from = readIndex(o.value(key::FromIndex));
        const auto index = readIndex(o.value(key::Index));
        if (!from || *from == 0 || !index || *index == 0) {
            *error = QStringLiteral("Resume needs a positive FromIndex and Index");
            return std::nullopt;
        }
        m.type = MessageType::Resume;
        m.resume = Resume{topic, o.value(key::Prefix).toString(), *from, *index, o.value(key::History).toString()};
        return m;
    }
    if (t == type::Error) {
        m.type = MessageType::Error;
        m.error.reason = o.value(key::Reason).toString();
        return m;
    }
    *error = QStringLiteral("unknown message Type '%1'").arg(t);
    return std::nullopt;
}

}  // namespace conclave::stream
