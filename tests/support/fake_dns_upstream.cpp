#include "support/fake_dns_upstream.h"

#include "net/dns_message.h"

#include <QNetworkDatagram>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUdpSocket>

#include <memory>

namespace conclave::support {

namespace dns = conclave::net::dns;

namespace {

QByteArray frame(const QByteArray &msg)
{
    QByteArray out;
    out.append(char((msg.size() >> 8) & 0xFF));
    out.append(char(msg.size() & 0xFF));
    return out + msg;
}

}  // namespace

FakeDnsUpstream::FakeDnsUpstream(QObject *parent) : QObject(parent) {}

FakeDnsUpstream::~FakeDnsUpstream()
{
    for (const QPointer<QTcpSocket> &s : std::as_const(m_sockets)) {
        if (s)
            s->abort();
    }
}

bool FakeDnsUpstream::listen(quint16 port)
{
    // With port 0, UDP picks and TCP must get the same port; retry if TCP's is taken.
    for (int attempt = 0; attempt < 20; ++attempt) {
        auto *udp = new QUdpSocket(this);
        if (!udp->bind(QHostAddress::LocalHost, port)) {
            delete udp;
            return false;
        }
        auto *tcp = new QTcpServer(this);
        if (!tcp->listen(QHostAddress::LocalHost, udp->localPort())) {
            delete tcp;
            delete udp;
            if (port != 0)
                return false;
            continue;
        }
        m_udp = udp;
        m_tcp = tcp;
        connect(m_udp, &QUdpSocket::readyRead, this, &FakeDnsUpstream::onUdpReadyRead);
        connect(m_tcp, &QTcpServer::newConnection, this, &FakeDnsUpstream::onNewConnection);
        return true;
    }
    return false;
}

quint16 FakeDnsUpstream::port() const
{
    return m_udp ? m_udp->localPort() : 0;
}

int FakeDnsUpstream::openTcpConnections() const
{
    int n = 0;
    for (const QPointer<QTcpSocket> &s : m_sockets)
        n += s && s->state() == QAbstractSocket::ConnectedState ? 1 : 0;
    return n;
}

void FakeDnsUpstream::onUdpReadyRead()
{
    while (m_udp->hasPendingDatagrams()) {
        const QNetworkDatagram dg = m_udp->receiveDatagram(65535);
        ++m_udpQueries;
        const QByteArray answer = reply(dg.data(), false);
        if (!answer.isEmpty())
            m_udp->writeDatagram(answer, dg.senderAddress(), quint16(dg.senderPort()));
    }
}

void FakeDnsUpstream::onNewConnection()
{
    while (QTcpSocket *s = m_tcp->nextPendingConnection()) {
        ++m_tcpConnections;
        m_sockets.append(s);
        connect(s, &QTcpSocket::readyRead, this, [this, s] { onTcpReadyRead(s); });
        connect(s, &QTcpSocket::disconnected, this, [this, s] {
            m_buffers.remove(s);
            s->deleteLater();
        });
    }
}

void FakeDnsUpstream::onTcpReadyRead(QTcpSocket *s)
{
    QByteArray &buf = m_buffers[s];
    buf += s->readAll();
    while (buf.size() >= 2) {
        const int len = (quint8(buf[0]) << 8) | quint8(buf[1]);
        if (buf.size() < 2 + len)
            break;
        const QByteArray query = buf.mid(2, len);
        buf.remove(0, 2 + len);
        ++m_tcpQueries;
        const QByteArray answer = frame(reply(query, true));
        switch (m_behaviour) {
        case Behaviour::Silent:
            break;
        case Behaviour::CloseConnection:
            s->disconnectFromHost();
            return;
        case Behaviour::PartialThenClose:
            s->write(answer.left(answer.size() / 2));
            s->disconnectFromHost();
            return;
        case Behaviour::SplitAnswer: {
            // One octet per event-loop turn, flushed each time, so the reader sees many segments.
            s->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            auto *timer = new QTimer(s);
            timer->setInterval(1);
            auto rest = std::make_shared<QByteArray>(answer);
            connect(timer, &QTimer::timeout, s, [s, timer, rest] {
                if (rest->isEmpty()) {
                    timer->stop();
                    return;
                }
                s->write(rest->left(1));
                s->flush();
                rest->remove(0, 1);
            });
            timer->start();
            break;
        }
        default:
            s->write(answer);
            break;
        }
    }
}

QByteArray FakeDnsUpstream::reply(const QByteArray &query, bool overTcp)
{
    const dns::DecodeResult d = dns::decode(query);
    if (!d.message)
        return {};
    const dns::Message &q = *d.message;
    m_questions.append(dns::lowerName(q.questions.value(0).name));
    if (m_behaviour == Behaviour::Silent || (!overTcp && (m_behaviour == Behaviour::CloseConnection ||
                                                         m_behaviour == Behaviour::PartialThenClose)))
        return {};

    dns::Message r = dns::errorReply(q, dns::Rcode::NoError, true);
    r.header.ad = false;
    if (m_behaviour == Behaviour::ServFail) {
        r.header.rcode = quint8(dns::Rcode::ServFail);
    } else if (m_behaviour == Behaviour::TruncatedOverUdp && !overTcp) {
        r.header.tc = true;
    } else {
        dns::ResourceRecord a;
        a.name = q.questions.value(0).name;
        a.type = dns::type::A;
        a.ttl = m_ttl;
        a.address = m_address;
        r.answers.append(a);
    }
    if (m_behaviour == Behaviour::WrongId)
        r.header.id = quint16(q.header.id + 1);
    return dns::encode(r);
}

}  // namespace conclave::support
