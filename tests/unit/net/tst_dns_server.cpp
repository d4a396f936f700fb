// DnsServer on 127.0.0.1:0 forwarding to in-test recursors (support/FakeDnsUpstream, UDP and TCP
// on one port): a query goes upstream over the transport the client used (reference §12, Consul's
// recursor exchange), the next recursor after a timeout, a refused or closed connection, a bad
// rcode or a foreign ID, SERVFAIL when none is left, a truncated UDP reply relayed as it is, and a
// TCP client that leaves cancels its forward.
#include "net/dns_server.h"
#include "support/fake_dns_upstream.h"

#include <QElapsedTimer>
#include <QNetworkDatagram>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUdpSocket>
#include <QtTest>

#include <memory>

using conclave::net::DnsServer;
using conclave::support::FakeDnsUpstream;
namespace dns = conclave::net::dns;

Q_DECLARE_METATYPE(FakeDnsUpstream::Behaviour)
Q_DECLARE_METATYPE(dns::Transport)

namespace {

constexpr int kWaitMs = 5000;
const QByteArray kFirstAddress("\xC0\x00\x02\x01", 4);   // 192.0.2.1
const QByteArray kSecondAddress("\xC0\x00\x02\x02", 4);  // 192.0.2.2

QByteArray query(const QString &name, quint16 id)
{
    dns::Message m;
    m.header.id = id;
    m.header.rd = true;
    m.questions.append(dns::Question{name, dns::type::A, dns::rrclass::IN});
    return dns::encode(m);
}

dns::Message decoded(const QByteArray &packet)
{
    const dns::DecodeResult d = dns::decode(packet);
    return d.message.value_or(dns::Message{});
}

/// Forwards every name except those under "consul.", which it answers itself (A 127.0.0.9).
DnsServer::Result handle(const QByteArray &packet, dns::Transport)
{
    const dns::Message q = decoded(packet);
    if (!q.questions.value(0).name.endsWith(QLatin1String("consul.")))
        return {DnsServer::Action::Forward, {}};
    dns::Message r = dns::errorReply(q, dns::Rcode::NoError, true);
    dns::ResourceRecord a;
    a.name = q.questions[0].name;
    a.address = QByteArray("\x7F\x00\x00\x09", 4);
    r.answers.append(a);
    return {DnsServer::Action::Reply, dns::encode(r)};
}

/// One client of the server under test, over UDP or TCP; collects the replies it gets.
class Client : public QObject {
public:
    Client(dns::Transport transport, quint16 port) : m_transport(transport), m_port(port)
    {
        if (transport == dns::Transport::Udp) {
            m_udp.bind(QHostAddress::LocalHost, 0);
            connect(&m_udp, &QUdpSocket::readyRead, this, [this] {
                while (m_udp.hasPendingDatagrams())
                    replies.append(m_udp.receiveDatagram(65535).data());
            });
        } else {
            connect(&m_tcp, &QTcpSocket::readyRead, this, [this] {
                m_buffer += m_tcp.readAll();
                while (m_buffer.size() >= 2) {
                    const int len = (quint8(m_buffer[0]) << 8) | quint8(m_buffer[1]);
                    if (m_buffer.size() < 2 + len)
                        break;
                    replies.append(m_buffer.mid(2, len));
                    m_buffer.remove(0, 2 + len);
                }
            });
            m_tcp.connectToHost(QHostAddress::LocalHost, port);
        }
    }

    void send(const QByteArray &msg)
    {
        if (m_transport == dns::Transport::Udp) {
            m_udp.writeDatagram(msg, QHostAddress::LocalHost, m_port);
        } else {
            QByteArray framed;
            framed.append(char(msg.size() >> 8)).append(char(msg.size() & 0xFF)).append(msg);
            m_tcp.write(framed);
        }
    }

    void abort() { m_tcp.abort(); }

