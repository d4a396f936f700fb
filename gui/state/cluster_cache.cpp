#include "gui/state/cluster_cache.h"

#include "shared/json/codec.h"
#include "shared/json/keys.h"

#include <QJsonArray>
#include <QJsonObject>

namespace conclave::gui {

namespace {

using stream::Topic;
namespace key = json::key;

constexpr Topic kAllTopics[] = {Topic::Datacenters, Topic::Members, Topic::Nodes,
                                Topic::Services, Topic::Checks, Topic::Kv};

QStringList stringList(const QJsonValue &v)
{
    QStringList out;
    for (const QJsonValue &s : v.toArray())
        out.append(s.toString());
    return out;
}

QMap<QString, QString> stringMap(const QJsonValue &v)
{
    QMap<QString, QString> out;
    const QJsonObject o = v.toObject();
    for (auto it = o.begin(); it != o.end(); ++it)
        out.insert(it.key(), it.value().toString());
    return out;
}

model::RaftIndex raftIndex(const QJsonObject &o)
{
    return {quint64(o.value(key::CreateIndex).toDouble()), quint64(o.value(key::ModifyIndex).toDouble())};
}

// The codec has readers for nodes, KV and members only; these two read our own NodeService and
// HealthCheck output with the codec's key table.
model::Service serviceFromRow(const QJsonObject &o)
{
    model::Service s;
    s.kind = o.value(key::Kind).toString();
    s.id = o.value(key::ID).toString();
    s.service = o.value(key::Service).toString();
    s.tags = stringList(o.value(key::Tags));
    s.address = o.value(key::Address).toString();
    s.meta = stringMap(o.value(key::Meta));
    s.port = o.value(key::Port).toInt();
    s.index = raftIndex(o);
    return s;
}

model::Check checkFromRow(const QJsonObject &o)
{
    model::Check c;
    c.node = o.value(key::Node).toString();
    c.checkId = o.value(key::CheckID).toString();
    c.name = o.value(key::Name).toString();
    c.status = o.value(key::Status).toString();
    c.notes = o.value(key::Notes).toString();
    c.output = o.value(key::Output).toString();
    c.serviceId = o.value(key::ServiceID).toString();
    c.serviceName = o.value(key::ServiceName).toString();
    c.serviceTags = stringList(o.value(key::ServiceTags));
    c.type = o.value(key::Type).toString();
    c.index = raftIndex(o);
    return c;
}

}  // namespace

Health healthFromStatus(const QString &status)
{
    if (status == model::status::Passing)
        return Health::Passing;
    if (status == model::status::Warning)
        return Health::Warning;
    if (status == model::status::Critical)
        return Health::Critical;
    return Health::Unknown;
}

ClusterCache::ClusterCache(AgentLink *link, QObject *parent) : QObject(parent), m_link(link)
{
    connect(link, &AgentLink::connected, this, [this] { resubscribe(true); });
    connect(link, &AgentLink::snapshotReceived, this, &ClusterCache::applySnapshot);
    connect(link, &AgentLink::changeReceived, this, &ClusterCache::applyChange);
    connect(link, &AgentLink::resumeReceived, this, &ClusterCache::applyResume);
}

void ClusterCache::setKvPrefix(const QString &prefix)
{
    if (prefix == m_kvPrefix)
        return;
    m_kvPrefix = prefix;
    clearTopic(Topic::Kv);
    emit topicReset(Topic::Kv);
    resubscribe(false);
}

void ClusterCache::clear()
{
    m_resumeAsked.clear();
    for (Topic t : kAllTopics) {
        clearTopic(t);
        emit topicReset(t);
    }
    emit updated();
}

void ClusterCache::resubscribe(bool connected)
{
    if (m_link->state() != AgentLink::State::Connected)
        return;
    stream::Subscribe s;
    m_resumeAsked.clear();
    m_resumed = m_reloaded = 0;
    m_resumeFrom = 0;
    for (Topic t : kAllTopics) {
        s.topics.append(stream::TopicRequest{t, t == Topic::Kv ? m_kvPrefix : QString(), index(t), history(t)});
        if (connected && index(t) > 0) {
            m_resumeAsked.insert(int(t));
            m_resumeFrom = std::max(m_resumeFrom, index(t));
        }
    }
    m_link->subscribe(s);
}

void ClusterCache::noteAnswer(Topic topic, bool resumed)
{
    if (!m_resumeAsked.remove(int(topic)))
        return;
    ++(resumed ? m_resumed : m_reloaded);
    if (m_resumeAsked.isEmpty())
        emit resumeAnswered(m_resumed, m_reloaded, m_resumeFrom);
}

void ClusterCache::clearTopic(Topic topic)
{
    m_index.remove(int(topic));
    m_history.remove(int(topic));
    switch (topic) {
    case Topic::Datacenters: m_dcs.clear(); break;
    case Topic::Members: m_members.clear(); break;
    case Topic::Nodes: m_nodes.clear(); break;
    case Topic::Services: m_services.clear(); m_servicesByNode.clear(); break;
    case Topic::Checks: m_checks.clear(); m_checksByNode.clear(); break;
    case Topic::Kv: m_kv.clear(); break;
    }
}

void ClusterCache::upsertRow(Topic topic, const QString &id, const QJsonObject &row)
{
    switch (topic) {
    case Topic::Datacenters:
        m_dcs.insert(id, DatacenterInfo{id, row.value(stream::field::Leader).toString()});
        break;
    case Topic::Members:
        m_members.insert(id, json::memberFromJson(row));
        break;
    case Topic::Nodes:
        m_nodes.insert(id, json::nodeFromJson(row));
        break;
    case Topic::Services: {
        ServiceRow r{row.value(stream::field::Node).toString(), serviceFromRow(row.value(stream::field::Service).toObject())};
        m_servicesByNode[r.node].insert(id);
        m_services.insert(id, std::move(r));
        break;
    }
    case Topic::Checks: {
        model::Check c = checkFromRow(row);
        m_checksByNode[c.node].insert(id);
        m_checks.insert(id, std::move(c));
        break;
    }
    case Topic::Kv:
        m_kv.insert(id, json::kvEntryFromJson(row));
        break;
    }
}

void ClusterCache::removeRow(Topic topic, const QString &id)
{
    switch (topic) {
    case Topic::Datacenters: m_dcs.remove(id); break;
    case Topic::Members: m_members.remove(id); break;
    case Topic::Nodes: m_nodes.remove(id); break;
    case Topic::Services: {
        const auto it = m_services.find(id);
        if (it != m_services.end()) {
            m_servicesByNode[it->node].remove(id);
            m_services.erase(it);
        }
        break;
    }
    case Topic::Checks: {
        const auto it = m_checks.find(id);
        if (it != m_checks.end()) {
            m_checksByNode[it->node].remove(id);
            m_checks.erase(it);
        }
        m_checkChangedAt.remove(id);
        break;
    }
    case Topic::Kv: m_kv.remove(id); break;
    }
}

void ClusterCache::applySnapshot(const stream::Snapshot &snapshot)
{
    if (snapshot.topic == Topic::Kv && snapshot.prefix != m_kvPrefix)
        return;  // an answer to an older subscription
    noteAnswer(snapshot.topic, false);
    clearTopic(snapshot.topic);
    for (const QJsonValue &v : snapshot.rows) {
        const QJsonObject row = v.toObject();
        upsertRow(snapshot.topic, stream::rowId(snapshot.topic, row), row);
    }
    m_index.insert(int(snapshot.topic), snapshot.index);
    m_history.insert(int(snapshot.topic), snapshot.history);
    emit topicReset(snapshot.topic);
    emit updated();
}

void ClusterCache::applyChange(const stream::Change &change)
{
    if (change.topic == Topic::Kv && change.prefix != m_kvPrefix)
        return;
    if (change.index <= index(change.topic))
        return;
    QStringList upserted;
    upserted.reserve(change.upserts.size());
    const QDateTime now = QDateTime::currentDateTime();
    for (const QJsonValue &v : change.upserts) {
        const QJsonObject row = v.toObject();
        const QString id = stream::rowId(change.topic, row);
        if (change.topic == Topic::Checks) {
            const auto old = m_checks.constFind(id);
            if (old == m_checks.cend() || old->status != row.value(json::key::Status).toString()
                || old->output != row.value(json::key::Output).toString())
                m_checkChangedAt.insert(id, now);
        }
        upsertRow(change.topic, id, row);
        upserted.append(id);
    }
    for (const QString &id : change.deletes)
        removeRow(change.topic, id);
    m_index.insert(int(change.topic), change.index);
    emit topicChanged(change.topic, upserted, change.deletes);
    emit updated();
}

void ClusterCache::applyResume(const stream::Resume &resume)
{
    if (resume.topic == Topic::Kv && resume.prefix != m_kvPrefix)
        return;
    // The rows stay; the Changes that follow bring them up to date (those at or below the index
    // already applied, should any come, are ignored as usual).
    m_history.insert(int(resume.topic), resume.history);
    noteAnswer(resume.topic, true);
}

QList<model::Service> ClusterCache::servicesOf(const QString &node) const
{
    QList<model::Service> out;
    const auto ids = m_servicesByNode.constFind(node);
    if (ids == m_servicesByNode.cend())
        return out;
    out.reserve(ids->size());
    for (const QString &id : *ids) {
        const auto s = m_services.constFind(id);
        if (s != m_services.cend())
            out.append(s->service);
    }
    std::sort(out.begin(), out.end(), [](const model::Service &a, const model::Service &b) {
        return a.service != b.service ? a.service < b.service : a.id < b.id;
    });
    return out;
}

QList<model::Check> ClusterCache::checksOf(const QString &node) const
{
    QList<model::Check> out;
    for (const QString &id : m_checksByNode.value(node))
        out.append(m_checks.value(id));
    std::sort(out.begin(), out.end(), [](const model::Check &a, const model::Check &b) { return a.checkId < b.checkId; });
    return out;
}

Health ClusterCache::nodeHealth(const QString &node) const
{
    Health worst = Health::Unknown;
    const auto ids = m_checksByNode.constFind(node);
    if (ids == m_checksByNode.cend())
        return worst;
    for (const QString &id : *ids) {
        const auto c = m_checks.constFind(id);
        if (c != m_checks.cend())
            worst = std::max(worst, healthFromStatus(c->status));
    }
    return worst;
}

Health ClusterCache::serviceHealth(const QString &node, const QString &serviceId) const
{
    Health worst = Health::Unknown;
    const auto ids = m_checksByNode.constFind(node);
    if (ids == m_checksByNode.cend())
        return worst;
    for (const QString &id : *ids) {
        const auto c = m_checks.constFind(id);
        if (c != m_checks.cend() && (c->serviceId.isEmpty() || c->serviceId == serviceId))
            worst = std::max(worst, healthFromStatus(c->status));
    }
    return worst;
}

bool ClusterCache::isServer(const QString &node) const
{
    // Servers register the `consul` service (Consul's leader reconciles them so).
    return m_services.contains(node + QStringLiteral("/consul"));
}

bool ClusterCache::isLeader(const QString &node) const
{
    const auto nodeIt = m_nodes.constFind(node);
    if (nodeIt == m_nodes.cend())
        return false;
    const auto dc = m_dcs.constFind(nodeIt->datacenter);
    return dc != m_dcs.cend() && !dc->leader.isEmpty() && dc->leader == node;
}

}  // namespace conclave::gui
