#include "net/http_server.h"

#include <QCoreApplication>
#include <QHash>
#include <QLoggingCategory>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

#include <cstring>
#include <deque>

namespace conclave::net {

Q_LOGGING_CATEGORY(lcHttp, "conclave.net.http")

namespace detail {

/// One accepted TCP connection: socket adapter around an HttpParser plus the FIFO of answers in
/// request order. Owned (shared) by HttpServer::Impl; responders hold weak references only.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
public:
    HttpConnection(QTcpSocket *socket, const HttpServer::Handler *handler, HttpParserLimits limits,
                   std::function<void(HttpConnection *)> onFinished,
                   const HttpServer::UpgradeHandler *upgrade = nullptr)
        : m_socket(socket), m_handler(handler), m_parser(limits), m_onFinished(std::move(onFinished)),
          m_upgrade(upgrade && *upgrade ? upgrade : nullptr)
    {
        QHostAddress peer = socket->peerAddress();
        bool mapped = false;
        const quint32 v4 = peer.toIPv4Address(&mapped);
        m_peer = mapped ? QHostAddress(v4).toString() : peer.toString();
    }

    void start();
    void flush();
    void resumeIfDrained();
    /// Ends the connection: closes every open slot (running onClosed when runCallbacks), drops the
    /// socket and unregisters from the server.
    void finish(bool runCallbacks);
    QByteArray serialize(const HttpResponse &response, HttpResponder::Slot &slot) const;

private:
    void processInput();
    /// First bytes of the connection: false while an upgrade is still possible and the head is
    /// incomplete (wait for more); true once the connection is HTTP or has been handed over.
    bool maybeUpgrade();
    bool isPaused() const;
    void closeSlots(bool runCallbacks);

    QPointer<QTcpSocket> m_socket;
    const HttpServer::Handler *m_handler;
    HttpParser m_parser;
    std::function<void(HttpConnection *)> m_onFinished;
    std::deque<std::shared_ptr<HttpResponder::Slot>> m_pending;
    QString m_peer;
    bool m_stopReading = false;     // after a parse error or a request that ends the connection
    bool m_closing = false;         // last response queued for writing; disconnect after it
    bool m_finished = false;
    bool m_processing = false;      // inside processInput(): batch writes, no re-entry
    bool m_continuePending = false; // send "100 Continue" once earlier answers are out
    bool m_paused = false;          // reading stopped by backpressure; resume when drained
    const HttpServer::UpgradeHandler *m_upgrade;  // null once decided (or when none is set)
};

}  // namespace detail

struct HttpResponder::Slot {
    std::weak_ptr<detail::HttpConnection> connection;
    QByteArray wire;                  // the serialized response once answered
    std::function<void()> onClosed;
    bool answered = false;
    bool closed = false;
    bool head = false;                // HEAD request: no body on the wire
    bool keepAlive = true;            // false: the connection closes after this answer
    int versionMinor = 1;
};

