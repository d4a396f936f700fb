#pragma once
// PeerTransport: the server port's TCP transport between servers (Raft now, RPC later). Listens on
// the server port and keeps one outgoing connection per known peer, reconnecting with exponential
// back-off (capped). Each connection starts with one preamble byte choosing the channel (as
// Consul's pool: 0 = RPC, 1 = Raft), then a Hello frame naming the sender, then frames
// (net/frame_codec.h) in one direction: a server sends on its outgoing connection and receives on
// the ones its peers opened, so a pair of servers uses two connections.
//
// Sending never blocks: frames for a peer that is not connected wait in a bounded queue that drops
// its oldest frames when full (Raft retransmits whatever is lost), and a connected peer whose socket
// buffer is over the limit loses new frames the same way.
//
// Owned by the agent (or a test); RaftNode holds a reference. Event-loop thread only.

#include "net/frame_codec.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <deque>
#include <map>
#include <memory>

class QTcpServer;
class QTcpSocket;
class QTimer;

namespace conclave::net {

class PeerTransport : public QObject {
    Q_OBJECT
public:
    /// The connection preamble byte.
    enum class Channel : quint8 { Rpc = 0, Raft = 1 };
    /// Frame type of the handshake; other users of the transport must not use it.
    static constexpr quint32 kHelloFrameType = 1;

    struct Config {
        QString nodeId;            // sent in the Hello frame; peers know us by it
        QString advertiseAddress;  // "ip:port" sent in the Hello frame
        QHostAddress bindAddress = QHostAddress::LocalHost;
        quint16 port = 0;          // 0: any free port (tests)
        int maxQueuedFrames = 4096;
        qint64 maxQueuedBytes = qint64(64) * 1024 * 1024;
        int initialBackoffMs = 50;
        int maxBackoffMs = 2000;
        qint64 maxFrameSize = kDefaultMaxFrameSize;
    };

    explicit PeerTransport(Config config, QObject *parent = nullptr);
    ~PeerTransport() override;

    /// Starts listening; false with a one-sentence `error` if the port is taken.
    bool listen(QString *error);
    quint16 serverPort() const;
    const Config &config() const { return m_config; }

    /// Adds or re-addresses a peer ("host:port" of its server port) and connects to it.
    void setPeer(const QString &id, const QString &address);
    void removePeer(const QString &id);
    QStringList peerIds() const;
    QString peerAddress(const QString &id) const;
    bool isConnected(const QString &id) const;

    /// Queues `frame` for `id`; false if the peer is unknown.
    bool send(const QString &id, const Frame &frame);
    /// Frames dropped so far because a queue or socket buffer was full.
    quint64 droppedFrames() const { return m_dropped; }

signals:
    /// A frame from the peer named `from` in its Hello (any channel; `channel` says which).
    void frameReceived(const QString &from, conclave::net::PeerTransport::Channel channel,
                       const conclave::net::Frame &frame);
    /// An incoming connection introduced itself.
    void peerIntroduced(const QString &id, const QString &address);

private:
    struct Outgoing {
        QString address;
        QPointer<QTcpSocket> socket;
        bool connected = false;
        std::deque<QByteArray> queue;
        qint64 queuedBytes = 0;
        int backoffMs = 0;
        QTimer *retry = nullptr;
    };
    struct Incoming {
        QTcpSocket *socket = nullptr;
        bool gotPreamble = false;
        Channel channel = Channel::Raft;
        QString peerId;  // empty until the Hello frame
        FrameDecoder decoder;
    };

    void connectPeer(const QString &id);
    void onOutgoingConnected(const QString &id, QTcpSocket *socket);
    void onOutgoingLost(const QString &id, QTcpSocket *socket);
    void enqueue(Outgoing &peer, QByteArray bytes);
    void onNewConnection();
    void onIncomingReadable(QTcpSocket *socket);
    void dropIncoming(QTcpSocket *socket, const QString &why);

    Config m_config;
    QTcpServer *m_server = nullptr;
    std::map<QString, std::unique_ptr<Outgoing>> m_peers;
    QHash<QTcpSocket *, std::shared_ptr<Incoming>> m_incoming;
    quint64 m_dropped = 0;
};

}  // namespace conclave::net
