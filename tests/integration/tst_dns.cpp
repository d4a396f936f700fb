// The DNS interface end to end (issue #3), asked with the real `dig` against real agents: a "web"
// service with two instances whose HTTP checks hit servers of this test; A, SRV (target and
// additional A), tag lookups in both forms, a node lookup over TCP; instances leaving DNS as their
// checks turn critical and NXDOMAIN + SOA once none is healthy; NXDOMAIN for unknown names in the
// zone, REFUSED outside it without recursors; and an agent with -recursor forwarding over UDP and
// over TCP to an in-test DNS server. Expected replies: ../shared/reference/consul-dns.md.
#include "support/agent_process.h"
#include "support/fake_dns_upstream.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using conclave::support::AgentProcess;
using conclave::support::FakeDnsUpstream;
using conclave::support::httpRequest;

namespace {

constexpr int kDeadlineMs = 15000;  // health changes: check interval 1s, plus anti-entropy, plus a loaded CI

/// Answers every HTTP request with the status it is set to and closes the connection.
class HealthServer : public QObject {
public:
    HealthServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                m_sockets.append(s);
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    if (!s->peek(1 << 16).contains("\r\n\r\n"))
                        return;
                    s->readAll();
                    const QByteArray reason = m_status == 200 ? "OK" : "Internal Server Error";
                    s->write("HTTP/1.1 " + QByteArray::number(m_status) + ' ' + reason +
                             "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    s->disconnectFromHost();
                });
            }
        });
    }
    ~HealthServer() override
    {
        for (const QPointer<QTcpSocket> &s : std::as_const(m_sockets)) {
            if (s)
                s->abort();
        }
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }
    void setStatus(int status) { m_status = status; }

private:
    QTcpServer m_server;
    QList<QPointer<QTcpSocket>> m_sockets;
    int m_status = 200;
};

/// What `dig` printed, cut into its parts. Records are normalised to "name ttl class type rdata"
/// with single spaces.
struct Dig {
    bool ok = false;  // dig got a reply (exit code 0)
    QString status;   // NOERROR, NXDOMAIN, REFUSED, …
    QStringList flags;
    QStringList answer, authority, additional;
    QString output;

    /// RDATA of the records of `type` in `section`, sorted.
    static QStringList data(const QStringList &section, const QString &type)
    {
        QStringList out;
        for (const QString &rr : section) {
            const QStringList f = rr.split(QLatin1Char(' '));
            if (f.size() >= 5 && f[3] == type)
                out.append(f.mid(4).join(QLatin1Char(' ')));
        }
        out.sort();
        return out;
    }
    QStringList answers(const QString &type) const { return data(answer, type); }
};

Dig parseDig(const QString &output)
{
    Dig d;
    d.output = output;
    static const QRegularExpression header(QStringLiteral(R"(status: ([A-Z]+),)"));
    static const QRegularExpression flags(QStringLiteral(R"(;; flags: ([a-z ]*);)"));
    if (const auto m = header.match(output); m.hasMatch())
        d.status = m.captured(1);
    if (const auto m = flags.match(output); m.hasMatch())
        d.flags = m.captured(1).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    QStringList *section = nullptr;
    for (const QString &line : output.split(QLatin1Char('\n'))) {
        if (line.startsWith(QLatin1String(";; ANSWER SECTION:")))
            section = &d.answer;
        else if (line.startsWith(QLatin1String(";; AUTHORITY SECTION:")))
            section = &d.authority;
        else if (line.startsWith(QLatin1String(";; ADDITIONAL SECTION:")))
            section = &d.additional;
        else if (line.trimmed().isEmpty() || line.startsWith(QLatin1Char(';')))
            section = line.trimmed().isEmpty() ? nullptr : section;
        else if (section)
            section->append(line.simplified());
    }
    return d;
}

}  // namespace

class TestDns : public QObject {
    Q_OBJECT

private:
    AgentProcess m_agent;
    HealthServer m_health1, m_health2;
    QString m_dig;
    const QString m_node = QStringLiteral("dns-node");