namespace detail {

namespace {

bool containsLineBreak(const QByteArray &s)
{
    return std::memchr(s.constData(), '\n', size_t(s.size())) || std::memchr(s.constData(), '\r', size_t(s.size()));
}

bool bodyAllowed(int status)
{
    return status >= 200 && status != 204 && status != 304;
}

}  // namespace

void HttpConnection::start()
{
    std::weak_ptr<HttpConnection> weak = weak_from_this();
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    // A bounded socket buffer turns "we stopped reading" into TCP flow control.
    m_socket->setReadBufferSize(256 * 1024);
    QObject::connect(m_socket, &QTcpSocket::readyRead, m_socket, [weak] {
        if (auto c = weak.lock())
            c->processInput();
    });
    QObject::connect(m_socket, &QTcpSocket::bytesWritten, m_socket, [weak] {
        if (auto c = weak.lock())
            c->resumeIfDrained();
    });
    QObject::connect(m_socket, &QTcpSocket::disconnected, m_socket, [weak] {
        if (auto c = weak.lock())
            c->finish(true);
    });
    processInput();  // bytes may have arrived before the signals were connected
}

bool HttpConnection::isPaused() const
{
    return m_pending.size() >= size_t(HttpServer::kMaxPendingRequests)
        || (m_socket && m_socket->bytesToWrite() > HttpServer::kMaxUnsentBytes);
}

bool HttpConnection::maybeUpgrade()
{
    constexpr qsizetype kMaxHead = 16 * 1024;
    const QByteArray head = m_socket->peek(kMaxHead);
    if (!QByteArrayView("GET ").startsWith(head.left(4))) {
        m_upgrade = nullptr;  // not a GET: plain HTTP
        return true;
    }
    if (head.size() < 4)
        return false;
    const qsizetype end = head.indexOf("\r\n\r\n");
    if (end < 0 && head.size() < kMaxHead)
        return false;  // wait for the rest of the head
    const HttpServer::UpgradeHandler *upgrade = m_upgrade;
    m_upgrade = nullptr;
    if (end < 0)
        return true;
    // The callee may emit readyRead (QWebSocketServer does): keep processInput() out meanwhile.
    m_processing = true;
    const bool taken = (*upgrade)(m_socket, head.left(end + 4));
    m_processing = false;
    if (!taken)
        return true;
    // Handed over: forget the socket without touching its bytes or closing it. The read cap set
    // for HTTP goes: the new owner bounds its own input (a WebSocket frame larger than the cap
    // would otherwise never be read whole, and the connection would stall).
    QTcpSocket *socket = m_socket;
    m_socket = nullptr;
    socket->setReadBufferSize(0);
    QObject::disconnect(socket, nullptr, socket, nullptr);  // only our own connections (context = socket)
    m_finished = true;
    closeSlots(false);
    if (m_onFinished) {
        auto cb = std::move(m_onFinished);
        m_onFinished = nullptr;
        cb(this);
    }
    return true;
}

void HttpConnection::processInput()
{
    if (m_finished || m_processing || !m_socket)
        return;
    if (m_upgrade && (!maybeUpgrade() || m_finished))
        return;
    auto self = shared_from_this();  // a handler may end the connection under our feet
    m_processing = true;
    while (!m_finished && !m_stopReading && !isPaused()) {
        const HttpParser::State state = m_parser.parse();
        if (state == HttpParser::State::Incomplete) {
            if (m_parser.takeContinueRequest())
                m_continuePending = true;
            if (m_socket->bytesAvailable() <= 0)
                break;
            m_parser.feed(m_socket->read(m_socket->bytesAvailable()));
            continue;
        }
        auto slot = std::make_shared<HttpResponder::Slot>();
        slot->connection = self;
        if (state == HttpParser::State::Error) {
            qCDebug(lcHttp) << "bad request from" << m_peer << m_parser.errorStatus() << m_parser.errorText();
            slot->keepAlive = false;
            slot->answered = true;
            slot->wire = serialize(HttpResponse::text(m_parser.errorStatus(), m_parser.errorText().toUtf8()), *slot);
            m_pending.push_back(std::move(slot));
            m_stopReading = true;
            m_continuePending = false;
            break;
        }
        HttpRequest request = m_parser.take();
        request.peerAddress = m_peer;
        slot->keepAlive = request.keepAlive;
        slot->head = request.method == "HEAD";
        slot->versionMinor = request.versionMinor;
        if (!request.keepAlive)
            m_stopReading = true;
        m_pending.push_back(slot);
        (*m_handler)(request, HttpResponder(std::move(slot)));
    }
    m_paused = !m_finished && !m_stopReading && isPaused();
    m_processing = false;
    flush();
}

void HttpConnection::resumeIfDrained()
{
    if (m_paused && !isPaused()) {
        m_paused = false;
        processInput();
    }
}

QByteArray HttpConnection::serialize(const HttpResponse &response, HttpResponder::Slot &slot) const
{
    bool close = !slot.keepAlive;
    QByteArray out;
    out.reserve(128 + response.body.size());
    out += "HTTP/1.1 ";
    out += QByteArray::number(response.status);
    out += ' ';
    out += reasonPhrase(response.status);
    out += "\r\n";
    for (const auto &h : response.headers) {
        if (h.first.compare("content-length", Qt::CaseInsensitive) == 0
            || h.first.compare("transfer-encoding", Qt::CaseInsensitive) == 0)
            continue;
        if (h.first.compare("connection", Qt::CaseInsensitive) == 0) {
            if (h.second.compare("close", Qt::CaseInsensitive) == 0)
                close = true;
            continue;
        }
        if (h.first.isEmpty() || containsLineBreak(h.first) || containsLineBreak(h.second)) {
            qCWarning(lcHttp) << "dropping response header with a line break:" << h.first;
            continue;
        }
        out += h.first;
        out += ": ";
        out += h.second;
        out += "\r\n";
    }
    const bool withBody = bodyAllowed(response.status);
    if (withBody) {
        out += "Content-Length: ";
        out += QByteArray::number(response.body.size());
        out += "\r\n";
    }
    if (close)
        out += "Connection: close\r\n";
    else if (slot.versionMinor == 0)
        out += "Connection: keep-alive\r\n";  // HTTP/1.0 clients close unless told otherwise
    out += "\r\n";
    if (withBody && !slot.head)
        out += response.body;
    slot.keepAlive = !close;
    return out;
}

void HttpConnection::flush()
{
    if (m_finished || m_processing || !m_socket)
        return;
    auto self = shared_from_this();
    QByteArray out;
    while (!m_pending.empty() && m_pending.front()->answered && !m_closing) {
        std::shared_ptr<HttpResponder::Slot> slot = std::move(m_pending.front());
        m_pending.pop_front();
        out += slot->wire;
        slot->wire.clear();
        if (!slot->keepAlive)
            m_closing = true;
    }
    if (m_pending.empty() && m_continuePending && !m_closing && !m_stopReading) {
        out += "HTTP/1.1 100 Continue\r\n\r\n";
        m_continuePending = false;
    }
    if (!out.isEmpty()) {
        m_socket->write(out);
        m_socket->flush();  // non-blocking: pushes what the kernel takes now
    }
    if (m_closing) {
        closeSlots(true);  // requests behind a closing answer will never be answered
        if (!m_finished && m_socket)
            m_socket->disconnectFromHost();  // after the write buffer drains; emits disconnected()
        return;
    }
    resumeIfDrained();
}

void HttpConnection::closeSlots(bool runCallbacks)
{
    auto closing = std::move(m_pending);
    m_pending.clear();
    for (const auto &slot : closing) {
        const bool wasOpen = !slot->answered && !slot->closed;
        slot->closed = true;
        slot->wire.clear();
        auto cb = std::move(slot->onClosed);
        slot->onClosed = nullptr;
        if (wasOpen && runCallbacks && cb)
            cb();
    }
}

void HttpConnection::finish(bool runCallbacks)
{
    if (m_finished)
        return;
    m_finished = true;
    auto self = shared_from_this();
    closeSlots(runCallbacks);
    if (m_socket) {
        QTcpSocket *socket = m_socket;
        m_socket = nullptr;
        QObject::disconnect(socket, nullptr, nullptr, nullptr);
        socket->abort();
        socket->deleteLater();
    }
    if (m_onFinished) {
        auto cb = std::move(m_onFinished);
        m_onFinished = nullptr;
        cb(this);
    }
}

}  // namespace detail

