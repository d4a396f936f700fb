#pragma once
// HTTP/1.1 server on QTcpServer: keep-alive, pipelining (answers go out in request order even when
// handlers answer out of order), deferred replies for blocking queries.
//
// Event-loop thread only. Handlers receive an HttpResponder handle, never the socket; they may
// answer at once or later (a parked blocking query). If the client goes away first, the responder
// reports it through onClosed() and send() becomes a no-op.

#include "net/http_parser.h"
#include "net/http_types.h"

#include <QHostAddress>
#include <QObject>
#include <functional>
#include <memory>

class QTcpServer;

namespace conclave::net {

/// A handle to one pending answer. Cheap to copy; all copies refer to the same slot.
class HttpResponder {
public:
    struct Slot;
    HttpResponder() = default;
    explicit HttpResponder(std::shared_ptr<Slot> slot) : m_slot(std::move(slot)) {}

    /// Sends the answer (first call wins; later calls are ignored).
    void send(const HttpResponse &response) const;
    /// False once answered or once the connection closed.
    bool isOpen() const;
    /// Runs `cb` once if the connection closes before send(). Replaces an earlier callback.
    void onClosed(std::function<void()> cb) const;

private:
    std::shared_ptr<Slot> m_slot;
};

class HttpServer : public QObject {
    Q_OBJECT
public:
    using Handler = std::function<void(const HttpRequest &, HttpResponder)>;

    explicit HttpServer(Handler handler, HttpParserLimits limits = {}, QObject *parent = nullptr);
    ~HttpServer() override;

    /// Listens on address:port (port 0 = any free port). False + error text on failure.
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    quint16 port() const;
    void close();
    int connectionCount() const;

private:
    struct Connection;
    class Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace conclave::net