    /// Runs `dig @127.0.0.1 -p <port> +time=2 +tries=1 <args…>` with the event loop running (the
    /// test's health and DNS servers keep answering meanwhile).
    Dig dig(quint16 port, const QStringList &args)
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(m_dig, QStringList{QStringLiteral("@127.0.0.1"), QStringLiteral("-p"), QString::number(port),
                                   QStringLiteral("+time=2"), QStringLiteral("+tries=1")} + args);
        if (!QTest::qWaitFor([&p] { return p.state() == QProcess::NotRunning; }, 10000)) {
            p.kill();
            p.waitForFinished(5000);
            return {};
        }
        Dig d = parseDig(QString::fromUtf8(p.readAll()));
        d.ok = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        return d;
    }
    Dig ask(const QStringList &args) { return dig(m_agent.dnsPort(), args); }

    static QByteArray serviceBody(const QString &id, quint16 port, const QString &address, const QString &tag)
    {
        QJsonObject service{{"ID", id}, {"Name", "web"}, {"Port", port}, {"Tags", QJsonArray{tag}}};
        if (!address.isEmpty())
            service.insert("Address", address);
        service.insert("Check", QJsonObject{{"HTTP", QStringLiteral("http://127.0.0.1:%1/health").arg(port)},
                                            {"Interval", "1s"}, {"Timeout", "1s"}});
        return QJsonDocument(service).toJson(QJsonDocument::Compact);
    }

    /// The SOA of a negative answer, as reference §10/§14: serial = now (give or take a minute).
    static void verifySoa(const Dig &d)
    {
        QCOMPARE(d.authority.size(), 1);
        const QStringList f = d.authority.first().split(QLatin1Char(' '));
        QCOMPARE(f.size(), 11);
        QCOMPARE(f.mid(0, 6), (QStringList{"consul.", "0", "IN", "SOA", "ns.consul.", "hostmaster.consul."}));
        QVERIFY2(qAbs(f[6].toLongLong() - QDateTime::currentSecsSinceEpoch()) < 60, qPrintable(d.authority.first()));
        QCOMPARE(f.mid(7), (QStringList{"3600", "600", "86400", "0"}));
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(!conclave::support::agentBinaryPath().isEmpty(), "the conclave binary was not built");
        // CI installs dnsutils (.ci/deps.sh); elsewhere: sudo apt-get install -y dnsutils.
        m_dig = QStandardPaths::findExecutable(QStringLiteral("dig"));
        QVERIFY2(!m_dig.isEmpty(), "dig not found: install the dnsutils package (.ci/deps.sh lists it)");
        QVERIFY(m_health1.listen());
        QVERIFY(m_health2.listen());
        QVERIFY2(m_agent.start({QStringLiteral("-node"), m_node}), qPrintable(m_agent.errorString()));
        QVERIFY(m_agent.waitForLog("Started DNS server"));
        QVERIFY(m_agent.dnsPort() != 0);

        // web-1 has its own address, web-2 uses the node's (127.0.0.1): A records differ, and the
        // SRV targets show both naming rules (reference §4.3).
        const QString url = m_agent.baseUrl() + QStringLiteral("/v1/agent/service/register");
        QCOMPARE(httpRequest("PUT", url, serviceBody(QStringLiteral("web-1"), m_health1.port(), QStringLiteral("127.0.0.2"), QStringLiteral("v1"))).status, 200);
        QCOMPARE(httpRequest("PUT", url, serviceBody(QStringLiteral("web-2"), m_health2.port(), {}, QStringLiteral("v2"))).status, 200);
    }
    void cleanup() { m_agent.dumpLogOnFailure(); }
    void cleanupTestCase() { QVERIFY(m_agent.terminate(15000)); }

    void aRecordsOfBothInstances()
    {
        // Checks start critical; both instances appear once their first check passed.
        QTRY_COMPARE_WITH_TIMEOUT(ask({QStringLiteral("web.service.consul")}).answers(QStringLiteral("A")),
                                  (QStringList{"127.0.0.1", "127.0.0.2"}), kDeadlineMs);
        const Dig d = ask({QStringLiteral("web.service.consul"), QStringLiteral("A")});
        QVERIFY2(d.ok, qPrintable(d.output));
        QCOMPARE(d.status, QStringLiteral("NOERROR"));
        QVERIFY2(d.flags.contains(QStringLiteral("aa")), qPrintable(d.output));
        QVERIFY2(!d.flags.contains(QStringLiteral("ra")), qPrintable(d.output));  // no recursors
        QCOMPARE(d.answer.size(), 2);
        for (const QString &rr : d.answer)
            QVERIFY2(rr.startsWith(QLatin1String("web.service.consul. 0 IN A ")), qPrintable(rr));
        QVERIFY2(!d.output.contains(QLatin1String("malformed")), qPrintable(d.output));
    }

    void srvGivesPortsTargetsAndAdditionalA()
    {
        const Dig d = ask({QStringLiteral("web.service.consul"), QStringLiteral("SRV")});
        QCOMPARE(d.status, QStringLiteral("NOERROR"));
        QStringList srv{QStringLiteral("1 1 %1 7f000002.addr.dc1.consul.").arg(m_health1.port()),
                        QStringLiteral("1 1 %1 %2.node.dc1.consul.").arg(m_health2.port()).arg(m_node)};
        srv.sort();
        QCOMPARE(d.answers(QStringLiteral("SRV")), srv);
        QStringList additionalA;
        for (const QString &rr : d.additional) {
            if (rr.split(QLatin1Char(' ')).value(3) == QLatin1String("A"))
                additionalA.append(rr);
        }
        additionalA.sort();
        QCOMPARE(additionalA, (QStringList{"7f000002.addr.dc1.consul. 0 IN A 127.0.0.2",
                                           QStringLiteral("%1.node.dc1.consul. 0 IN A 127.0.0.1").arg(m_node)}));

        // RFC 2782 form, "_tcp" meaning no tag (reference §2).
        const Dig rfc = ask({QStringLiteral("_web._tcp.service.consul"), QStringLiteral("SRV")});
        QCOMPARE(rfc.answers(QStringLiteral("SRV")), d.answers(QStringLiteral("SRV")));
    }

    void tagLookups()
    {
        QCOMPARE(ask({QStringLiteral("v2.web.service.consul")}).answers(QStringLiteral("A")), QStringList{"127.0.0.1"});
        QCOMPARE(ask({QStringLiteral("v1.web.service.consul")}).answers(QStringLiteral("A")), QStringList{"127.0.0.2"});
        const Dig rfc = ask({QStringLiteral("_web._v2.service.consul"), QStringLiteral("SRV")});
        QCOMPARE(rfc.status, QStringLiteral("NOERROR"));
        QCOMPARE(rfc.answers(QStringLiteral("SRV")),
                 QStringList{QStringLiteral("1 1 %1 %2.node.dc1.consul.").arg(m_health2.port()).arg(m_node)});
        const Dig none = ask({QStringLiteral("v3.web.service.consul")});
        QCOMPARE(none.status, QStringLiteral("NXDOMAIN"));
    }

    void nodeLookupOverTcp()
    {
        const Dig d = ask({QStringLiteral("+tcp"), m_node + QStringLiteral(".node.consul"), QStringLiteral("A")});
        QVERIFY2(d.ok, qPrintable(d.output));
        QVERIFY2(d.output.contains(QLatin1String("(TCP)")), qPrintable(d.output));
        QCOMPARE(d.status, QStringLiteral("NOERROR"));
        QCOMPARE(d.answers(QStringLiteral("A")), QStringList{"127.0.0.1"});
        QCOMPARE(Dig::data(d.answer, QStringLiteral("A")).size(), 1);
        QVERIFY2(d.answer.contains(m_node + QStringLiteral(".node.consul. 0 IN A 127.0.0.1")), qPrintable(d.output));
    }

    void criticalInstancesLeaveDns()
    {
        m_health1.setStatus(500);
        QTRY_COMPARE_WITH_TIMEOUT(ask({QStringLiteral("web.service.consul")}).answers(QStringLiteral("A")),
                                  QStringList{"127.0.0.1"}, kDeadlineMs);
        QCOMPARE(ask({QStringLiteral("web.service.consul"), QStringLiteral("SRV")}).answers(QStringLiteral("SRV")),
                 QStringList{QStringLiteral("1 1 %1 %2.node.dc1.consul.").arg(m_health2.port()).arg(m_node)});

        // No healthy instance left: NXDOMAIN with the SOA in authority, although the service exists
        // (reference §4.1 step 3, §11).
        m_health2.setStatus(500);
        QTRY_COMPARE_WITH_TIMEOUT(ask({QStringLiteral("web.service.consul")}).status, QStringLiteral("NXDOMAIN"), kDeadlineMs);
        const Dig d = ask({QStringLiteral("web.service.consul"), QStringLiteral("A")});
        QCOMPARE(d.status, QStringLiteral("NXDOMAIN"));
        QVERIFY(d.answer.isEmpty());
        QVERIFY(d.flags.contains(QStringLiteral("aa")));
        verifySoa(d);
        QCOMPARE(ask({QStringLiteral("_web._tcp.service.consul"), QStringLiteral("SRV")}).status, QStringLiteral("NXDOMAIN"));

        // And back.
        m_health2.setStatus(200);
        QTRY_COMPARE_WITH_TIMEOUT(ask({QStringLiteral("web.service.consul")}).answers(QStringLiteral("A")),
                                  QStringList{"127.0.0.1"}, kDeadlineMs);
    }

    void unknownNamesInTheZone_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("unknown service") << QStringLiteral("nope.service.consul");
        QTest::newRow("unknown node") << QStringLiteral("nobody.node.consul");
        QTest::newRow("unknown keyword") << QStringLiteral("web.nothing.consul");
        QTest::newRow("unknown datacenter") << QStringLiteral("web.service.dc9.consul");
    }
    void unknownNamesInTheZone()
    {
        QFETCH(QString, name);
        const Dig d = ask({name, QStringLiteral("A")});
        QVERIFY2(d.ok, qPrintable(d.output));
        QCOMPARE(d.status, QStringLiteral("NXDOMAIN"));
        QVERIFY(d.answer.isEmpty());
        verifySoa(d);
    }

    void outsideTheZoneRefusedWithoutRecursors()
    {
        for (const QString &transport : {QStringLiteral("+notcp"), QStringLiteral("+tcp")}) {
            const Dig d = ask({transport, QStringLiteral("example.org"), QStringLiteral("A")});
            QVERIFY2(d.ok, qPrintable(d.output));
            QCOMPARE(d.status, QStringLiteral("REFUSED"));
            QVERIFY(d.answer.isEmpty());
            QVERIFY(d.authority.isEmpty());
            QVERIFY2(!d.flags.contains(QStringLiteral("ra")), qPrintable(d.output));
        }
    }

    void recursorAnswersOverUdpAndTcp()
    {
        FakeDnsUpstream upstream;
        QVERIFY(upstream.listen());
        AgentProcess second;
        const auto dumpLog = qScopeGuard([&second] { second.dumpLogOnFailure(); });
        QVERIFY2(second.start({QStringLiteral("-node"), QStringLiteral("dns-recursing"), QStringLiteral("-recursor"),
                               QStringLiteral("127.0.0.1:%1").arg(upstream.port())}),
                 qPrintable(second.errorString()));
        QVERIFY(second.waitForLog("Started DNS server"));
        QVERIFY(second.dnsPort() != 0);

        const Dig udp = dig(second.dnsPort(), {QStringLiteral("example.org"), QStringLiteral("A")});
        QVERIFY2(udp.ok, qPrintable(udp.output));
        QCOMPARE(udp.status, QStringLiteral("NOERROR"));
        QCOMPARE(udp.answer, QStringList{"example.org. 42 IN A 192.0.2.7"});
        QVERIFY2(udp.flags.contains(QStringLiteral("ra")), qPrintable(udp.output));
        QCOMPARE(upstream.udpQueries(), 1);
        QCOMPARE(upstream.tcpQueries(), 0);

        const Dig tcp = dig(second.dnsPort(), {QStringLiteral("+tcp"), QStringLiteral("example.org"), QStringLiteral("A")});
        QVERIFY2(tcp.ok, qPrintable(tcp.output));
        QCOMPARE(tcp.status, QStringLiteral("NOERROR"));
        QCOMPARE(tcp.answer, QStringList{"example.org. 42 IN A 192.0.2.7"});
        // Forwarded over TCP, as it came in (reference §12).
        QCOMPARE(upstream.udpQueries(), 1);
        QCOMPARE(upstream.tcpQueries(), 1);
        QCOMPARE(upstream.questions(), (QStringList{"example.org.", "example.org."}));

        // The recursing agent still answers its own zone itself, now with RA set.
        const Dig own = dig(second.dnsPort(), {QStringLiteral("dns-recursing.node.consul"), QStringLiteral("A")});
        QCOMPARE(own.status, QStringLiteral("NOERROR"));
        QCOMPARE(own.answers(QStringLiteral("A")), QStringList{"127.0.0.1"});
        QVERIFY2(own.flags.contains(QStringLiteral("ra")), qPrintable(own.output));
        QCOMPARE(upstream.questions().size(), 2);

        QVERIFY(second.terminate(15000));
    }
};

QTEST_GUILESS_MAIN(TestDns)
#include "tst_dns.moc"
