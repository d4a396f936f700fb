#include "net/dns_server.h"

#include <QHash>
#include <QLoggingCategory>
#include <QNetworkDatagram>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUdpSocket>

Q_LOGGING_CATEGORY(lcDns, "conclave.dns")

namespace conclave::net {

namespace {

QByteArray frame(const QByteArray &msg)
{
    QByteArray out;
    out.reserve(msg.size() + 2);
    out.append(char((msg.size() >> 8) & 0xFF));
    out.append(char(msg.size() & 0xFF));
    out.append(msg);
    return out;
}

QByteArray servFail(const QByteArray &query)
{
    const dns::DecodeResult d = dns::decode(query);
    if (!d.message)
        return {};
    return dns::encode(dns::errorReply(*d.message, dns::Rcode::ServFail, true));
}

}  // namespace

class DnsServer::Impl : public QObject {
public:
    // One forwarded query. The answer goes to a UDP client, or to a TCP connection if still open.
    // Upstream, the query travels over the client's transport (reference §12, as Consul's
    // recursor exchange does): one ephemeral UDP socket for the whole forward, or one TCP
    // connection per recursor tried.
    struct Forward {
        QByteArray query;
        quint16 id = 0;
        QHostAddress client;
        quint16 clientPort = 0;
        QPointer<QTcpSocket> tcp;
        bool overTcp = false;
        int next = 0;  // index of the next recursor to try
        QUdpSocket *socket = nullptr;    // UDP upstream
        QTcpSocket *upstream = nullptr;  // TCP upstream, for the recursor being tried
        QByteArray upstreamBuffer;       // its reply so far, at most kMaxFrame octets
        QTimer *timer = nullptr;         // per-recursor timeout; also fires at once on a failed connection
    };

    static constexpr qsizetype kMaxFrame = 2 + 65535;
    static constexpr int kMaxDatagramsPerWakeup = 64;

    Impl(Handler handler, Options options)
        : m_handler(std::move(handler)), m_options(std::move(options))
    {
    }

    ~Impl() override { close(); }

    bool listen(const QHostAddress &address, quint16 port, QString *error)
    {
        // With port 0 the UDP socket picks the port and TCP must get the same one; another
        // process may hold that TCP port, so try a few times.
        for (int attempt = 0; attempt < 20; ++attempt) {
            auto udp = std::make_unique<QUdpSocket>();
            if (!udp->bind(address, port)) {
                *error = QStringLiteral("cannot listen on %1:%2 (udp): %3")
                             .arg(address.toString()).arg(port).arg(udp->errorString());
                return false;
            }
            auto tcp = std::make_unique<QTcpServer>();
            if (!tcp->listen(address, udp->localPort())) {
                if (port != 0) {
                    *error = QStringLiteral("cannot listen on %1:%2 (tcp): %3")
                                 .arg(address.toString()).arg(port).arg(tcp->errorString());
                    return false;
                }
                continue;
            }
            m_udp = std::move(udp);
            m_tcp = std::move(tcp);
            m_udp->setReadBufferSize(0);
            connect(m_udp.get(), &QUdpSocket::readyRead, this, &Impl::onUdpReadyRead);
            connect(m_tcp.get(), &QTcpServer::newConnection, this, &Impl::onNewConnection);
            return true;
        }
        *error = QStringLiteral("cannot listen on %1: no port free for both UDP and TCP").arg(address.toString());
        return false;
    }

    void close()
    {
        // Connections first: they are children of the QTcpServer.
        const auto conns = m_connections;
        for (QTcpSocket *s : conns)
            s->abort();
        m_connections.clear();
        m_buffers.clear();
        if (m_udp)
            m_udp->close();
        m_udp.reset();
        if (m_tcp)
            m_tcp->close();
        m_tcp.reset();
        const auto forwards = m_forwards;
        for (Forward *f : forwards)
            discard(f);
    }

