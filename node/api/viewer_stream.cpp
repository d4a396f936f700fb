#include "api/viewer_stream.h"

#include "shared/json/codec.h"
#include "shared/stream/messages.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QPointer>
#include <QSet>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <algorithm>
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
    /// The answer a subscription still owes the client (sent by pump(), within the unsent limit).
    enum class Answer { None, Snapshot, Resume };
    struct Sub {
        stream::TopicRequest req;
        quint64 cursor = 0;  // index of the state the client holds (after what it was sent)
        quint64 epoch = 0;   // the history's epoch of the topic when that state was sent
        Answer answer = Answer::None;
        QString reason;      // of a Snapshot answer
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
            if (m_blocked)
                schedulePump();
        });
    }

    QWebSocket *socket() const { return m_ws; }

    /// A feed recorded something: send it on the next turn (once, however many feeds moved).
    void schedulePump()
    {
        if (m_pumpScheduled || m_dropped)
            return;
        m_pumpScheduled = true;
        QMetaObject::invokeMethod(&m_context, [this] { pump(); }, Qt::QueuedConnection);
    }

private:
    const StreamHistory &history() const { return m_owner->m_history; }

    void send(const QByteArray &text) { m_ws->sendTextMessage(QString::fromUtf8(text)); }
    bool overUnsentLimit() const { return m_ws->bytesToWrite() > m_owner->m_limits.maxUnsentBytes; }
    void sendError(const QString &reason)
    {
        // A client that does not read its answers gets no more of them: what it sends cannot make
        // the agent buffer more than the limit.
        if (overUnsentLimit()) {
            qCDebug(lcStream).noquote() << "not sending an error to a client over the unsent limit:" << reason;
            return;
        }
        send(stream::encode(stream::Error{reason}));
    }

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
        m_subs.clear();
        // First make the history current for every topic asked (this may send other clients what
        // it records), so that each answer below describes the store as it is now.
        for (const stream::TopicRequest &req : msg->subscribe.topics)
            m_owner->bringUpToDate(req.topic);
        const quint64 lastIndex = m_owner->m_ctx.store->lastIndex();
        // The answers are sent by pump(), like Changes, only while the client is under the unsent
        // limit: a client that keeps subscribing without reading gets its slow-client treatment
        // instead of a queue of Snapshots.
        for (const stream::TopicRequest &req : msg->subscribe.topics) {
            Sub sub{req, 0, history().epoch(req.topic), Answer::Snapshot, {}};
            if (req.fromIndex > 0) {
                sub.reason = history().whyNotResumable(req.topic, req.fromIndex, req.history, lastIndex);
                if (sub.reason.isEmpty()) {
                    sub.cursor = req.fromIndex;
                    sub.answer = Answer::Resume;
                    qCDebug(lcStream).noquote() << "resuming" << stream::topicName(req.topic) << "after" << req.fromIndex;
                }
            }
            m_subs.push_back(sub);
        }
        pump();  // the answers, then what the resumed topics missed
    }

    void sendSnapshot(Sub &sub, const QString &reason)
    {
        const stream::Topic t = sub.req.topic;
        sub.cursor = history().head(t);
        sub.epoch = history().epoch(t);
        sub.answer = Answer::None;
        send(stream::encode(stream::Snapshot{t, sub.req.prefix, sub.cursor, history().rows(t, sub.req.prefix), reason,
                                             history().identity(t)}));
    }

    /// Sends each subscription its answer to the Subscribe (Snapshot or Resume) if still owed,
    /// then what the history holds after its cursor, event by event, while the socket takes it.
    /// After the client could not take more (it was blocked), what it missed meanwhile goes as one
    /// Change per topic; a subscription whose cursor the history no longer reaches gets a Snapshot.
    void pump()
    {
        m_pumpScheduled = false;
        if (m_dropped)
            return;
        const bool coalesce = m_blocked;
        m_blocked = false;
        // First every answer still owed to the Subscribe, in the order asked; then the Changes.
        for (Sub &sub : m_subs)
            if (!m_blocked)
                pumpSub(sub, true, coalesce);
        for (Sub &sub : m_subs)
            if (!m_blocked)
                pumpSub(sub, false, coalesce);
        if (!m_blocked)
            m_slowTimer->stop();
        else if (!m_slowTimer->isActive())
            m_slowTimer->start();
    }

    /// Sends one subscription its owed answer (`answersOnly`), or all it has to be sent, until
    /// the client is over the unsent limit (m_blocked).
    void pumpSub(Sub &sub, bool answersOnly, bool coalesce)
    {
        const stream::Topic t = sub.req.topic;
        for (;;) {
            const bool reset = sub.epoch != history().epoch(t);
            const bool behind = sub.cursor < history().base(t);
            if (sub.answer == Answer::Resume && (reset || behind)) {
                // While the Resume waited, the history moved past what it promised.
                sub.answer = Answer::Snapshot;
                sub.reason = QStringLiteral("the agent's history moved on while the client was not reading");
            }
            if (answersOnly && sub.answer == Answer::None)
                return;
            const StreamEvent *e = reset || behind || sub.answer != Answer::None ? nullptr : history().next(t, sub.cursor);
            if (sub.answer == Answer::None && !reset && !behind && !e)
                return;  // up to date
            if (overUnsentLimit()) {
                m_blocked = true;  // bytesWritten brings us back
                return;
            }
            if (sub.answer == Answer::Resume) {
                sub.answer = Answer::None;
                const quint64 upTo = std::max(sub.cursor, history().head(t));
                send(stream::encode(stream::Resume{t, sub.req.prefix, sub.cursor, upTo, history().identity(t)}));
            } else if (sub.answer == Answer::Snapshot) {
                sendSnapshot(sub, sub.reason);
            } else if (reset || behind) {
                sendSnapshot(sub, reset ? QStringLiteral("the agent's state of this topic was replaced")
                                        : QStringLiteral("the client fell behind the agent's history"));
            } else if (coalesce) {
                if (const auto change = history().changeSince(t, sub.cursor, sub.req.prefix))
                    send(stream::encode(*change));
                sub.cursor = history().head(t);
            } else {
                const QByteArray text = e->encodedFor(sub.req.prefix);
                if (!text.isEmpty())
                    send(text);
                sub.cursor = e->index;
            }
            if (answersOnly)
                return;
        }
    }

    void dropSlowClient()
    {
        const QString reason = QStringLiteral("client too slow: over %1 bytes unread for %2 ms")
                                   .arg(m_owner->m_limits.maxUnsentBytes)
                                   .arg(m_owner->m_limits.slowClientTimeoutMs);
        qCInfo(lcStream).noquote() << "closing viewer stream" << m_ws->peerAddress().toString() << reason;
        m_dropped = true;
        m_subs.clear();
        QWebSocket *ws = m_ws;
        // A client that does not read will not read the close frame either.
        QTimer::singleShot(5000, ws, [ws] { ws->abort(); });
        // Last: close() may disconnect at once, and the disconnected handler deletes this Client.
        ws->close(QWebSocketProtocol::CloseCodePolicyViolated, reason);
    }

    ViewerStream *m_owner;
    QWebSocket *m_ws;
    QTimer *m_slowTimer = nullptr;
    std::vector<Sub> m_subs;
    bool m_pumpScheduled = false;
    bool m_blocked = false;
    bool m_dropped = false;
    QObject m_context;  // last member: destroyed first, taking its connections and queued calls along
};

