#pragma once
// HTTP/1.1 server on QTcpServer: keep-alive, pipelining (answers go out in request order even when
// handlers answer out of order), deferred replies for blocking queries.
//
// Event-loop thread only; owned by whoever builds the API (the agent). Handlers receive an
// HttpResponder handle, never the socket; they may answer at once or later (a parked blocking
// query). If the client goes away first, the responder reports it through onClosed() and send()
// becomes a no-op. Responders may outlive their connection and the server (they hold only a weak
// reference). HEAD requests reach the handler with method "HEAD"; answer as for GET, the server
// drops the body and keeps its Content-Length.
//
// Not done here: TLS, response compression, idle timeouts. WebSocket upgrades go through
// setUpgradeHandler(): the connection peek()s the first request head before feeding the parser and
// can hand the socket, unread, to QWebSocketServer::handleConnection (ARCHITECTURE.md).

#include "net/http_parser.h"
#include "net/http_types.h"

#include <QHostAddress>
#include <QObject>
#include <functional>
#include <memory>

class QTcpServer;
class QTcpSocket;

namespace conclave::net {

/// A handle to one pending answer. Cheap to copy; all copies refer to the same slot.
class HttpResponder {
public:
    struct Slot;
    HttpResponder() = default;
    explicit HttpResponder(std::shared_ptr<Slot> slot) : m_slot(std::move(slot)) {}

    /// Sends the answer (first call wins; later calls are ignored). May be called from inside the
    /// handler or any time later on the event-loop thread.
    void send(const HttpResponse &response) const;
    /// False once answered or once the connection closed.
    bool isOpen() const;
    /// Runs `cb` once if the connection closes before send(). Replaces an earlier callback. If the
    /// connection is already gone (and nothing was sent), `cb` runs on the next event-loop turn.
    /// Not run when the HttpServer itself is destroyed (its owner tears everything down then).
    void onClosed(std::function<void()> cb) const;

private:
    std::shared_ptr<Slot> m_slot;
};

namespace detail {
class HttpConnection;
}

class HttpServer : public QObject {
    Q_OBJECT
public:
    using Handler = std::function<void(const HttpRequest &, HttpResponder)>;

    /// Per connection, reading stops while this many requests await their answer (pipelining
    /// backpressure) or while more than kMaxUnsentBytes wait in the socket's write buffer.
    static constexpr int kMaxPendingRequests = 64;
    static constexpr qint64 kMaxUnsentBytes = 1024 * 1024;

    explicit HttpServer(Handler handler, HttpParserLimits limits = {}, QObject *parent = nullptr);
    ~HttpServer() override;

    /// Upgrade hook (the viewer stream's WebSocket): called once per connection whose first bytes
    /// are a GET, with the complete request head peeked but not read. Returning true hands the
    /// socket over, unread (e.g. to QWebSocketServer::handleConnection): this server forgets it and
    /// the callee owns it. Returning false serves the connection as plain HTTP.
    using UpgradeHandler = std::function<bool(QTcpSocket *socket, const QByteArray &peeked)>;
    /// At most this many open connections per client address (Consul's
    /// limits.http_max_conns_per_client, default 200); more get 429 and are closed. 0 = no limit.
    void setMaxConnectionsPerClient(int limit);
    void setUpgradeHandler(UpgradeHandler handler);

    /// Listens on address:port (port 0 = any free port). False + error text on failure, e.g.
    /// "cannot listen on 127.0.0.1:8500: address already in use".
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    quint16 port() const;
    /// Stops listening and drops every connection; open responders run their onClosed callbacks.
    void close();
    int connectionCount() const;

private:
    struct Connection;
    class Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace conclave::net
