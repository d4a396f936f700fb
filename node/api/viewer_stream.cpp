#include "api/viewer_stream.h"

#include "shared/json/codec.h"
#include "shared/stream/messages.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QPointer>
#include <QSet>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <memory>
#include <vector>

Q_LOGGING_CATEGORY(lcStream, "conclave.api.stream")

namespace conclave::api {

namespace {

struct TopicRead {
    quint64 index = 1;
    QList<QJsonObject> rows;
};

/// Reads one topic from the store, recording what it depended on in `ws`.
TopicRead readTopic(const ViewerStreamContext &ctx, const stream::TopicRequest &req, state::WatchSet *ws)
{
    const state::StateStore &store = *ctx.store;
    TopicRead out;
    switch (req.topic) {
    case stream::Topic::Kv: {
        const auto r = store.kvList(req.prefix, ws);
        out.index = r.index;
        for (const model::KvEntry &e : r.value)
            out.rows.append(json::kvEntryToJson(e));
        break;
    }
    case stream::Topic::Nodes: {
        const auto r = store.nodes(ws);
        out.index = r.index;
        for (const model::Node &n : r.value)
            out.rows.append(json::nodeToJson(n));
        break;
    }
    case stream::Topic::Services: {
        const auto nodes = store.nodes(ws);
        ws->add(state::WatchSet::table(state::tables::Services));
        out.index = store.maxIndex({state::tables::Nodes, state::tables::Services});
        for (const model::Node &n : nodes.value) {
            const auto ns = store.nodeServices(n.node);
            if (!ns.value)
                continue;
            for (const model::Service &s : ns.value->services)
                out.rows.append(QJsonObject{{stream::field::Node, n.node},
                                            {stream::field::Service, json::nodeServiceToJson(s)}});
        }
        break;
    }
    case stream::Topic::Checks: {
        const auto r = store.checksInState(QStringLiteral("any"), ws);
        out.index = r.index;
        for (const model::Check &c : r.value)
            out.rows.append(json::checkToJson(c));
        break;
    }
    case stream::Topic::Datacenters: {
        const auto r = store.nodes(ws);
        out.index = r.index;
        QSet<QString> dcs{ctx.datacenter};
        for (const model::Node &n : r.value)
            if (!n.datacenter.isEmpty())
                dcs.insert(n.datacenter);
        QStringList sorted(dcs.begin(), dcs.end());
        sorted.sort();
        const QString leader = ctx.leaderNode ? ctx.leaderNode() : QString();
        for (const QString &dc : sorted)
            out.rows.append(QJsonObject{{stream::field::Datacenter, dc},
                                        {stream::field::Leader, dc == ctx.datacenter ? leader : QString()}});
        break;
    }
    case stream::Topic::Members: {
        // Members live in gossip, not in the store; the nodes table is the closest thing that
        // moves when they do.
        const auto r = store.nodes(ws);
        out.index = r.index;
        if (ctx.members)
            for (const model::Member &m : ctx.members())
                out.rows.append(json::memberToJson(m));
        break;
    }
    }
    return out;
}

}  // namespace

/// One WebSocket connection and its subscriptions. Owned by ViewerStream; lives as long as its
/// socket is connected.
class ViewerStream::Client {
public:
    struct Sub {
        stream::TopicRequest req;
        QHash<QString, QJsonObject> sent;  // row id → row as last sent
        quint64 sentIndex = 0;
        state::WatchRegistry::Handle watch = 0;
        bool dirty = false;
    };