// ---- HttpResponder ----

void HttpResponder::send(const HttpResponse &response) const
{
    if (!m_slot || m_slot->answered || m_slot->closed)
        return;
    auto conn = m_slot->connection.lock();
    if (!conn) {
        m_slot->closed = true;
        m_slot->onClosed = nullptr;
        return;
    }
    m_slot->answered = true;
    m_slot->onClosed = nullptr;
    m_slot->wire = conn->serialize(response, *m_slot);
    conn->flush();
}

bool HttpResponder::isOpen() const
{
    return m_slot && !m_slot->answered && !m_slot->closed && !m_slot->connection.expired();
}

void HttpResponder::onClosed(std::function<void()> cb) const
{
    if (!m_slot || m_slot->answered)
        return;
    if (m_slot->closed || m_slot->connection.expired()) {
        m_slot->closed = true;
        m_slot->onClosed = nullptr;
        // Already gone: tell the caller later rather than re-entering it from this call.
        if (cb && QCoreApplication::instance())
            QMetaObject::invokeMethod(QCoreApplication::instance(), std::move(cb), Qt::QueuedConnection);
        return;
    }
    m_slot->onClosed = std::move(cb);
}

// ---- HttpServer ----

class HttpServer::Impl {
public:
    Handler handler;
    UpgradeHandler upgrade;
    HttpParserLimits limits;
    QTcpServer *tcp = nullptr;  // child of the HttpServer
    QHash<detail::HttpConnection *, std::shared_ptr<detail::HttpConnection>> connections;
    // Consul's limits.http_max_conns_per_client: one client address cannot hold every descriptor.
    int maxConnectionsPerClient = 200;
    QHash<QString, int> perClient;
    QHash<detail::HttpConnection *, QString> clientOf;

