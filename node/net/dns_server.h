#pragma once
// DNS server on UDP and TCP (same port), a thin socket adapter around a handler that turns query
// bytes into reply bytes (dns/resolver); the shape of Consul's agent/dns/server.go ServeDNS.
//
// It also forwards queries the handler does not own to the recursors, asynchronously and over the
// transport the client used, as Consul does (reference §12): a UDP query goes upstream in one
// ephemeral UDP socket per forwarded query (so upstream IDs can never collide), replies matched on
// source address and query ID; a TCP query goes upstream over TCP, one QTcpSocket per recursor
// tried, RFC 1035 §4.2.2 framing, one reply frame of at most 2 + 65535 octets read. Either way: a
// timeout per recursor (connecting included), the next recursor on timeout, on a refused or
// closed connection or on an rcode other than NOERROR/NXDOMAIN, and SERVFAIL (RA=1) when none
// answers. A truncated UDP reply is relayed as it is: the client retries over TCP itself. A TCP
// client that disconnects cancels its pending forwards.
//
// TCP: RFC 1035 §4.2.2 two-octet length framing, several queries per connection answered in
// order of completion, at most kMaxTcpBuffer octets buffered per connection and kMaxTcpUnsent of
// answers not yet taken, an idle timeout that only whole queries restart (no slowloris), and
// a cap on connections. Nothing here blocks the event loop.
//
// Event-loop thread only; owned by the agent. Not done: recursor_strategy "random", reusing TCP
// connections to a recursor (RFC 7766 pipelining).

#include "net/dns_message.h"

#include <QHostAddress>
#include <QList>
#include <QObject>
#include <functional>
#include <memory>

namespace conclave::net {

class DnsServer : public QObject {
    Q_OBJECT
public:
    enum class Action { Reply, Forward, Drop };
    struct Result {
        Action action = Action::Drop;
        QByteArray reply;
    };
    /// Called for every complete query (UDP datagram or TCP frame). Must not block.
    using Handler = std::function<Result(const QByteArray &query, dns::Transport transport)>;

    struct Recursor {
        QHostAddress address;
        quint16 port = 53;
    };
    struct Options {
        QList<Recursor> recursors;
        int recursorTimeoutMs = 2000;  // Consul's recursor_timeout
        int tcpIdleTimeoutMs = 10000;
        int maxTcpConnections = 512;
        int maxPendingForwards = 1024;  // beyond this, forwarded queries get SERVFAIL at once
    };

    static constexpr qint64 kMaxTcpBuffer = 2 * (65535 + 2);
    /// Answers written but not yet taken by a TCP client; over this it is dropped (it asks
    /// without reading).
    static constexpr qint64 kMaxTcpUnsent = 1024 * 1024;

    DnsServer(Handler handler, Options options, QObject *parent = nullptr);
    ~DnsServer() override;

    /// Binds UDP and TCP on address:port (0 = a free port, the same for both). False + error text
    /// ("cannot listen on 127.0.0.1:8600 (udp): …") on failure.
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    quint16 port() const;
    void close();
    int tcpConnectionCount() const;
    int pendingForwards() const;

    /// "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353" → address and port (53 by default).
    static bool parseRecursor(const QString &text, Recursor *out);

private:
    class Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace conclave::net
