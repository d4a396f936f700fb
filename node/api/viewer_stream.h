#pragma once
// The viewer stream (issue #6): WebSocket subscriptions on the HTTP port at /v1/stream, for
// conclave-gui. Protocol: shared/stream/messages.h and shared/stream/README.md.
//
// One feed per topic, shared by every client: the first Subscribe to a topic reads it from the
// state store with a WatchSet and records the read in a StreamHistory; each wake of the watch
// schedules one more read for the next event-loop turn (writes applied in one turn land in one
// Change), whose difference to the previous read the history records as an event. The kv feed
// reads every key; a client's prefix filters what it is sent. Feeds run for the agent's
// lifetime once started, so that a client that goes away can come back and resume.
//
// Per client and topic the stream keeps only a cursor: the index of the state the client holds.
// A Subscribe is answered per topic with a Resume (the client's History is this agent's, and the
// history has every event after the client's FromIndex: those are sent, then live ones) or a
// Snapshot served from the history's latest state. A client that has more than maxUnsentBytes
// waiting in its socket is sent nothing more, answers to its Subscribes included, until it drains; it then gets what it missed folded into one Change per topic (coalescing:
// intermediate states are skipped), or a fresh Snapshot if the history no longer reaches back to
// its cursor. A client blocked longer than slowClientTimeoutMs
// is closed with a reason. So the agent holds one copy of each topic's state, a bounded history,
// and per client a bounded write buffer: never a queue per client.
//
// Owned by the agent, next to the HttpServer whose upgrade hook calls handleUpgrade(). Event-loop
// thread only. Read-only: KV writes go through the normal HTTP API. The ACL token is accepted and
// ignored until ACLs exist.

#include "api/stream_history.h"
#include "core/state/state_store.h"
#include "shared/model/types.h"

#include <QByteArray>
#include <QObject>
#include <array>
#include <functional>
#include <memory>

class QTcpSocket;
class QWebSocketServer;

namespace conclave::api {

struct ViewerStreamContext {
    state::StateStore *store = nullptr;
    QString datacenter = QStringLiteral("dc1");
    /// The agent's gossip members (topic "members").
    std::function<QList<model::Member>()> members;
    /// Name of the node that leads this datacenter ("" if none is known).
    std::function<QString()> leaderNode;
};

struct ViewerStreamLimits {
    qint64 maxUnsentBytes = 256 * 1024;
    int slowClientTimeoutMs = 30000;
    /// Largest message (and frame) a client may send; a larger one closes the connection with
    /// 1009 (too big). A Subscribe is a few hundred bytes.
    qint64 maxIncomingMessageBytes = 64 * 1024;
    /// How far back a reconnecting (or slow) client can be brought up to date without a Snapshot.
    StreamHistoryLimits history;
};

class ViewerStream : public QObject {
    Q_OBJECT
public:
    /// The path the stream is served on.
    static constexpr const char *kPath = "/v1/stream";

    explicit ViewerStream(ViewerStreamContext ctx, ViewerStreamLimits limits = {},
                          QObject *parent = nullptr);
    ~ViewerStream() override;

    /// True when `head` (the first bytes of a connection, at least the complete request head) is
    /// a WebSocket upgrade request for kPath.
    static bool isStreamUpgrade(const QByteArray &head);

    /// The HttpServer upgrade hook: takes over `socket` (unread) when `peeked` is a stream upgrade
    /// and returns true; otherwise returns false and leaves the socket alone.
    bool handleUpgrade(QTcpSocket *socket, const QByteArray &peeked);

    int clientCount() const;
    const StreamHistory &history() const { return m_history; }

    class Client;  // one WebSocket connection (viewer_stream.cpp)

private:
    /// The shared reader of one topic.
    struct Feed {
        state::WatchRegistry::Handle watch = 0;
        bool dirty = false;  // the watch fired; a read is due
        quint64 storeEpoch = 0;  // the store's epoch at the last read
    };

    /// Starts the topic's feed, or records its pending changes now, so that what the history
    /// holds is the store's state of the topic at this instant.
    void bringUpToDate(stream::Topic topic);
    void readFeed(stream::Topic topic);
    void scheduleFeedReads();
    void readDirtyFeeds();
    void notifyClients();

    ViewerStreamContext m_ctx;
    ViewerStreamLimits m_limits;
    QWebSocketServer *m_server = nullptr;
    QList<Client *> m_clients;
    StreamHistory m_history;
    std::array<Feed, size_t(stream::Topic::Kv) + 1> m_feeds{};
    bool m_readsScheduled = false;
};

}  // namespace conclave::api
