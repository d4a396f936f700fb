#include "net/gossip_transport.h"

#include <QLoggingCategory>
#include <QNetworkDatagram>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QScopeGuard>
#include <QUdpSocket>

#include <algorithm>
#include <climits>

Q_LOGGING_CATEGORY(lcGossipNet, "conclave.net.gossip")

namespace conclave::net {

namespace {

// Largest UDP payload; memberlist reads into a 64 KiB buffer too.
constexpr qint64 kMaxDatagram = 65535;
// Qt's own buffering per TCP socket; the frame reader bounds the total.
constexpr qint64 kSocketReadBuffer = 64 * 1024;
// memberlist's udpRecvBufSize: room for bursts while the loop is busy.
constexpr int kUdpReceiveBuffer = 2 * 1024 * 1024;

bool parsePort(const QString &text, quint16 *port)
{
    bool ok = false;
    const uint p = text.toUInt(&ok);
    if (!ok || p == 0 || p > 65535)
        return false;
    *port = quint16(p);
    return true;
}

}  // namespace

struct GossipTransport::Incoming {
    QTcpSocket *socket = nullptr;
    QTimer *deadline = nullptr;
    GossipFrameReader reader;
    bool replied = false;
    QString from;
};

struct GossipTransport::Outgoing {
    QTcpSocket *socket = nullptr;
    QTimer *deadline = nullptr;
    QByteArray frame;  // the request as written: length + sealed payload
    GossipFrameReader reader;
};

GossipTransport::GossipTransport(Config config, QObject *parent)
    : QObject(parent), m_config(std::move(config))
{
}

GossipTransport::~GossipTransport()
{
    close();
}

bool GossipTransport::listen(QString *error)
{
    if (isListening())
        return true;
    const QString where = m_config.bindAddress.toString();
    // With port 0 the UDP socket picks the port and TCP must get the same one; another process
    // may hold that TCP port, so try a few.
    for (int attempt = 0; attempt < 20; ++attempt) {
        auto *udp = new QUdpSocket(this);
        if (!udp->bind(m_config.bindAddress, m_config.port)) {
            if (error)
                *error = QStringLiteral("cannot listen on %1:%2 (udp): %3")
                             .arg(where).arg(m_config.port).arg(udp->errorString());
            delete udp;
            return false;
        }
        auto *tcp = new QTcpServer(this);
        if (!tcp->listen(m_config.bindAddress, udp->localPort())) {
            const QString why = tcp->errorString();
            delete tcp;
            delete udp;
            if (m_config.port != 0) {
                if (error)
                    *error = QStringLiteral("cannot listen on %1:%2 (tcp): %3")
                                 .arg(where).arg(m_config.port).arg(why);
                return false;
            }
            continue;
        }
        m_udp = udp;
        m_tcp = tcp;
        m_udp->setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, kUdpReceiveBuffer);
        connect(m_udp, &QUdpSocket::readyRead, this, &GossipTransport::onUdpReadyRead);
        connect(m_tcp, &QTcpServer::newConnection, this, &GossipTransport::onNewConnection);
        return true;
    }
    if (error)
        *error = QStringLiteral("cannot listen on %1: no port free for both UDP and TCP").arg(where);
    return false;
}

void GossipTransport::close()
{
    const auto incoming = m_incoming.keys();
    for (QTcpSocket *s : incoming)
        dropIncoming(s, QString());
    for (auto &[id, out] : m_outgoing) {
        out->socket->disconnect(this);
        out->socket->abort();
        out->socket->deleteLater();
    }
    m_outgoing.clear();
    delete m_udp;
    m_udp = nullptr;
    delete m_tcp;
    m_tcp = nullptr;
}

bool GossipTransport::isListening() const
{
    return m_udp && m_tcp;
}

quint16 GossipTransport::port() const
{
    return m_udp ? m_udp->localPort() : 0;
}

// ---------------------------------------------------------------------------------- addresses

bool GossipTransport::splitHostPort(const QString &text, QString *host, quint16 *port)
{
    if (text.startsWith(QLatin1Char('['))) {
        const qsizetype close = text.indexOf(QLatin1Char(']'));
        if (close < 2 || text.mid(close + 1, 1) != QLatin1String(":"))
            return false;
        *host = text.mid(1, close - 1);
        return parsePort(text.mid(close + 2), port);
    }
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    // A bare IPv6 address would be ambiguous: it must come in brackets.
    if (colon <= 0 || text.left(colon).contains(QLatin1Char(':')))
        return false;
    *host = text.left(colon);
    return parsePort(text.mid(colon + 1), port);
}