    QList<QByteArray> replies;

private:
    dns::Transport m_transport;
    quint16 m_port;
    QUdpSocket m_udp;
    QTcpSocket m_tcp;
    QByteArray m_buffer;
};

/// A loopback port nothing listens on (TCP connections to it are refused).
quint16 closedPort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    const quint16 port = s.serverPort();
    s.close();
    return port;
}

}  // namespace

class TestDnsServer : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<DnsServer> startServer(const QList<quint16> &recursorPorts, int timeoutMs)
    {
        DnsServer::Options opts;
        for (quint16 port : recursorPorts)
            opts.recursors.append(DnsServer::Recursor{QHostAddress(QHostAddress::LocalHost), port});
        opts.recursorTimeoutMs = timeoutMs;
        auto server = std::make_unique<DnsServer>(handle, opts);
        QString error;
        if (!server->listen(QHostAddress::LocalHost, 0, &error))
            qWarning() << error;
        return server;
    }

    static QByteArray firstAddress(const QByteArray &reply)
    {
        const dns::Message m = decoded(reply);
        return m.answers.isEmpty() ? QByteArray() : m.answers.first().address;
    }

private slots:
    void queryGoesUpstreamOverTheClientsTransport_data()
    {
        QTest::addColumn<dns::Transport>("transport");
        QTest::newRow("udp stays udp") << dns::Transport::Udp;
        QTest::newRow("tcp stays tcp") << dns::Transport::Tcp;
    }
    void queryGoesUpstreamOverTheClientsTransport()
    {
        QFETCH(dns::Transport, transport);
        FakeDnsUpstream up;
        QVERIFY(up.listen());
        auto server = startServer({up.port()}, 2000);
        Client client(transport, server->port());
        client.send(query(QStringLiteral("example.org."), 0x1234));
        QTRY_COMPARE_WITH_TIMEOUT(client.replies.size(), 1, kWaitMs);

        const dns::Message reply = decoded(client.replies.first());
        QCOMPARE(reply.header.id, quint16(0x1234));
        QCOMPARE(reply.header.rcode, quint8(dns::Rcode::NoError));
        QCOMPARE(reply.answers.size(), 1);
        QCOMPARE(reply.answers.first().address, up.address());
        QCOMPARE(reply.answers.first().ttl, up.ttl());
        const bool tcp = transport == dns::Transport::Tcp;
        QCOMPARE(up.udpQueries(), tcp ? 0 : 1);
        QCOMPARE(up.tcpQueries(), tcp ? 1 : 0);
        QCOMPARE(up.tcpConnections(), tcp ? 1 : 0);
        QCOMPARE(server->pendingForwards(), 0);
        // The upstream connection is not kept once the answer is in.
        QTRY_COMPARE_WITH_TIMEOUT(up.openTcpConnections(), 0, kWaitMs);

        // A name the handler owns is answered locally, whatever the transport.
        client.send(query(QStringLiteral("web.service.consul."), 7));
        QTRY_COMPARE_WITH_TIMEOUT(client.replies.size(), 2, kWaitMs);
        QCOMPARE(firstAddress(client.replies.last()), QByteArray("\x7F\x00\x00\x09", 4));
        QCOMPARE(up.udpQueries() + up.tcpQueries(), 1);
    }

    void tcpReplyMayArriveInPieces()
    {
        FakeDnsUpstream up;
        up.setBehaviour(FakeDnsUpstream::Behaviour::SplitAnswer);
        QVERIFY(up.listen());
        auto server = startServer({up.port()}, 5000);
        Client client(dns::Transport::Tcp, server->port());
        client.send(query(QStringLiteral("example.org."), 99));
        QTRY_COMPARE_WITH_TIMEOUT(client.replies.size(), 1, kWaitMs);
        QCOMPARE(decoded(client.replies.first()).header.id, quint16(99));
        QCOMPARE(firstAddress(client.replies.first()), up.address());
    }

    /// The first recursor fails in some way, the second answers. Failures that show at once
    /// (refused, closed, bad rcode, foreign ID on a TCP connection) must not wait for the timeout.
    void nextRecursorAfterAFailure_data()
    {
        QTest::addColumn<dns::Transport>("transport");
        QTest::addColumn<FakeDnsUpstream::Behaviour>("behaviour");
        QTest::addColumn<bool>("refused");     // first recursor's port has no listener at all
        QTest::addColumn<int>("timeoutMs");
        QTest::addColumn<bool>("waitsForTimeout");
        using B = FakeDnsUpstream::Behaviour;
        const auto T = dns::Transport::Tcp;
        const auto U = dns::Transport::Udp;
        QTest::newRow("tcp: silent recursor times out") << T << B::Silent << false << 300 << true;
        QTest::newRow("tcp: connection closed") << T << B::CloseConnection << false << 10000 << false;
        QTest::newRow("tcp: closed mid-frame") << T << B::PartialThenClose << false << 10000 << false;
        QTest::newRow("tcp: connection refused") << T << B::Answer << true << 10000 << false;
        QTest::newRow("tcp: SERVFAIL") << T << B::ServFail << false << 10000 << false;
        QTest::newRow("tcp: foreign ID") << T << B::WrongId << false << 10000 << false;
        QTest::newRow("udp: silent recursor times out") << U << B::Silent << false << 300 << true;
        QTest::newRow("udp: SERVFAIL") << U << B::ServFail << false << 10000 << false;
        QTest::newRow("udp: foreign ID ignored, then timeout") << U << B::WrongId << false << 300 << true;
    }
    void nextRecursorAfterAFailure()
    {
        QFETCH(dns::Transport, transport);
        QFETCH(FakeDnsUpstream::Behaviour, behaviour);
        QFETCH(bool, refused);
        QFETCH(int, timeoutMs);
        QFETCH(bool, waitsForTimeout);

        FakeDnsUpstream bad;
        bad.setBehaviour(behaviour);
        bad.setAddress(kFirstAddress);
        QVERIFY(bad.listen());
        FakeDnsUpstream good;
        good.setAddress(kSecondAddress);
        QVERIFY(good.listen());
        auto server = startServer({refused ? closedPort() : bad.port(), good.port()}, timeoutMs);

        Client client(transport, server->port());
        QElapsedTimer clock;
        clock.start();
        client.send(query(QStringLiteral("example.org."), 0xBEEF));
        QTRY_COMPARE_WITH_TIMEOUT(client.replies.size(), 1, kWaitMs);
        const qint64 elapsed = clock.elapsed();

        const dns::Message reply = decoded(client.replies.first());
        QCOMPARE(reply.header.id, quint16(0xBEEF));
        QCOMPARE(reply.header.rcode, quint8(dns::Rcode::NoError));
        QCOMPARE(firstAddress(client.replies.first()), kSecondAddress);
        if (!refused)
            QCOMPARE(bad.questions(), QStringList{QStringLiteral("example.org.")});
        QCOMPARE(good.questions(), QStringList{QStringLiteral("example.org.")});
        const bool tcp = transport == dns::Transport::Tcp;
        QCOMPARE(good.tcpQueries(), tcp ? 1 : 0);
        QCOMPARE(good.udpQueries(), tcp ? 0 : 1);
        if (waitsForTimeout)
            QVERIFY2(elapsed >= timeoutMs - 50, qPrintable(QString::number(elapsed)));
        else
            QVERIFY2(elapsed < timeoutMs / 2, qPrintable(QString::number(elapsed)));
        QCOMPARE(server->pendingForwards(), 0);
        // Whatever the first recursor did, its connection is ours no longer.
        QTRY_COMPARE_WITH_TIMEOUT(bad.openTcpConnections(), 0, kWaitMs);
    }

    void servFailWhenNoRecursorAnswers_data()
    {
        QTest::addColumn<dns::Transport>("transport");
        QTest::addColumn<FakeDnsUpstream::Behaviour>("behaviour");
        QTest::newRow("tcp: both silent") << dns::Transport::Tcp << FakeDnsUpstream::Behaviour::Silent;
        QTest::newRow("tcp: both close") << dns::Transport::Tcp << FakeDnsUpstream::Behaviour::CloseConnection;
        QTest::newRow("udp: both silent") << dns::Transport::Udp << FakeDnsUpstream::Behaviour::Silent;
    }
    void servFailWhenNoRecursorAnswers()
    {
        QFETCH(dns::Transport, transport);
        QFETCH(FakeDnsUpstream::Behaviour, behaviour);
        constexpr int kTimeoutMs = 200;
        FakeDnsUpstream first, second;
        first.setBehaviour(behaviour);
        second.setBehaviour(behaviour);
        QVERIFY(first.listen());
        QVERIFY(second.listen());
        auto server = startServer({first.port(), second.port()}, kTimeoutMs);

        Client client(transport, server->port());
        QElapsedTimer clock;
        clock.start();
        client.send(query(QStringLiteral("example.org."), 4242));
        QTRY_COMPARE_WITH_TIMEOUT(client.replies.size(), 1, kWaitMs);
        const qint64 elapsed = clock.elapsed();

        const dns::Message reply = decoded(client.replies.first());
        QCOMPARE(reply.header.id, quint16(4242));
        QVERIFY(reply.header.qr);
        QVERIFY(reply.header.ra);
        QCOMPARE(reply.header.rcode, quint8(dns::Rcode::ServFail));
        QCOMPARE(reply.questions.value(0).name, QStringLiteral("example.org."));
        QVERIFY(reply.answers.isEmpty());
        QCOMPARE(first.questions().size(), 1);
        QCOMPARE(second.questions().size(), 1);
        if (behaviour == FakeDnsUpstream::Behaviour::Silent)
            QVERIFY2(elapsed >= 2 * kTimeoutMs - 50, qPrintable(QString::number(elapsed)));
        QCOMPARE(server->pendingForwards(), 0);
        // Timed-out upstream connections are closed, not left open.
        QTRY_COMPARE_WITH_TIMEOUT(first.openTcpConnections() + second.openTcpConnections(), 0, kWaitMs);
    }

    void truncatedUdpReplyRelayedAsIs()
    {
        FakeDnsUpstream up;
        up.setBehaviour(FakeDnsUpstream::Behaviour::TruncatedOverUdp);
        QVERIFY(up.listen());
        auto server = startServer({up.port()}, 2000);

        Client udp(dns::Transport::Udp, server->port());
        udp.send(query(QStringLiteral("big.example.org."), 1));
        QTRY_COMPARE_WITH_TIMEOUT(udp.replies.size(), 1, kWaitMs);
        const dns::Message truncated = decoded(udp.replies.first());
        QVERIFY(truncated.header.tc);
        QCOMPARE(truncated.header.rcode, quint8(dns::Rcode::NoError));
        QVERIFY(truncated.answers.isEmpty());
        // The server did not retry over TCP on its own: that is the client's move.
        QCOMPARE(up.tcpConnections(), 0);

        Client tcp(dns::Transport::Tcp, server->port());
        tcp.send(query(QStringLiteral("big.example.org."), 2));
        QTRY_COMPARE_WITH_TIMEOUT(tcp.replies.size(), 1, kWaitMs);
        QVERIFY(!decoded(tcp.replies.first()).header.tc);
        QCOMPARE(firstAddress(tcp.replies.first()), up.address());
        QCOMPARE(up.udpQueries(), 1);
        QCOMPARE(up.tcpQueries(), 1);
    }

    void tcpClientLeavingCancelsItsForward()
    {
        FakeDnsUpstream up;
        up.setBehaviour(FakeDnsUpstream::Behaviour::Silent);
        QVERIFY(up.listen());
        auto server = startServer({up.port()}, 10000);
        {
            Client client(dns::Transport::Tcp, server->port());
            client.send(query(QStringLiteral("example.org."), 5));
            QTRY_COMPARE_WITH_TIMEOUT(up.tcpQueries(), 1, kWaitMs);
            QCOMPARE(server->pendingForwards(), 1);
            QCOMPARE(up.openTcpConnections(), 1);
            client.abort();
        }
        QTRY_COMPARE_WITH_TIMEOUT(server->pendingForwards(), 0, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(up.openTcpConnections(), 0, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(server->tcpConnectionCount(), 0, kWaitMs);
    }

    /// More datagrams at once than the server reads in one wakeup: every one is answered, to its
    /// sender, with its own question, and the forwarded one reaches the recursor intact although
    /// the datagrams after it went through the same receive buffer.
    void udpBurstAnsweredInFull()
    {
        FakeDnsUpstream up;
        QVERIFY(up.listen());
        auto server = startServer({up.port()}, 5000);
        Client first(dns::Transport::Udp, server->port());
        Client second(dns::Transport::Udp, server->port());
        constexpr int kBurst = 150;
        for (int i = 0; i < kBurst; ++i) {
            Client &c = i % 2 ? second : first;
            c.send(query(i == 40 ? QStringLiteral("forwarded.example.org.") : QStringLiteral("q%1.consul.").arg(i), quint16(i)));
        }
        QTRY_COMPARE_WITH_TIMEOUT(first.replies.size() + second.replies.size(), kBurst, kWaitMs);
        QCOMPARE(first.replies.size(), kBurst / 2);
        for (const Client *c : {&first, &second}) {
            for (const QByteArray &packet : c->replies) {
                const dns::Message reply = decoded(packet);
                const int id = reply.header.id;
                QCOMPARE(id % 2, c == &second ? 1 : 0);
                if (id == 40) {
                    QCOMPARE(reply.questions.value(0).name, QStringLiteral("forwarded.example.org."));
                    QCOMPARE(firstAddress(packet), up.address());
                } else {
                    QCOMPARE(reply.questions.value(0).name, QStringLiteral("q%1.consul.").arg(id));
                }
            }
        }
        QCOMPARE(up.questions(), QStringList{QStringLiteral("forwarded.example.org.")});
    }

    void dribblingTcpClientIsClosedAtTheIdleTimeout()
    {
        // One byte every 100 ms never completes a query: the 400 ms idle clock must not restart.
        DnsServer::Options opts;
        opts.tcpIdleTimeoutMs = 400;
        DnsServer server(handle, opts);
        QString error;
        QVERIFY2(server.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        QTcpSocket loris;
        loris.connectToHost(QHostAddress::LocalHost, server.port());
        QVERIFY(loris.waitForConnected(5000));
        loris.write(QByteArray("\x00\x40", 2));  // announces 64 bytes that never all come
        QTimer drip;
        connect(&drip, &QTimer::timeout, &loris, [&loris] { loris.write("x", 1); });
        drip.start(100);
        QTRY_COMPARE_WITH_TIMEOUT(loris.state(), QAbstractSocket::UnconnectedState, 5000);
    }

    void closeDropsPendingForwards()
    {
        FakeDnsUpstream up;
        up.setBehaviour(FakeDnsUpstream::Behaviour::Silent);
        QVERIFY(up.listen());
        auto server = startServer({up.port()}, 10000);
        Client tcp(dns::Transport::Tcp, server->port());
        Client udp(dns::Transport::Udp, server->port());
        tcp.send(query(QStringLiteral("a.example.org."), 1));
        udp.send(query(QStringLiteral("b.example.org."), 2));
        QTRY_COMPARE_WITH_TIMEOUT(up.tcpQueries() + up.udpQueries(), 2, kWaitMs);
        QCOMPARE(server->pendingForwards(), 2);
        server->close();
        QCOMPARE(server->pendingForwards(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(up.openTcpConnections(), 0, kWaitMs);
    }
};

QTEST_GUILESS_MAIN(TestDnsServer)
#include "tst_dns_server.moc"
