#pragma once
// GossipTransport: the sockets of one gossip pool (serf LAN 8301, WAN 8302): UDP and TCP bound on
// the same port, the network side of memberlist's transport.go/net_transport.go.
//
// - Packets: sendPacket() writes one datagram; every datagram that arrives is opened (decrypted
//   and authenticated when the pool is encrypted) and emitted as packetReceived(). All pending
//   datagrams are drained per readyRead.
// - Streams: startStream(id, …) connects, writes one frame (4-byte big-endian length + payload,
//   gossip_crypto.h), reads one frame back and emits exactly one of streamReplied(id, …) or
//   streamFailed(id, …), within the request's timeout. An accepted connection reads one frame,
//   hands it to the stream handler and writes back what the handler returns (nothing: close).
// - Payloads of both kinds are sealed with the primary key and opened with any installed key
//   (GossipSecurity). What fails authentication is dropped and counted, never handed on.
//
// Bounds: a frame is at most Config::maxFrameSize; an accepted connection must deliver its frame
// and take its reply within Config::streamTimeoutMs or it is dropped, as is one that sends a bad
// length, bytes after its frame or anything that does not authenticate; at most
// Config::maxIncomingStreams accepted and Config::maxOutgoingStreams dialled connections at once.
// Nothing here blocks the event loop (host names in stream targets are resolved asynchronously by
// QTcpSocket; packets go to "ip:port" only).
//
// Owned by the GossipPool (or a test). Event-loop thread only. It knows nothing of SWIM: the pool
// moves bytes between it and gossip::Swim.

#include "net/gossip_crypto.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QString>

#include <functional>
#include <map>
#include <memory>
#include <optional>

class QTcpServer;
class QTcpSocket;
class QTimer;
class QUdpSocket;

namespace conclave::net {

class GossipTransport : public QObject {
    Q_OBJECT
public:
    struct Config {
        QHostAddress bindAddress = QHostAddress::LocalHost;
        quint16 port = 0;  // 0: a free port, the same for UDP and TCP
        GossipSecurity security;
        /// Largest stream payload on the wire (memberlist caps a push-pull state at 20 MiB).
        qint64 maxFrameSize = qint64(20) * 1024 * 1024;
        /// An accepted connection's budget to deliver its request and take the reply
        /// (memberlist's TCPTimeout).
        int streamTimeoutMs = 10000;
        /// memberlist's maxPushPullRequests; more concurrent connections are refused.
        int maxIncomingStreams = 128;
        int maxOutgoingStreams = 256;
    };

    struct Stats {
        quint64 packetsIn = 0;           // datagrams handed on (authenticated)
        quint64 packetsOut = 0;
        quint64 packetsDropped = 0;      // unaddressable target or the socket refused the datagram
        quint64 packetAuthFailures = 0;  // datagrams that did not authenticate
        quint64 streamsIn = 0;           // requests handed to the stream handler
        quint64 streamsOut = 0;          // replies received for startStream()
        quint64 streamFailures = 0;      // startStream() ending in streamFailed
        quint64 streamAuthFailures = 0;  // request or reply frames that did not authenticate
        quint64 connectionsDropped = 0;  // accepted connections dropped: garbage, stall, over cap
    };

    /// Called with each authenticated request; returns the reply (empty: close without one).
    /// It may not block.
    using StreamHandler = std::function<QByteArray(const QString &from, const QByteArray &request)>;

    explicit GossipTransport(Config config, QObject *parent = nullptr);
    ~GossipTransport() override;

    /// Binds UDP and TCP; false with one sentence in `error` ("cannot listen on 127.0.0.1:8301
    /// (tcp): …"). With port 0 both get the same free port.
    bool listen(QString *error);
    /// Closes every socket. Pending startStream()s end without a signal (the owner is stopping).
    void close();
    bool isListening() const;
    quint16 port() const;
    QHostAddress bindAddress() const { return m_config.bindAddress; }

    void setStreamHandler(StreamHandler handler) { m_handler = std::move(handler); }

    /// One datagram to "ip:port" (IPv6 as "[ip]:port"). Never blocks; a failure is counted.
    void sendPacket(const QString &to, const QByteArray &bytes);
    /// One request/reply exchange with "host:port". Exactly one of streamReplied/streamFailed
    /// follows for `id`, never from inside this call.
    void startStream(quint64 id, const QString &to, const QByteArray &request, qint64 timeoutMs);

    /// The keyring lives here; change it for rotation (install, use, remove).
    GossipSecurity &security() { return m_config.security; }
    const GossipSecurity &security() const { return m_config.security; }
    const Stats &stats() const { return m_stats; }
    int incomingStreamCount() const { return int(m_incoming.size()); }
    int outgoingStreamCount() const { return int(m_outgoing.size()); }

    /// "1.2.3.4:8301" / "[::1]:8301" → address and port; false if it is not an IP literal and a
    /// port in 1…65535.
    static bool parseAddress(const QString &text, QHostAddress *address, quint16 *port);
    /// "host:port" → host (brackets stripped) and port; the host may be a name.
    static bool splitHostPort(const QString &text, QString *host, quint16 *port);
    /// The inverse of parseAddress (IPv4-mapped IPv6 addresses are written as IPv4).
    static QString formatAddress(const QHostAddress &address, quint16 port);

signals:
    void packetReceived(const QString &from, const QByteArray &bytes);
    void streamReplied(quint64 id, const QByteArray &reply);
    void streamFailed(quint64 id, const QString &why);

private:
    struct Incoming;
    struct Outgoing;

    void onUdpReadyRead();
    void onNewConnection();
    void onIncomingReadable(QTcpSocket *socket);
    void dropIncoming(QTcpSocket *socket, const QString &why);
    void onOutgoingConnected(quint64 id);
    void onOutgoingReadable(quint64 id);
    void finishOutgoing(quint64 id, std::optional<QByteArray> reply, const QString &why);
    void emitFailure(quint64 id, const QString &why);

    Config m_config;
    QUdpSocket *m_udp = nullptr;
    QTcpServer *m_tcp = nullptr;
    StreamHandler m_handler;
    QHash<QTcpSocket *, std::shared_ptr<Incoming>> m_incoming;
    std::map<quint64, std::unique_ptr<Outgoing>> m_outgoing;
    Stats m_stats;
    bool m_starting = false;  // inside startStream(): failures are emitted later
};

}  // namespace conclave::net