bool GossipTransport::parseAddress(const QString &text, QHostAddress *address, quint16 *port)
{
    QString host;
    return splitHostPort(text, &host, port) && address->setAddress(host);
}

QString GossipTransport::formatAddress(const QHostAddress &address, quint16 port)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    if (isV4)
        return QHostAddress(v4).toString() + QLatin1Char(':') + QString::number(port);
    return QLatin1Char('[') + address.toString() + QStringLiteral("]:") + QString::number(port);
}

// ---------------------------------------------------------------------------------- packets

void GossipTransport::sendPacket(const QString &to, const QByteArray &bytes)
{
    QHostAddress address;
    quint16 port = 0;
    const QByteArray wire = m_config.security.seal(bytes);
    if (!m_udp || !parseAddress(to, &address, &port) || wire.isEmpty()
        || m_udp->writeDatagram(wire, address, port) != wire.size()) {
        ++m_stats.packetsDropped;
        qCDebug(lcGossipNet).noquote() << "packet to" << to << "dropped";
        return;
    }
    ++m_stats.packetsOut;
}

void GossipTransport::onUdpReadyRead()
{
    QPointer<GossipTransport> self(this);
    while (m_udp && m_udp->hasPendingDatagrams()) {
        const QNetworkDatagram dg = m_udp->receiveDatagram(kMaxDatagram);
        if (!dg.isValid())
            break;  // a socket error: never spin on it; the next datagram wakes us again
        const std::optional<QByteArray> plain = m_config.security.open(dg.data());
        const QString from = formatAddress(dg.senderAddress(), quint16(dg.senderPort()));
        if (!plain) {
            ++m_stats.packetAuthFailures;
            qCDebug(lcGossipNet).noquote() << "packet from" << from << "failed authentication";
            continue;
        }
        ++m_stats.packetsIn;
        emit packetReceived(from, *plain);
        if (!self)
            return;  // a receiver destroyed us
    }
}

// ---------------------------------------------------------------------------------- accepted streams

void GossipTransport::onNewConnection()
{
    while (m_tcp && m_tcp->hasPendingConnections()) {
        QTcpSocket *socket = m_tcp->nextPendingConnection();
        if (int(m_incoming.size()) >= m_config.maxIncomingStreams) {
            ++m_stats.connectionsDropped;
            qCDebug(lcGossipNet) << "too many gossip streams: connection refused";
            socket->abort();
            socket->deleteLater();
            continue;
        }
        auto in = std::make_shared<Incoming>(Incoming{
            socket, new QTimer(socket), GossipFrameReader(m_config.maxFrameSize), false,
            formatAddress(socket->peerAddress(), socket->peerPort())});
        m_incoming.insert(socket, in);
        socket->setReadBufferSize(kSocketReadBuffer);
        in->deadline->setSingleShot(true);
        connect(in->deadline, &QTimer::timeout, this,
                [this, socket] { dropIncoming(socket, QStringLiteral("timed out")); });
        in->deadline->start(m_config.streamTimeoutMs);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onIncomingReadable(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] { dropIncoming(socket, QString()); });
        if (socket->bytesAvailable() > 0)
            onIncomingReadable(socket);
    }
}

void GossipTransport::onIncomingReadable(QTcpSocket *socket)
{
    const std::shared_ptr<Incoming> in = m_incoming.value(socket);
    if (!in)
        return;
    const QByteArray bytes = socket->readAll();
    if (in->replied) {
        if (!bytes.isEmpty())
            dropIncoming(socket, QStringLiteral("bytes after the request"));
        return;
    }
    const GossipFrameReader::State state = in->reader.feed(bytes);
    if (state == GossipFrameReader::State::Error) {
        dropIncoming(socket, QStringLiteral("malformed frame"));
        return;
    }
    if (state != GossipFrameReader::State::Complete)
        return;
    const std::optional<QByteArray> request = m_config.security.open(in->reader.payload());
    if (!request) {
        ++m_stats.streamAuthFailures;
        dropIncoming(socket, QStringLiteral("failed authentication"));
        return;
    }
    ++m_stats.streamsIn;
    in->replied = true;
    QPointer<GossipTransport> self(this);
    const QByteArray reply = m_handler ? m_handler(in->from, *request) : QByteArray();
    if (!self || !m_incoming.contains(socket))
        return;  // the handler closed us
    if (!reply.isEmpty())
        socket->write(encodeGossipFrame(m_config.security.seal(reply)));
    // Closes once the reply is written; the deadline still bounds a peer that does not read it.
    socket->disconnectFromHost();
}