    // Reads until the socket has nothing left (readDatagram fails with TemporaryError, which
    // is no fault) or kMaxDatagramsPerWakeup were answered: asking hasPendingDatagrams() first
    // costs a recvmsg(MSG_PEEK) per datagram, as much as reading it. What is left wakes us again
    // from the event loop, after the other sockets had their turn. One buffer serves every
    // datagram (receiveDatagram(65535) allocates 64 KiB each time).
    void onUdpReadyRead()
    {
        if (m_datagram.isEmpty())
            m_datagram.resize(65535);
        QHostAddress sender;
        quint16 senderPort = 0;
        for (int i = 0; i < kMaxDatagramsPerWakeup && m_udp; ++i) {
            const qint64 size = m_udp->readDatagram(m_datagram.data(), m_datagram.size(), &sender, &senderPort);
            if (size < 0)
                return;
            const QByteArray query(m_datagram.constData(), size);
            const Result r = m_handler(query, dns::Transport::Udp);
            if (r.action == Action::Reply)
                m_udp->writeDatagram(r.reply, sender, senderPort);
            else if (r.action == Action::Forward)
                startForward(query, sender, senderPort, nullptr);
        }
    }

    void onNewConnection()
    {
        while (m_tcp && m_tcp->hasPendingConnections()) {
            QTcpSocket *s = m_tcp->nextPendingConnection();
            if (int(m_connections.size()) >= m_options.maxTcpConnections) {
                s->abort();
                s->deleteLater();
                continue;
            }
            m_connections.insert(s);
            auto *idle = new QTimer(s);
            idle->setSingleShot(true);
            idle->setInterval(m_options.tcpIdleTimeoutMs);
            connect(idle, &QTimer::timeout, s, [s] { s->disconnectFromHost(); });
            idle->start();
            // The idle clock restarts on whole queries only: a client dribbling a byte now and
            // then (slowloris) must not hold one of the maxTcpConnections slots for ever.
            connect(s, &QTcpSocket::readyRead, this, [this, s, idle] {
                if (onTcpReadyRead(s) > 0)
                    idle->start();
            });
            connect(s, &QTcpSocket::disconnected, this, [this, s] {
                m_connections.remove(s);
                m_buffers.remove(s);
                // Nobody is left to answer: stop asking upstream on this client's behalf.
                const auto forwards = m_forwards;
                for (Forward *f : forwards) {
                    if (f->tcp == s)
                        discard(f);
                }
                s->deleteLater();
            });
        }
    }

    /// Answers the whole queries buffered on `s`; returns how many.
    int onTcpReadyRead(QTcpSocket *s)
    {
        QByteArray &buf = m_buffers[s];
        buf.append(s->readAll());
        if (buf.size() > kMaxTcpBuffer) {
            s->abort();
            return 0;
        }
        int handled = 0;
        while (buf.size() >= 2) {
            const int len = (quint8(buf[0]) << 8) | quint8(buf[1]);
            if (len == 0) {  // an empty frame cannot be a DNS message
                s->disconnectFromHost();
                return handled;
            }
            if (buf.size() < 2 + len)
                break;
            // A client that keeps asking without reading the answers would make us buffer them
            // without bound: drop it.
            if (s->bytesToWrite() > kMaxTcpUnsent) {
                s->abort();
                return handled;
            }
            const QByteArray query = buf.mid(2, len);
            buf.remove(0, 2 + len);
            ++handled;
            const Result r = m_handler(query, dns::Transport::Tcp);
            if (r.action == Action::Reply)
                s->write(frame(r.reply));
            else if (r.action == Action::Forward)
                startForward(query, {}, 0, s);
        }
        return handled;
    }

    void startForward(const QByteArray &query, const QHostAddress &client, quint16 clientPort, QTcpSocket *tcp)
    {
        if (m_options.recursors.isEmpty() || int(m_forwards.size()) >= m_options.maxPendingForwards) {
            deliver(servFail(query), client, clientPort, tcp);
            return;
        }
        auto *f = new Forward;
        f->query = query;
        f->id = quint16((quint8(query[0]) << 8) | quint8(query[1]));
        f->client = client;
        f->clientPort = clientPort;
        f->tcp = tcp;
        f->overTcp = tcp != nullptr;
        f->timer = new QTimer(this);
        f->timer->setSingleShot(true);
        m_forwards.insert(f);
        connect(f->timer, &QTimer::timeout, this, [this, f] { tryNext(f); });
        if (!f->overTcp) {
            f->socket = new QUdpSocket(this);
            connect(f->socket, &QUdpSocket::readyRead, this, [this, f] { onUpstreamReadyRead(f); });
        }
        tryNext(f);
    }

