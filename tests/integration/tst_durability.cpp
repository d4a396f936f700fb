// Durability under kill -9: a burst of 1,000 PUTs over 50 concurrent keep-alive connections (each
// sends its next PUT when the previous one is answered, so batches keep being written until the
// end), the agent SIGKILLed while they are in flight, then restarted on the same data dir. Every write that
// was acknowledged (`true`) must be there with its value; unacknowledged writes may or may not be,
// but never with a wrong value.
#include "support/agent_process.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QtTest>

#include <csignal>

using conclave::support::AgentProcess;
using conclave::support::httpRequest;

namespace {

/// One keep-alive connection that sends its PUTs one after another and records which were
/// acknowledged.
struct Writer {
    QTcpSocket socket;
    QByteArray buffer;
    QStringList keys;           // in request order
    QList<QByteArray> requests; // the raw requests, same order
    int answered = 0;

    void sendNext()
    {
        if (answered < requests.size() && socket.state() == QAbstractSocket::ConnectedState)
            socket.write(requests.at(answered));
    }
};

}  // namespace

class TestDurability : public QObject {
    Q_OBJECT

private:
    AgentProcess m_agent;
    QHash<QString, QByteArray> m_acked;   // key → value acknowledged
    QHash<QString, QByteArray> m_sent;    // every key → value sent
    int m_ackCount = 0;

    static QByteArray valueFor(const QString &key) { return "value-of-" + key.toUtf8(); }

    /// Parses as many complete responses as the buffer holds.
    void drain(Writer &w)
    {
        for (;;) {
            const int end = w.buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QByteArray head = w.buffer.left(end);
            int length = 0;
            for (const QByteArray &line : head.split('\n')) {
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toInt();
            }
            if (w.buffer.size() < end + 4 + length)
                return;
            const QByteArray body = w.buffer.mid(end + 4, length);
            w.buffer.remove(0, end + 4 + length);
            const bool ok = head.startsWith("HTTP/1.1 200") && body.trimmed() == "true";
            const QString key = w.keys.value(w.answered++);
            if (ok) {
                m_acked.insert(key, valueFor(key));
                ++m_ackCount;
            }
            w.sendNext();
        }
    }

    /// Fires `total` PUTs over `conns` connections and SIGKILLs the agent once `killAfter` are acked.
    void burstAndKill(const QString &round, int conns, int perConn, int killAfter)
    {
        std::vector<std::unique_ptr<Writer>> writers;
        const int ackedBefore = m_ackCount;
        bool killed = false;
        const qint64 pid = m_agent.pid();
        for (int c = 0; c < conns; ++c) {
            auto w = std::make_unique<Writer>();
            Writer *wp = w.get();
            QObject::connect(&wp->socket, &QTcpSocket::readyRead, &wp->socket, [this, wp, &killed, pid, ackedBefore, killAfter]() {
                wp->buffer += wp->socket.readAll();
                drain(*wp);
                if (!killed && m_ackCount - ackedBefore >= killAfter) {
                    killed = true;
                    ::kill(pid_t(pid), SIGKILL);  // right now, with the rest of the burst in flight
                }
            });
            for (int i = 0; i < perConn; ++i) {
                const QString key = QStringLiteral("burst/%1/%2/%3").arg(round).arg(c).arg(i);
                const QByteArray value = valueFor(key);
                m_sent.insert(key, value);
                wp->keys.append(key);
                wp->requests.append("PUT /v1/kv/" + key.toUtf8() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                                    QByteArray::number(value.size()) + "\r\n\r\n" + value);
            }
            wp->socket.connectToHost(QHostAddress::LocalHost, m_agent.httpPort());
            QObject::connect(&wp->socket, &QTcpSocket::connected, &wp->socket, [wp]() { wp->sendNext(); });
            writers.push_back(std::move(w));
        }
        QTRY_VERIFY_WITH_TIMEOUT(!m_agent.isRunning(), 60000);
        QVERIFY2(killed, "the burst finished before the kill point; lower killAfter");
        qInfo("round %s: %d of %d writes acknowledged before kill -9", qPrintable(round), m_ackCount - ackedBefore,
              conns * perConn);
    }

    void verifyAfterRestart()
    {
        QVERIFY2(m_agent.start({QStringLiteral("-config-file"), m_configFile}), qPrintable(m_agent.errorString()));
        const auto r = httpRequest("GET", m_agent.baseUrl() + QStringLiteral("/v1/kv/burst/?recurse"));
        QCOMPARE(r.status, 200);
        const QJsonArray arr = QJsonDocument::fromJson(r.body).array();
        QHash<QString, QByteArray> stored;
        for (const auto &v : arr) {
            const QJsonObject e = v.toObject();
            stored.insert(e.value("Key").toString(), QByteArray::fromBase64(e.value("Value").toString().toLatin1()));
        }
        int missing = 0;
        for (auto it = m_acked.cbegin(); it != m_acked.cend(); ++it) {
            if (stored.value(it.key()) != it.value()) {
                ++missing;
                qWarning("acknowledged write lost: %s", qPrintable(it.key()));
            }
        }
        QCOMPARE(missing, 0);
        for (auto it = stored.cbegin(); it != stored.cend(); ++it) {
            QVERIFY2(m_sent.contains(it.key()), qPrintable("a key nobody wrote: " + it.key()));
            QCOMPARE(it.value(), m_sent.value(it.key()));
        }
        qInfo("%lld keys stored, %lld acknowledged", qlonglong(stored.size()), qlonglong(m_acked.size()));
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(!conclave::support::agentBinaryPath().isEmpty(), "the conclave binary was not built");
        // A small snapshot threshold so that the kills also land around snapshot writes and log
        // compaction, not only plain appends.
        QTemporaryFile *cfg = new QTemporaryFile(this);
        QVERIFY(cfg->open());
        cfg->write(R"({"raft_snapshot_threshold": 300, "raft_trailing_logs": 50})");
        cfg->flush();
        QVERIFY2(m_agent.start({QStringLiteral("-config-file"), cfg->fileName()}), qPrintable(m_agent.errorString()));
        m_configFile = cfg->fileName();
    }
    void cleanup() { m_agent.dumpLogOnFailure(); }
    void cleanupTestCase()
    {
        if (m_agent.isRunning())
            QVERIFY(m_agent.terminate(15000));
    }

    void killDuringBurstLosesNoAcknowledgedWrite_data()
    {
        QTest::addColumn<int>("killAfter");
        QTest::newRow("early") << 50;
        QTest::newRow("middle") << 400;
        QTest::newRow("late") << 900;
    }
    void killDuringBurstLosesNoAcknowledgedWrite()
    {
        QFETCH(int, killAfter);
        if (!m_agent.isRunning())
            QVERIFY2(m_agent.start({QStringLiteral("-config-file"), m_configFile}), qPrintable(m_agent.errorString()));
        burstAndKill(QString::fromLatin1(QTest::currentDataTag()), 50, 20, killAfter);
        QVERIFY(m_agent.isRunning() == false);
        verifyAfterRestart();
        QVERIFY(m_acked.size() >= killAfter);
    }

private:
    QString m_configFile;
};

QTEST_MAIN(TestDurability)
#include "tst_durability.moc"