    void onNewConnection();
    void shutdown(bool runCallbacks)
    {
        const auto all = connections.values();
        for (const auto &c : all)
            c->finish(runCallbacks);
        connections.clear();
        perClient.clear();
        clientOf.clear();
    }
};

void HttpServer::Impl::onNewConnection()
{
    while (QTcpSocket *socket = tcp->nextPendingConnection()) {
        const QString client = socket->peerAddress().toString();
        if (maxConnectionsPerClient > 0 && perClient.value(client) >= maxConnectionsPerClient) {
            // As Consul: answer 429 once and close, without reading the request.
            static const QByteArray tooMany =
                "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Length: 81\r\nConnection: close\r\n\r\n"
                "Your IP is issuing too many concurrent connections, please rate limit your calls\n";
            socket->write(tooMany);
            socket->disconnectFromHost();
            QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            if (socket->state() == QAbstractSocket::UnconnectedState)
                socket->deleteLater();
            continue;
        }
        ++perClient[client];
        auto conn = std::make_shared<detail::HttpConnection>(
            socket, &handler, limits,
            [this](detail::HttpConnection *c) {
                connections.remove(c);
                const QString who = clientOf.take(c);
                if (--perClient[who] <= 0)
                    perClient.remove(who);
            },
            &upgrade);
        connections.insert(conn.get(), conn);
        clientOf.insert(conn.get(), client);
        conn->start();
    }
}

HttpServer::HttpServer(Handler handler, HttpParserLimits limits, QObject *parent)
    : QObject(parent), d(std::make_unique<Impl>())
{
    d->handler = std::move(handler);
    d->limits = limits;
    d->tcp = new QTcpServer(this);
    connect(d->tcp, &QTcpServer::newConnection, this, [this] { d->onNewConnection(); });
}

void HttpServer::setMaxConnectionsPerClient(int limit)
{
    d->maxConnectionsPerClient = limit;
}

void HttpServer::setUpgradeHandler(UpgradeHandler handler)
{
    d->upgrade = std::move(handler);
}

HttpServer::~HttpServer()
{
    d->shutdown(false);
}

bool HttpServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    if (d->tcp->listen(address, port))
        return true;
    QString reason;
    switch (d->tcp->serverError()) {
    case QAbstractSocket::AddressInUseError:
        reason = QStringLiteral("address already in use");
        break;
    case QAbstractSocket::SocketAccessError:
        reason = QStringLiteral("permission denied");
        break;
    case QAbstractSocket::SocketAddressNotAvailableError:
        reason = QStringLiteral("address not available");
        break;
    default:
        reason = d->tcp->errorString();
        break;
    }
    const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
        ? QStringLiteral("[%1]").arg(address.toString())
        : address.toString();
    if (error)
        *error = QStringLiteral("cannot listen on %1:%2: %3").arg(host).arg(port).arg(reason);
    return false;
}

quint16 HttpServer::port() const
{
    return d->tcp->serverPort();
}

void HttpServer::close()
{
    d->tcp->close();
    d->shutdown(true);
}

int HttpServer::connectionCount() const
{
    return int(d->connections.size());
}

}  // namespace conclave::net