    /// Sends the query to the next recursor, or answers SERVFAIL when none is left. Runs from the
    /// forward's timer or from a reply handler, never from inside a socket call of its own.
    void tryNext(Forward *f)
    {
        f->timer->stop();
        dropUpstream(f);
        while (f->next < m_options.recursors.size()) {
            const Recursor &rec = m_options.recursors[f->next++];
            if (f->overTcp) {
                connectUpstream(f, rec);
                return;
            }
            if (f->socket->state() == QAbstractSocket::UnconnectedState) {
                const QHostAddress any = rec.address.protocol() == QAbstractSocket::IPv6Protocol
                                             ? QHostAddress(QHostAddress::AnyIPv6)
                                             : QHostAddress(QHostAddress::AnyIPv4);
                if (!f->socket->bind(any, 0))
                    continue;
            }
            if (f->socket->writeDatagram(f->query, rec.address, rec.port) < 0)
                continue;
            f->timer->start(m_options.recursorTimeoutMs);
            return;
        }
        finish(f, servFail(f->query));
    }

    /// TCP: a fresh connection to `rec`, the framed query written once it connects. The timeout
    /// covers connecting and the exchange. A refused, reset or closed connection (even one that
    /// fails inside connectToHost) only rearms the timer to fire at once, so the next recursor is
    /// tried from the event loop and never re-entrantly.
    void connectUpstream(Forward *f, const Recursor &rec)
    {
        auto *s = new QTcpSocket(this);
        s->setReadBufferSize(kMaxFrame);
        f->upstream = s;
        f->upstreamBuffer.clear();
        f->timer->start(m_options.recursorTimeoutMs);
        const auto failed = [f] { f->timer->start(0); };
        connect(s, &QTcpSocket::connected, this, [f, s] { s->write(frame(f->query)); });
        connect(s, &QTcpSocket::readyRead, this, [this, f] { onUpstreamTcpReadyRead(f); });
        connect(s, &QTcpSocket::errorOccurred, this, failed);
        connect(s, &QTcpSocket::disconnected, this, failed);
        s->connectToHost(rec.address, rec.port);
    }

    void onUpstreamTcpReadyRead(Forward *f)
    {
        // Never more than one frame buffered: the socket's own buffer is capped too.
        f->upstreamBuffer.append(f->upstream->read(kMaxFrame - f->upstreamBuffer.size()));
        if (f->upstreamBuffer.size() < 2)
            return;
        const int len = (quint8(f->upstreamBuffer[0]) << 8) | quint8(f->upstreamBuffer[1]);
        if (f->upstreamBuffer.size() < 2 + len)
            return;
        const QByteArray reply = f->upstreamBuffer.mid(2, len);
        // On its own connection a reply must still be the answer to our question.
        if (!isReplyTo(f, reply)) {
            tryNext(f);
            return;
        }
        acceptOrTryNext(f, reply);
    }

    void onUpstreamReadyRead(Forward *f)
    {
        while (f->socket->hasPendingDatagrams()) {
            const QNetworkDatagram dg = f->socket->receiveDatagram(65535);
            const QByteArray reply = dg.data();
            const int current = f->next - 1;
            if (current < 0 || !isReplyTo(f, reply))
                continue;
            const Recursor &rec = m_options.recursors[current];
            // Only the recursor we asked (a spoofed or stale datagram is ignored).
            if (!dg.senderAddress().isEqual(rec.address, QHostAddress::TolerantConversion) ||
                dg.senderPort() != rec.port)
                continue;
            acceptOrTryNext(f, reply);
            return;
        }
    }

    static bool isReplyTo(const Forward *f, const QByteArray &reply)
    {
        if (reply.size() < 12)
            return false;
        const quint16 id = quint16((quint8(reply[0]) << 8) | quint8(reply[1]));
        return id == f->id && (quint8(reply[2]) & 0x80);
    }

