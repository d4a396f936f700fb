#include "net/peer_transport.h"

#include <QCborMap>
#include <QCborValue>
#include <QLoggingCategory>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

Q_LOGGING_CATEGORY(lcPeer, "conclave.net.peer")

namespace conclave::net {

namespace {

bool splitAddress(const QString &address, QString *host, quint16 *port)
{
    const qsizetype colon = address.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return false;
    bool ok = false;
    const uint p = address.mid(colon + 1).toUInt(&ok);
    if (!ok || p == 0 || p > 65535)
        return false;
    *host = address.left(colon);
    if (host->startsWith(QLatin1Char('[')) && host->endsWith(QLatin1Char(']')))
        *host = host->mid(1, host->size() - 2);
    *port = quint16(p);
    return true;
}

}  // namespace

PeerTransport::PeerTransport(Config config, QObject *parent) : QObject(parent), m_config(std::move(config)) {}

PeerTransport::~PeerTransport()
{
    // Sockets are children of this object; disconnect first so their teardown signals do not call
    // back into a half-destroyed transport.
    for (auto &[id, peer] : m_peers) {
        if (peer->socket)
            peer->socket->disconnect(this);
    }
    for (QTcpSocket *s : m_incoming.keys())
        s->disconnect(this);
}

bool PeerTransport::listen(QString *error)
{
    if (!m_server) {
        m_server = new QTcpServer(this);
        connect(m_server, &QTcpServer::newConnection, this, &PeerTransport::onNewConnection);
    }
    if (m_server->isListening())
        return true;
    if (!m_server->listen(m_config.bindAddress, m_config.port)) {
        if (error)
            *error = QStringLiteral("cannot listen on server port %1:%2: %3")
                         .arg(m_config.bindAddress.toString())
                         .arg(m_config.port)
                         .arg(m_server->errorString());
        return false;
    }
    // Listening on port 0 (tests): peers must be told the port we got, not ":0".
    if (m_config.advertiseAddress.endsWith(QLatin1String(":0")))
        m_config.advertiseAddress = m_config.advertiseAddress.chopped(1) + QString::number(m_server->serverPort());
    return true;
}

quint16 PeerTransport::serverPort() const
{
    return m_server ? m_server->serverPort() : 0;
}

void PeerTransport::setPeer(const QString &id, const QString &address)
{
    auto it = m_peers.find(id);
    if (it != m_peers.end()) {
        if (it->second->address == address)
            return;
        removePeer(id);
    }
    auto peer = std::make_unique<Outgoing>();
    peer->address = address;
    peer->backoffMs = m_config.initialBackoffMs;
    peer->retry = new QTimer(this);
    peer->retry->setSingleShot(true);
    connect(peer->retry, &QTimer::timeout, this, [this, id] { connectPeer(id); });
    m_peers.emplace(id, std::move(peer));
    connectPeer(id);
}

void PeerTransport::removePeer(const QString &id)
{
    auto it = m_peers.find(id);
    if (it == m_peers.end())
        return;
    Outgoing &peer = *it->second;
    delete peer.retry;
    if (peer.socket) {
        peer.socket->disconnect(this);
        peer.socket->abort();
        peer.socket->deleteLater();
    }
    m_peers.erase(it);
}

QStringList PeerTransport::peerIds() const
{
    QStringList ids;
    for (const auto &[id, peer] : m_peers)
        ids.append(id);
    return ids;
}

QString PeerTransport::peerAddress(const QString &id) const
{
    auto it = m_peers.find(id);
    return it == m_peers.end() ? QString() : it->second->address;
}

bool PeerTransport::isConnected(const QString &id) const
{
    auto it = m_peers.find(id);
    return it != m_peers.end() && it->second->connected;
}

void PeerTransport::connectPeer(const QString &id)
{
    auto it = m_peers.find(id);
    if (it == m_peers.end() || it->second->socket)
        return;
    Outgoing &peer = *it->second;
    QString host;
    quint16 port = 0;
    if (!splitAddress(peer.address, &host, &port)) {
        qCWarning(lcPeer).noquote() << "peer" << id << "has an invalid address" << peer.address;
        return;
    }
    auto *socket = new QTcpSocket(this);
    peer.socket = socket;
    connect(socket, &QTcpSocket::connected, this, [this, id, socket] { onOutgoingConnected(id, socket); });
    connect(socket, &QTcpSocket::disconnected, this, [this, id, socket] { onOutgoingLost(id, socket); });
    connect(socket, &QTcpSocket::errorOccurred, this, [this, id, socket] { onOutgoingLost(id, socket); });
    // Nothing is expected back on an outgoing connection; discard whatever comes.
    connect(socket, &QTcpSocket::readyRead, socket, [socket] { socket->readAll(); });
    socket->connectToHost(host, port);
}

void PeerTransport::onOutgoingConnected(const QString &id, QTcpSocket *socket)
{
    auto it = m_peers.find(id);
    if (it == m_peers.end() || it->second->socket != socket)
        return;
    Outgoing &peer = *it->second;
    peer.connected = true;
    peer.backoffMs = m_config.initialBackoffMs;
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    const char preamble = char(Channel::Raft);
    socket->write(&preamble, 1);
    QCborMap hello;
    hello.insert(QStringLiteral("id"), m_config.nodeId);
    hello.insert(QStringLiteral("address"), m_config.advertiseAddress);
    socket->write(encodeFrame(Frame{kHelloFrameType, 1, hello.toCborValue().toCbor()}));
    while (!peer.queue.empty()) {
        socket->write(peer.queue.front());
        peer.queue.pop_front();
    }
    peer.queuedBytes = 0;
}

void PeerTransport::onOutgoingLost(const QString &id, QTcpSocket *socket)
{
    auto it = m_peers.find(id);
    if (it == m_peers.end() || it->second->socket != socket)
        return;
    Outgoing &peer = *it->second;
    peer.connected = false;
    peer.socket = nullptr;
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
    // Exponential back-off, capped: a dead peer costs one connect attempt per maxBackoffMs.
    peer.retry->start(peer.backoffMs);
    peer.backoffMs = qMin(peer.backoffMs * 2, m_config.maxBackoffMs);
}

void PeerTransport::enqueue(Outgoing &peer, QByteArray bytes)
{
    peer.queuedBytes += bytes.size();
    peer.queue.push_back(std::move(bytes));
    while (peer.queue.size() > 1
           && (peer.queue.size() > std::size_t(m_config.maxQueuedFrames) || peer.queuedBytes > m_config.maxQueuedBytes)) {
        peer.queuedBytes -= peer.queue.front().size();
        peer.queue.pop_front();
        ++m_dropped;
    }
}

bool PeerTransport::send(const QString &id, const Frame &frame)
{
    auto it = m_peers.find(id);
    if (it == m_peers.end())
        return false;
    Outgoing &peer = *it->second;
    QByteArray bytes = encodeFrame(frame);
    if (peer.connected && peer.socket) {
        if (peer.socket->bytesToWrite() + bytes.size() > m_config.maxQueuedBytes) {
            ++m_dropped;  // the peer does not keep up; Raft resends what it needs
            return true;
        }
        peer.socket->write(bytes);
    } else {
        enqueue(peer, std::move(bytes));
    }
    return true;
}

void PeerTransport::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        auto in = std::make_shared<Incoming>();
        in->socket = socket;
        in->decoder = FrameDecoder(m_config.maxFrameSize);
        m_incoming.insert(socket, in);
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onIncomingReadable(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] { dropIncoming(socket, QString()); });
        if (socket->bytesAvailable() > 0)
            onIncomingReadable(socket);
    }
}

