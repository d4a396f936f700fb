#pragma once
// The viewer stream (issue #6): WebSocket subscriptions on the HTTP port at /v1/stream, for
// conclave-gui. Protocol: shared/stream/messages.h and shared/stream/README.md.
//
// Per subscribed topic it reads the state store with a WatchSet, sends one Snapshot at the read's
// index (or nothing, when the client resumes with a FromIndex that is not older), re-arms the
// watch, and on each wake reads again and sends the difference to what it sent last as a Change.
// That diff-against-last-sent is also the coalescing rule: while a client has more than
// maxUnsentBytes waiting in its socket, wakes only mark the topic dirty; once the socket drains,
// one Change carries the latest state. A client blocked longer than slowClientTimeoutMs is
// closed with a reason. So per client the agent holds at most one copy of the topic state plus a
// bounded write buffer, never a queue of events.
//
// Owned by the agent, next to the HttpServer whose upgrade hook calls handleUpgrade(). Event-loop
// thread only. Read-only: KV writes go through the normal HTTP API. The ACL token is accepted and
// ignored until ACLs exist.

#include "core/state/state_store.h"
#include "shared/model/types.h"

#include <QByteArray>
#include <QObject>
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

    class Client;  // one WebSocket connection (viewer_stream.cpp)

private:
    ViewerStreamContext m_ctx;
    ViewerStreamLimits m_limits;
    QWebSocketServer *m_server = nullptr;
    QList<Client *> m_clients;
};

}  // namespace conclave::api
