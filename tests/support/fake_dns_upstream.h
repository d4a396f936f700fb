#pragma once
// A DNS server for tests that stands in for a recursor: UDP and TCP on one loopback port, every
// query answered with one fixed A record (or, as told, not answered, answered badly, or the
// connection cut), and every query counted per transport. Test code only.

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QStringList>

class QTcpServer;
class QTcpSocket;
class QUdpSocket;

namespace conclave::support {

/// Lives on the test thread; answers from the event loop, so the test must keep it running
/// (QTRY_*, QTest::qWaitFor). Replies are built with the project's codec (net/dns_message):
/// the question echoed, QR and RA set, and for Behaviour::Answer one `A` record of address() with
/// TTL ttl().
class FakeDnsUpstream : public QObject
{
    Q_OBJECT
public:
    enum class Behaviour {
        Answer,            // NOERROR with the A record, over either transport
        Silent,            // reads the query, never answers (TCP: keeps the connection open)
        CloseConnection,   // TCP: closes as soon as a query arrives; UDP: like Silent
        PartialThenClose,  // TCP: writes half a reply frame, then closes; UDP: like Silent
        ServFail,          // SERVFAIL, no answer
        WrongId,           // the A record under another message ID
        SplitAnswer,       // TCP: the reply frame written one octet at a time; UDP: like Answer
        TruncatedOverUdp,  // UDP: TC set and no answer (the client should ask again over TCP);
                           // TCP: like Answer
    };

    explicit FakeDnsUpstream(QObject *parent = nullptr);
    ~FakeDnsUpstream() override;

    /// Binds UDP and TCP on the same port of 127.0.0.1 (0 = a free one). False if that failed.
    bool listen(quint16 port = 0);
    quint16 port() const;
    void setBehaviour(Behaviour b) { m_behaviour = b; }
    void setAddress(const QByteArray &ipv4) { m_address = ipv4; }  // 4 octets
    QByteArray address() const { return m_address; }
    void setTtl(quint32 ttl) { m_ttl = ttl; }
    quint32 ttl() const { return m_ttl; }

    int udpQueries() const { return m_udpQueries; }
    int tcpQueries() const { return m_tcpQueries; }
    int tcpConnections() const { return m_tcpConnections; }  // accepted so far
    int openTcpConnections() const;                           // still open from the peer's side
    /// Question names seen, in order, lower-cased ("example.org.").
    QStringList questions() const { return m_questions; }

private:
    void onUdpReadyRead();
    void onNewConnection();
    void onTcpReadyRead(QTcpSocket *s);
    /// The reply to `query` for the current behaviour and transport; empty = do not answer.
    QByteArray reply(const QByteArray &query, bool overTcp);

    QUdpSocket *m_udp = nullptr;
    QTcpServer *m_tcp = nullptr;
    QList<QPointer<QTcpSocket>> m_sockets;
    QHash<QTcpSocket *, QByteArray> m_buffers;  // per connection, what is not yet a whole frame
    Behaviour m_behaviour = Behaviour::Answer;
    QByteArray m_address = QByteArray("\xC0\x00\x02\x07", 4);  // 192.0.2.7 (RFC 5737)
    quint32 m_ttl = 42;
    int m_udpQueries = 0;
    int m_tcpQueries = 0;
    int m_tcpConnections = 0;
    QStringList m_questions;
};

}  // namespace conclave::support
