#pragma once
// ClusterCache: the viewer's mirror of one agent's state, fed by AgentLink messages. Keeps, per
// topic, the rows and the index of the last message applied; subscribes, and after a reconnect
// resubscribes with FromIndex = those indexes and the agent's history they belong to: where the agent still has the changes since, it
// answers with a Resume and sends just those as Changes, which apply in place (no topicReset, so
// models keep their rows and views their selection); otherwise it sends a Snapshot, which reloads
// the topic. Emits which rows changed so models can emit dataChanged for those rows only (STYLE.md
// §3 GUI data flow), and, once every topic asked to resume has been answered, how many resumed.
//
// Rules: a Snapshot replaces its topic (it is authoritative, even at a lower index: the agent may
// have been reset); a Change applies only if it raises the topic's index (duplicates and stale
// messages are ignored); a Resume changes nothing by itself.
//
// Owned by GuiApplication (or a test/bench) together with its AgentLink; GUI thread only. This is
// the only GUI code that reads stream rows (JSON); models and views see model:: types.

#include "gui/net/agent_link.h"
#include "shared/model/types.h"
#include "shared/stream/messages.h"

#include <QDateTime>
#include <QHash>
#include <QMap>
#include <QObject>
#include <QSet>

namespace conclave::gui {

struct DatacenterInfo {
    QString name;
    QString leader;  // node name, "" if unknown
};

struct ServiceRow {
    QString node;
    model::Service service;
};

/// Check states in increasing severity; the worst of a set decides a tile's colour.
enum class Health { Unknown = 0, Passing = 1, Warning = 2, Critical = 3 };
Health healthFromStatus(const QString &status);

class ClusterCache : public QObject {
    Q_OBJECT
public:
    explicit ClusterCache(AgentLink *link, QObject *parent = nullptr);

    /// KV keys under this prefix are mirrored ("" = all). Changing it resubscribes.
    void setKvPrefix(const QString &prefix);
    QString kvPrefix() const { return m_kvPrefix; }

    /// Forgets everything (a new agent address); emits topicReset for every topic.
    void clear();

    quint64 index(stream::Topic topic) const { return m_index.value(int(topic)); }
    /// The agent's history that index(topic) belongs to (from the last Snapshot or Resume); sent
    /// back with FromIndex, so that only the same history is resumed.
    QString history(stream::Topic topic) const { return m_history.value(int(topic)); }

    const QMap<QString, DatacenterInfo> &datacenters() const { return m_dcs; }
    const QMap<QString, model::Member> &members() const { return m_members; }
    const QMap<QString, model::Node> &nodes() const { return m_nodes; }
    const QMap<QString, ServiceRow> &services() const { return m_services; }  // id "<node>/<ID>"
    const QMap<QString, model::Check> &checks() const { return m_checks; }    // id "<node>/<CheckID>"
    const QMap<QString, model::KvEntry> &kv() const { return m_kv; }

    QList<model::Service> servicesOf(const QString &node) const;
    QList<model::Check> checksOf(const QString &node) const;
    /// Worst status of the node's checks (node-level and its services'), Unknown if none.
    Health nodeHealth(const QString &node) const;
    /// Worst of the node-level checks and the service's own checks.
    Health serviceHealth(const QString &node, const QString &serviceId) const;
    bool isServer(const QString &node) const;
    bool isLeader(const QString &node) const;
    /// When this viewer last saw the check change (local clock), invalid before the first change.
    QDateTime checkChangedAt(const QString &checkRowId) const { return m_checkChangedAt.value(checkRowId); }

    /// Applies one message as if it came from the link (used by the link signals; public so that
    /// tests and the benchmark can time it).
    void applySnapshot(const stream::Snapshot &snapshot);
    void applyChange(const stream::Change &change);
    void applyResume(const stream::Resume &resume);

signals:
    void topicReset(conclave::stream::Topic topic);
    /// Row ids that were inserted or replaced, and ids that are gone.
    void topicChanged(conclave::stream::Topic topic, const QStringList &upserted, const QStringList &deleted);
    /// Any topic moved: the status bar refreshes its counts.
    void updated();
    /// The agent answered a subscription that asked to continue from earlier indexes (a
    /// reconnect): `resumedTopics` continue with the Changes they missed, `reloadedTopics` got a
    /// Snapshot instead. `fromIndex` is the highest index asked. Not emitted for a subscription
    /// that asked for nothing (the first one).
    void resumeAnswered(int resumedTopics, int reloadedTopics, quint64 fromIndex);

private:
    /// `connected`: the link has just (re)connected; only then are the answers tallied for
    /// resumeAnswered.
    void resubscribe(bool connected);
    /// Counts the answer to a topic asked to resume; emits resumeAnswered after the last one.
    void noteAnswer(stream::Topic topic, bool resumed);
    void upsertRow(stream::Topic topic, const QString &id, const QJsonObject &row);
    void removeRow(stream::Topic topic, const QString &id);
    void clearTopic(stream::Topic topic);

    AgentLink *m_link;
    QString m_kvPrefix;
    QHash<int, quint64> m_index;
    QHash<int, QString> m_history;
    QMap<QString, DatacenterInfo> m_dcs;
    QMap<QString, model::Member> m_members;
    QMap<QString, model::Node> m_nodes;
    QMap<QString, ServiceRow> m_services;
    QMap<QString, model::Check> m_checks;
    QMap<QString, model::KvEntry> m_kv;
    QHash<QString, QSet<QString>> m_servicesByNode;
    QHash<QString, QSet<QString>> m_checksByNode;
    QHash<QString, QDateTime> m_checkChangedAt;
    // The subscription in flight: topics asked to resume and not answered yet, and the tally.
    QSet<int> m_resumeAsked;
    int m_resumed = 0;
    int m_reloaded = 0;
    quint64 m_resumeFrom = 0;
};

}  // namespace conclave::gui