void ViewerStream::bringUpToDate(stream::Topic topic)
{
    const Feed &feed = m_feeds[size_t(topic)];
    if (!m_history.isRecording(topic) || feed.dirty) {
        readFeed(topic);
        notifyClients();
    }
}

void ViewerStream::readFeed(stream::Topic topic)
{
    Feed &feed = m_feeds[size_t(topic)];
    feed.dirty = false;
    if (feed.watch)
        m_ctx.store->watches().cancel(feed.watch);
    state::WatchSet ws;
    const TopicRead read = readTopic(m_ctx, stream::TopicRequest{topic, QString(), 0}, &ws);
    const quint64 storeEpoch = m_ctx.store->epoch();
    if (m_history.isRecording(topic) && feed.storeEpoch != storeEpoch) {
        // A restored snapshot replaced the store: its indexes may name other states than the ones
        // recorded, so nothing before this read can be resumed.
        m_history.restart(topic, read.index, read.rows);
        qCInfo(lcStream).noquote() << "viewer stream:" << stream::topicName(topic)
                                   << "the store was restored; its history starts again at" << read.index;
    } else if (m_history.record(topic, read.index, read.rows) == StreamHistory::Recorded::Restarted) {
        qCInfo(lcStream).noquote() << "viewer stream:" << stream::topicName(topic)
                                   << "changed without its index rising; its history starts again at" << read.index;
    }
    feed.storeEpoch = storeEpoch;
    feed.watch = m_ctx.store->watches().watch(ws, [this, topic] {
        Feed &f = m_feeds[size_t(topic)];
        f.watch = 0;
        f.dirty = true;
        scheduleFeedReads();
    });
}

void ViewerStream::scheduleFeedReads()
{
    if (m_readsScheduled)
        return;
    m_readsScheduled = true;
    // Queued: every entry applied in this event-loop turn (a group commit) lands in one event.
    QMetaObject::invokeMethod(this, &ViewerStream::readDirtyFeeds, Qt::QueuedConnection);
}

void ViewerStream::readDirtyFeeds()
{
    m_readsScheduled = false;
    bool any = false;
    for (size_t i = 0; i < m_feeds.size(); ++i) {
        if (m_feeds[i].dirty) {
            readFeed(stream::Topic(i));
            any = true;
        }
    }
    if (any)
        notifyClients();
}

void ViewerStream::notifyClients()
{
    for (Client *c : std::as_const(m_clients))
        c->schedulePump();
}

ViewerStream::ViewerStream(ViewerStreamContext ctx, ViewerStreamLimits limits, QObject *parent)
    : QObject(parent), m_ctx(std::move(ctx)), m_limits(limits), m_history(limits.history)
{
    m_server = new QWebSocketServer(QStringLiteral("conclave"), QWebSocketServer::NonSecureMode, this);
    connect(m_server, &QWebSocketServer::newConnection, this, [this] {
        while (QWebSocket *ws = m_server->nextPendingConnection()) {
            ws->setParent(this);
            // Qt's default would let one message (or frame) grow to 2 GiB in memory.
            ws->setMaxAllowedIncomingMessageSize(quint64(m_limits.maxIncomingMessageBytes));
            ws->setMaxAllowedIncomingFrameSize(quint64(m_limits.maxIncomingMessageBytes));
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
    for (const Feed &feed : m_feeds)
        if (feed.watch)
            m_ctx.store->watches().cancel(feed.watch);
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