void GossipTransport::dropIncoming(QTcpSocket *socket, const QString &why)
{
    const std::shared_ptr<Incoming> in = m_incoming.take(socket);
    if (!in)
        return;
    if (!why.isEmpty()) {
        ++m_stats.connectionsDropped;
        qCDebug(lcGossipNet).noquote() << "dropping gossip stream from" << in->from << ":" << why;
    }
    in->deadline->stop();
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

// ---------------------------------------------------------------------------------- dialled streams

void GossipTransport::startStream(quint64 id, const QString &to, const QByteArray &request,
                                  qint64 timeoutMs)
{
    // Failures found here are emitted later: the caller may be iterating its own state.
    m_starting = true;
    const auto started = qScopeGuard([this] { m_starting = false; });
    QString host;
    quint16 port = 0;
    if (int(m_outgoing.size()) >= m_config.maxOutgoingStreams) {
        emitFailure(id, QStringLiteral("too many streams"));
        return;
    }
    if (!splitHostPort(to, &host, &port) || m_outgoing.count(id)) {
        emitFailure(id, QStringLiteral("invalid address %1").arg(to));
        return;
    }
    const QByteArray sealed = m_config.security.seal(request);
    if (sealed.isEmpty()) {
        emitFailure(id, QStringLiteral("cannot seal the request"));
        return;
    }
    auto out = std::make_unique<Outgoing>(Outgoing{new QTcpSocket(this), nullptr,
                                                   encodeGossipFrame(sealed),
                                                   GossipFrameReader(m_config.maxFrameSize)});
    QTcpSocket *socket = out->socket;
    out->deadline = new QTimer(socket);
    out->deadline->setSingleShot(true);
    socket->setReadBufferSize(kSocketReadBuffer);
    connect(out->deadline, &QTimer::timeout, this,
            [this, id] { finishOutgoing(id, std::nullopt, QStringLiteral("timed out")); });
    connect(socket, &QTcpSocket::connected, this, [this, id] { onOutgoingConnected(id); });
    connect(socket, &QTcpSocket::readyRead, this, [this, id] { onOutgoingReadable(id); });
    // The peer closes after its reply: read what is left before calling it a failure.
    const auto ended = [this, id, socket] {
        onOutgoingReadable(id);
        finishOutgoing(id, std::nullopt, socket->errorString());
    };
    connect(socket, &QTcpSocket::errorOccurred, this, ended);
    connect(socket, &QTcpSocket::disconnected, this, ended);
    out->deadline->start(int(std::clamp<qint64>(timeoutMs, 1, INT_MAX)));
    m_outgoing.emplace(id, std::move(out));
    socket->connectToHost(host, port);
}

void GossipTransport::onOutgoingConnected(quint64 id)
{
    const auto it = m_outgoing.find(id);
    if (it == m_outgoing.end())
        return;
    it->second->socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    it->second->socket->write(it->second->frame);
    it->second->frame.clear();
}

void GossipTransport::onOutgoingReadable(quint64 id)
{
    const auto it = m_outgoing.find(id);
    if (it == m_outgoing.end())
        return;
    Outgoing &out = *it->second;
    const QByteArray bytes = out.socket->readAll();
    if (bytes.isEmpty())
        return;
    const GossipFrameReader::State state = out.reader.feed(bytes);
    if (state == GossipFrameReader::State::Error) {
        finishOutgoing(id, std::nullopt, QStringLiteral("malformed reply"));
    } else if (state == GossipFrameReader::State::Complete) {
        std::optional<QByteArray> reply = m_config.security.open(out.reader.payload());
        if (!reply)
            ++m_stats.streamAuthFailures;
        finishOutgoing(id, std::move(reply), QStringLiteral("reply failed authentication"));
    }
}

void GossipTransport::finishOutgoing(quint64 id, std::optional<QByteArray> reply, const QString &why)
{
    const auto it = m_outgoing.find(id);
    if (it == m_outgoing.end())
        return;
    const std::unique_ptr<Outgoing> out = std::move(it->second);
    m_outgoing.erase(it);
    out->deadline->stop();
    out->socket->disconnect(this);
    out->socket->abort();
    out->socket->deleteLater();
    if (!reply) {
        emitFailure(id, why);
        return;
    }
    ++m_stats.streamsOut;
    emit streamReplied(id, *reply);
}

void GossipTransport::emitFailure(quint64 id, const QString &why)
{
    ++m_stats.streamFailures;
    qCDebug(lcGossipNet).noquote() << "stream" << id << "failed:" << why;
    if (m_starting) {
        QMetaObject::invokeMethod(this, [this, id, why] { emit streamFailed(id, why); },
                                  Qt::QueuedConnection);
        return;
    }
    emit streamFailed(id, why);
}

}  // namespace conclave::net