    Client(ViewerStream *owner, QWebSocket *ws) : m_owner(owner), m_ws(ws)
    {
        // Every connection and queued call uses m_context, so none can reach a deleted Client.
        QObject *ctx = &m_context;
        m_slowTimer = new QTimer(ctx);
        m_slowTimer->setSingleShot(true);
        m_slowTimer->setInterval(owner->m_limits.slowClientTimeoutMs);
        QObject::connect(m_slowTimer, &QTimer::timeout, ctx, [this] { dropSlowClient(); });
        QObject::connect(ws, &QWebSocket::textMessageReceived, ctx,
                         [this](const QString &text) { onMessage(text.toUtf8()); });
        QObject::connect(ws, &QWebSocket::binaryMessageReceived, ctx,
                         [this](const QByteArray &) { sendError(QStringLiteral("binary messages are not supported")); });
        QObject::connect(ws, &QWebSocket::bytesWritten, ctx, [this](qint64) {
            if (hasDirty())
                scheduleFlush();
        });
    }

    ~Client() { clearSubs(); }

    QWebSocket *socket() const { return m_ws; }

private:
    state::StateStore &store() { return *m_owner->m_ctx.store; }

    void clearSubs()
    {
        for (const auto &s : m_subs)
            if (s->watch)
                store().watches().cancel(s->watch);
        m_subs.clear();
    }

    bool hasDirty() const
    {
        for (const auto &s : m_subs)
            if (s->dirty)
                return true;
        return false;
    }

    void send(const QByteArray &text) { m_ws->sendTextMessage(QString::fromUtf8(text)); }
    void sendError(const QString &reason) { send(stream::encode(stream::Error{reason})); }

    void onMessage(const QByteArray &text)
    {
        QString error;
        const auto msg = stream::decode(text, &error);
        if (!msg) {
            sendError(error);
            return;
        }
        if (msg->type != stream::MessageType::Subscribe) {
            sendError(QStringLiteral("only Subscribe messages are accepted"));
            return;
        }
        clearSubs();
        for (const stream::TopicRequest &req : msg->subscribe.topics) {
            auto sub = std::make_shared<Sub>();
            sub->req = req;
            m_subs.push_back(sub);
            start(sub);
        }
    }

    void start(const std::shared_ptr<Sub> &sub)
    {
        state::WatchSet ws;
        TopicRead read = readTopic(m_owner->m_ctx, sub->req, &ws);
        for (const QJsonObject &row : read.rows)
            sub->sent.insert(stream::rowId(sub->req.topic, row), row);
        sub->sentIndex = read.index;
        // Resume: the client already holds this state (or a newer one from another agent).
        if (sub->req.fromIndex == 0 || sub->req.fromIndex < read.index) {
            QJsonArray rows;
            for (const QJsonObject &row : read.rows)
                rows.append(row);
            send(stream::encode(stream::Snapshot{sub->req.topic, sub->req.prefix, read.index, rows}));
        }
        arm(sub, ws);
    }

    void arm(const std::shared_ptr<Sub> &sub, const state::WatchSet &ws)
    {
        std::weak_ptr<Sub> weak = sub;
        sub->watch = store().watches().watch(ws, [this, weak] {
            auto s = weak.lock();
            if (!s)
                return;
            s->watch = 0;
            s->dirty = true;
            scheduleFlush();
        });
    }

    void scheduleFlush()
    {
        if (m_flushScheduled)
            return;
        m_flushScheduled = true;
        // Queued: every entry applied in this event-loop turn (a group commit) lands in one Change.
        QMetaObject::invokeMethod(&m_context, [this] { flush(); }, Qt::QueuedConnection);
    }

    void flush()
    {
        m_flushScheduled = false;
        if (m_ws->bytesToWrite() > m_owner->m_limits.maxUnsentBytes) {
            // Coalesce: leave the topics dirty; bytesWritten brings us back with the latest state.
            if (!m_slowTimer->isActive())
                m_slowTimer->start();
            return;
        }
        m_slowTimer->stop();
        const auto subs = m_subs;  // sending never re-enters, but keep the list stable anyway
        for (const auto &sub : subs)
            if (sub->dirty)
                sendChange(sub);
    }

