#pragma once
// FakeAgentLink: an AgentLink that tests and the benchmark drive by hand (LogCabin's
// MockClientImpl idea): open() connects at once, subscribe() is recorded, and the helpers push
// Snapshot and Change messages built from model types through the same signals WsAgentLink uses.
// Test code only; GUI thread. Header-only and without Q_OBJECT: it only emits AgentLink's signals.

#include "gui/net/agent_link.h"
#include "shared/json/codec.h"
#include "shared/stream/messages.h"

#include <QJsonArray>

namespace conclave::gui::test {

class FakeAgentLink : public AgentLink {
public:
    using AgentLink::AgentLink;

    void open(const QString &address, const QString &token) override
    {
        m_address = address;
        m_token = token;
        ++opens;
        setState(State::Connected);
    }
    void close() override { setState(State::Disconnected); }
    void subscribe(const stream::Subscribe &s) override { subscriptions.append(s); }

    /// Simulates a dropped connection (the real link then reconnects).
    void drop(const QString &why) { setState(State::Reconnecting, why); }
    void reconnect() { setState(State::Connected); }

    /// The agent's history identity sent with Snapshots and Resumes (a restarted agent has another).
    QString history = QStringLiteral("h1.0");

    void snapshot(stream::Topic topic, quint64 index, const QJsonArray &rows, const QString &prefix = {})
    {
        emit snapshotReceived(stream::Snapshot{topic, prefix, index, rows, {}, history});
    }
    void change(stream::Topic topic, quint64 index, const QJsonArray &upserts, const QStringList &deletes = {},
                const QString &prefix = {})
    {
        emit changeReceived(stream::Change{topic, prefix, index, upserts, deletes});
    }
    /// The agent's answer to a topic it can continue from `fromIndex`; Changes follow.
    void resume(stream::Topic topic, quint64 fromIndex, quint64 index, const QString &prefix = {})
    {
        emit resumeReceived(stream::Resume{topic, prefix, fromIndex, index, history});
    }
    /// A Snapshot that answers a resume the agent could not honour.
    void reload(stream::Topic topic, quint64 index, const QJsonArray &rows, const QString &reason)
    {
        emit snapshotReceived(stream::Snapshot{topic, {}, index, rows, reason, history});
    }

    // Row builders, spelled by the shared codec exactly as the agent spells them.
    static QJsonObject nodeRow(const QString &name, const QString &address, const QString &dc = QStringLiteral("dc1"))
    {
        model::Node n;
        n.node = name;
        n.address = address;
        n.datacenter = dc;
        n.id = QStringLiteral("00000000-0000-0000-0000-%1").arg(qHash(name) % 1000000000000ULL, 12, 10, QLatin1Char('0'));
        return json::nodeToJson(n);
    }
    static QJsonObject serviceRow(const QString &node, const QString &name, int port, const QStringList &tags = {},
                                  const QString &id = {})
    {
        model::Service s;
        s.service = name;
        s.id = id.isEmpty() ? name : id;
        s.port = port;
        s.tags = tags;
        return QJsonObject{{stream::field::Node, node}, {stream::field::Service, json::nodeServiceToJson(s)}};
    }
    static QJsonObject checkRow(const QString &node, const QString &id, const QString &status,
                                const QString &serviceId = {}, const QString &output = {})
    {
        model::Check c;
        c.node = node;
        c.checkId = id;
        c.name = id;
        c.status = status;
        c.serviceId = serviceId;
        c.serviceName = serviceId;
        c.output = output;
        return json::checkToJson(c);
    }
    static QJsonObject kvRow(const QString &key, const QByteArray &value, quint64 index)
    {
        model::KvEntry e;
        e.key = key;
        e.value = value;
        e.index = {index, index};
        return json::kvEntryToJson(e);
    }
    static QJsonObject dcRow(const QString &dc, const QString &leader)
    {
        return QJsonObject{{stream::field::Datacenter, dc}, {stream::field::Leader, leader}};
    }

    QList<stream::Subscribe> subscriptions;
    int opens = 0;
};

}  // namespace conclave::gui::test