void PeerTransport::onIncomingReadable(QTcpSocket *socket)
{
    const std::shared_ptr<Incoming> in = m_incoming.value(socket);
    if (!in)
        return;
    const QByteArray bytes = socket->readAll();
    qsizetype start = 0;
    if (!in->gotPreamble && !bytes.isEmpty()) {
        const quint8 preamble = quint8(bytes.at(0));
        if (preamble != quint8(Channel::Raft) && preamble != quint8(Channel::Rpc)) {
            dropIncoming(socket, QStringLiteral("unknown connection preamble %1").arg(preamble));
            return;
        }
        in->gotPreamble = true;
        in->channel = Channel(preamble);
        start = 1;
    }
    in->decoder.feed(bytes.constData() + start, bytes.size() - start);
    QPointer<PeerTransport> self(this);
    while (std::optional<Frame> frame = in->decoder.next()) {
        if (in->peerId.isEmpty()) {
            const QCborMap hello = QCborValue::fromCbor(frame->payload).toMap();
            const QString id = hello.value(QStringLiteral("id")).toString();
            if (frame->type != kHelloFrameType || id.isEmpty()) {
                dropIncoming(socket, QStringLiteral("the first frame is not a Hello"));
                return;
            }
            in->peerId = id;
            // A peer we are backing off from has just dialled us: it is back, so dial it now
            // instead of at the end of a back-off that may have grown to maxBackoffMs.
            if (auto out = m_peers.find(id); out != m_peers.end() && !out->second->socket) {
                out->second->retry->stop();
                out->second->backoffMs = m_config.initialBackoffMs;
                connectPeer(id);
            }
            emit peerIntroduced(id, hello.value(QStringLiteral("address")).toString());
        } else {
            emit frameReceived(in->peerId, in->channel, *frame);
        }
        // A receiver may have destroyed us, or this connection, from its slot.
        if (!self || !m_incoming.contains(socket))
            return;
    }
    if (in->decoder.hasError())
        dropIncoming(socket, in->decoder.errorString());
}

void PeerTransport::dropIncoming(QTcpSocket *socket, const QString &why)
{
    const std::shared_ptr<Incoming> in = m_incoming.take(socket);
    if (!in)
        return;
    if (!why.isEmpty())
        qCWarning(lcPeer).noquote() << "closing connection from" << socket->peerAddress().toString() << ":" << why;
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

}  // namespace conclave::net