    void sendChange(const std::shared_ptr<Sub> &sub)
    {
        sub->dirty = false;
        state::WatchSet ws;
        TopicRead read = readTopic(m_owner->m_ctx, sub->req, &ws);
        QHash<QString, QJsonObject> now;
        now.reserve(read.rows.size());
        QJsonArray upserts;
        for (const QJsonObject &row : read.rows) {
            const QString id = stream::rowId(sub->req.topic, row);
            const auto it = sub->sent.constFind(id);
            if (it == sub->sent.cend() || *it != row)
                upserts.append(row);
            now.insert(id, row);
        }
        QStringList deletes;
        for (auto it = sub->sent.cbegin(); it != sub->sent.cend(); ++it)
            if (!now.contains(it.key()))
                deletes.append(it.key());
        deletes.sort();
        sub->sent = std::move(now);
        if (!upserts.isEmpty() || !deletes.isEmpty()) {
            sub->sentIndex = read.index;
            send(stream::encode(stream::Change{sub->req.topic, sub->req.prefix, read.index, upserts, deletes}));
        }
        arm(sub, ws);
    }

    void dropSlowClient()
    {
        const QString reason = QStringLiteral("client too slow: over %1 bytes unread for %2 ms")
                                   .arg(m_owner->m_limits.maxUnsentBytes)
                                   .arg(m_owner->m_limits.slowClientTimeoutMs);
        qCInfo(lcStream).noquote() << "closing viewer stream" << m_ws->peerAddress().toString() << reason;
        clearSubs();
        m_ws->close(QWebSocketProtocol::CloseCodePolicyViolated, reason);
        // A client that does not read will not read the close frame either.
        QTimer::singleShot(5000, m_ws, [ws = m_ws] { ws->abort(); });
    }

    ViewerStream *m_owner;
    QWebSocket *m_ws;
    QTimer *m_slowTimer = nullptr;
    std::vector<std::shared_ptr<Sub>> m_subs;
    bool m_flushScheduled = false;
    QObject m_context;  // last member: destroyed first, taking its connections and queued calls along
};

ViewerStream::ViewerStream(ViewerStreamContext ctx, ViewerStreamLimits limits, QObject *parent)
    : QObject(parent), m_ctx(std::move(ctx)), m_limits(limits)
{
    m_server = new QWebSocketServer(QStringLiteral("conclave"), QWebSocketServer::NonSecureMode, this);
    connect(m_server, &QWebSocketServer::newConnection, this, [this] {
        while (QWebSocket *ws = m_server->nextPendingConnection()) {
            ws->setParent(this);
            auto *client = new Client(this, ws);
            m_clients.append(client);
            connect(ws, &QWebSocket::disconnected, this, [this, client, ws] {
                m_clients.removeOne(client);
                delete client;
                ws->deleteLater();
            });
        }
    });
}

ViewerStream::~ViewerStream()
{
    qDeleteAll(m_clients);
    m_clients.clear();
}

bool ViewerStream::isStreamUpgrade(const QByteArray &head)
{
    const qsizetype lineEnd = head.indexOf("\r\n");
    if (lineEnd < 0)
        return false;
    const QList<QByteArray> requestLine = head.left(lineEnd).split(' ');
    if (requestLine.size() != 3 || requestLine[0] != "GET")
        return false;
    QByteArray path = requestLine[1];
    const qsizetype q = path.indexOf('?');
    if (q >= 0)
        path.truncate(q);
    if (path != kPath)
        return false;
    qsizetype pos = lineEnd + 2;
    while (pos < head.size()) {
        qsizetype end = head.indexOf("\r\n", pos);
        if (end < 0)
            end = head.size();
        if (end == pos)
            break;  // end of the head
        const QByteArray line = head.mid(pos, end - pos);
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == "upgrade"
            && line.mid(colon + 1).toLower().contains("websocket"))
            return true;
        pos = end + 2;
    }
    return false;
}

bool ViewerStream::handleUpgrade(QTcpSocket *socket, const QByteArray &peeked)
{
    if (!isStreamUpgrade(peeked))
        return false;
    socket->setParent(this);
    m_server->handleConnection(socket);
    return true;
}

int ViewerStream::clientCount() const
{
    return int(m_clients.size());
}

}  // namespace conclave::api