    /// NOERROR, NXDOMAIN or a truncated reply is relayed as it came (a truncated UDP reply tells
    /// the client to retry over TCP); any other rcode moves on to the next recursor (reference §12).
    void acceptOrTryNext(Forward *f, const QByteArray &reply)
    {
        const int rcode = quint8(reply[3]) & 0x0F;
        const bool truncated = quint8(reply[2]) & 0x02;
        if (rcode == int(dns::Rcode::NoError) || rcode == int(dns::Rcode::NxDomain) || truncated)
            finish(f, reply);
        else
            tryNext(f);
    }

    void finish(Forward *f, const QByteArray &reply)
    {
        deliver(reply, f->client, f->clientPort, f->tcp);
        discard(f);
    }

    /// Forgets `f` without answering. Sockets are cut off from our slots before deleteLater, so
    /// nothing that arrives before their deletion can reach the freed Forward.
    void discard(Forward *f)
    {
        m_forwards.remove(f);
        f->timer->stop();
        f->timer->disconnect(this);
        f->timer->deleteLater();
        dropUpstream(f);
        if (f->socket) {
            f->socket->disconnect(this);
            f->socket->close();
            f->socket->deleteLater();
        }
        delete f;
    }

    void dropUpstream(Forward *f)
    {
        if (!f->upstream)
            return;
        f->upstream->disconnect(this);
        f->upstream->abort();
        f->upstream->deleteLater();
        f->upstream = nullptr;
    }

    void deliver(const QByteArray &reply, const QHostAddress &client, quint16 clientPort, QTcpSocket *tcp)
    {
        if (reply.isEmpty())
            return;
        if (tcp) {
            if (m_connections.contains(tcp) && tcp->state() == QAbstractSocket::ConnectedState)
                tcp->write(frame(reply));
        } else if (m_udp) {
            m_udp->writeDatagram(reply, client, clientPort);
        }
    }

    Handler m_handler;
    Options m_options;
    std::unique_ptr<QUdpSocket> m_udp;
    QByteArray m_datagram;  // receive buffer for m_udp
    std::unique_ptr<QTcpServer> m_tcp;
    QSet<QTcpSocket *> m_connections;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QSet<Forward *> m_forwards;
};

DnsServer::DnsServer(Handler handler, Options options, QObject *parent)
    : QObject(parent), d(std::make_unique<Impl>(std::move(handler), std::move(options)))
{
}

DnsServer::~DnsServer() = default;

bool DnsServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    return d->listen(address, port, error);
}

quint16 DnsServer::port() const
{
    return d->m_udp ? d->m_udp->localPort() : 0;
}

void DnsServer::close()
{
    d->close();
}

int DnsServer::tcpConnectionCount() const
{
    return int(d->m_connections.size());
}

int DnsServer::pendingForwards() const
{
    return int(d->m_forwards.size());
}

bool DnsServer::parseRecursor(const QString &text, Recursor *out)
{
    QString host = text.trimmed();
    quint16 port = 53;
    if (host.startsWith(QLatin1Char('['))) {
        const int close = int(host.indexOf(QLatin1Char(']')));
        if (close < 0)
            return false;
        const QString rest = host.mid(close + 1);
        host = host.mid(1, close - 1);
        if (!rest.isEmpty()) {
            bool ok = false;
            const uint p = rest.startsWith(QLatin1Char(':')) ? rest.mid(1).toUInt(&ok) : 0;
            if (!ok || p == 0 || p > 65535)
                return false;
            port = quint16(p);
        }
    } else if (host.count(QLatin1Char(':')) == 1) {
        bool ok = false;
        const uint p = host.section(QLatin1Char(':'), 1).toUInt(&ok);
        if (!ok || p == 0 || p > 65535)
            return false;
        port = quint16(p);
        host = host.section(QLatin1Char(':'), 0, 0);
    }
    QHostAddress addr;
    if (!addr.setAddress(host))
        return false;
    out->address = addr;
    out->port = port;
    return true;
}

}  // namespace conclave::net
