// The viewer stream end to end over loopback: a real HttpServer with the upgrade hook, a real
// StateStore written through WriteTxn, and WebSocket clients (QWebSocket, or a raw TCP client
// that stops reading to play a slow viewer).
#include "api/viewer_stream.h"
#include "core/state/catalog_ops.h"
#include "core/state/kv_ops.h"
#include "net/http_server.h"
#include "shared/stream/messages.h"
#include "unit/state/state_test_util.h"

#include <QTcpSocket>
#include <QWebSocket>
#include <QtTest>

#include <functional>
#include <memory>

using namespace conclave;
using state::test::inTxn;

namespace {

/// A QWebSocket viewer that records every decoded message.
class Viewer : public QObject {
public:
    explicit Viewer(quint16 port)
    {
        connect(&ws, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
            QString error;
            auto m = stream::decode(text.toUtf8(), &error);
            QVERIFY2(m, qPrintable(error));
            messages.append(*m);
        });
        ws.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/v1/stream").arg(port)));
    }
    void subscribe(const stream::Subscribe &s) { ws.sendTextMessage(QString::fromUtf8(stream::encode(s))); }
    QList<stream::Message> ofTopic(stream::Topic t) const
    {
        QList<stream::Message> out;
        for (const auto &m : messages)
            if ((m.type == stream::MessageType::Snapshot && m.snapshot.topic == t)
                || (m.type == stream::MessageType::Change && m.change.topic == t))
                out.append(m);
        return out;
    }
    /// The Resume answers received for `t`.
    QList<stream::Resume> resumes(stream::Topic t) const
    {
        QList<stream::Resume> out;
        for (const auto &m : messages)
            if (m.type == stream::MessageType::Resume && m.resume.topic == t)
                out.append(m.resume);
        return out;
    }
    /// Index of the last Snapshot or Change of `t` (0 if none).
    quint64 lastIndex(stream::Topic t) const
    {
        const auto all = ofTopic(t);
        if (all.isEmpty())
            return 0;
        return all.last().type == stream::MessageType::Snapshot ? all.last().snapshot.index : all.last().change.index;
    }
    bool isConnected() const { return ws.state() == QAbstractSocket::ConnectedState; }
    QWebSocket ws;
    QList<stream::Message> messages;
};

/// Keys of a message's rows (Snapshot) or upserts (Change).
QStringList keysOf(const QJsonArray &rows)
{
    QStringList out;
    for (const QJsonValue &v : rows)
        out.append(v.toObject().value(QStringLiteral("Key")).toString());
    return out;
}

stream::TopicRequest topic(stream::Topic t, const QString &prefix = {}, quint64 from = 0)
{
    return stream::TopicRequest{t, prefix, from};
}

model::Check ttlCheck(const QString &node, const QString &id, const QString &status)
{
    model::Check c;
    c.node = node;
    c.checkId = id;
    c.name = id;
    c.status = status;
    return c;
}

/// A raw WebSocket client over QTcpSocket, so the test decides when bytes are read.
class RawClient {
public:
    bool connectAndUpgrade(quint16 port)
    {
        sock.connectToHost(QHostAddress::LocalHost, port);
        sock.write("GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        return QTest::qWaitFor([&] {
            buffer += sock.readAll();
            const qsizetype end = buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return false;
            ok = buffer.startsWith("HTTP/1.1 101");
            buffer.remove(0, end + 4);
            return true;
        }, 5000) && ok;
    }
    void sendText(const QByteArray &payload) { sendFrame(1, true, payload); }
    /// One masked frame: opcode 1 (text) or 0 (continuation), `fin` on the last of a message.
    /// With `sendOnly` >= 0, only that many bytes of the frame go out.
    void sendFrame(int opcode, bool fin, const QByteArray &payload, qsizetype sendOnly = -1)
    {
        QByteArray frame;
        frame.append(char((fin ? 0x80 : 0) | opcode));
        const char mask[4] = {0x11, 0x22, 0x33, 0x44};
        if (payload.size() < 126) {
            frame.append(char(0x80 | payload.size()));
        } else if (payload.size() < 65536) {
            frame.append(char(0x80 | 126));
            frame.append(char((payload.size() >> 8) & 0xff));
            frame.append(char(payload.size() & 0xff));
        } else {
            frame.append(char(0x80 | 127));
            for (int shift = 56; shift >= 0; shift -= 8)
                frame.append(char((quint64(payload.size()) >> shift) & 0xff));
        }
        frame.append(mask, 4);
        for (qsizetype i = 0; i < payload.size(); ++i)
            frame.append(char(payload[i] ^ mask[i % 4]));
        sock.write(sendOnly < 0 ? frame : frame.left(sendOnly));
    }
    /// Parses every complete text message received so far.
    void pump()
    {
        buffer += sock.readAll();
        for (;;) {
            if (buffer.size() < 2)
                return;
            const quint8 b0 = quint8(buffer[0]), b1 = quint8(buffer[1]);
            qsizetype pos = 2;
            quint64 len = b1 & 0x7f;
            if (len == 126) {
                if (buffer.size() < 4)
                    return;
                len = (quint64(quint8(buffer[2])) << 8) | quint8(buffer[3]);
                pos = 4;
            } else if (len == 127) {
                if (buffer.size() < 10)
                    return;
                len = 0;
                for (int i = 0; i < 8; ++i)
                    len = (len << 8) | quint8(buffer[2 + i]);
                pos = 10;
            }
            if (quint64(buffer.size() - pos) < len)
                return;
            partial += buffer.mid(pos, qsizetype(len));
            buffer.remove(0, pos + qsizetype(len));
            const int opcode = b0 & 0x0f;
            if (opcode == 8) {
                closed = true;
                if (partial.size() >= 2)
                    closeCode = (quint8(partial[0]) << 8) | quint8(partial[1]);
                partial.clear();
                continue;
            }
            if (b0 & 0x80) {
                if (opcode == 1 || opcode == 0)
                    texts.append(partial);
                partial.clear();
            }
        }
    }
    QTcpSocket sock;
    QByteArray buffer, partial;
    QList<QByteArray> texts;
    bool ok = false;
    bool closed = false;
    int closeCode = 0;
};

}  // namespace

class TestViewerStream : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<state::StateStore> m_store;
    std::unique_ptr<api::ViewerStream> m_stream;
    std::unique_ptr<net::HttpServer> m_http;
    quint64 m_index = 10;

    void startServer(api::ViewerStreamLimits limits = {})
    {
        api::ViewerStreamContext ctx;
        ctx.store = m_store.get();
        ctx.leaderNode = [] { return QStringLiteral("n1"); };
        m_stream = std::make_unique<api::ViewerStream>(ctx, limits);
        m_http = std::make_unique<net::HttpServer>([](const net::HttpRequest &, net::HttpResponder r) {
            r.send(net::HttpResponse::text(404, "not found"));
        });
        api::ViewerStream *s = m_stream.get();
        m_http->setUpgradeHandler([s](QTcpSocket *socket, const QByteArray &peeked) { return s->handleUpgrade(socket, peeked); });
        QString error;
        QVERIFY2(m_http->listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
    }
    /// A topic asked from `from`, of the history the stream running now has (what a viewer that
    /// got its state from this agent process sends back).
    stream::TopicRequest resumeAt(stream::Topic t, const QString &prefix, quint64 from) const
    {
        return stream::TopicRequest{t, prefix, from, m_stream->history().identity(t)};
    }
    quint64 put(const QString &key, const QByteArray &value)
    {
        const quint64 at = ++m_index;
        inTxn(*m_store, at, [&](state::WriteTxn &t) { state::kvSet(t, state::test::kv(key, value)); });
        return at;
    }
    quint64 registerNodeWithCheck(const QString &node, const QString &status)
    {
        const quint64 at = ++m_index;
        model::RegisterRequest r = state::test::reg(node);
        r.checks.append(ttlCheck(node, QStringLiteral("ttl"), status));
        const QString err = inTxn(*m_store, at, [&](state::WriteTxn &t) { return state::catalogEnsureRegistration(t, r); });
        if (!err.isEmpty())
            qWarning() << err;
        return at;
    }

    /// A viewer that subscribes, waits for `answers` messages, lets `meanwhile` act while it is
    /// connected, and goes away. Returns the index of the last message of each topic: what it
    /// would resume from.
    QHash<stream::Topic, quint64> visit(const stream::Subscribe &s, int answers,
                                       const std::function<void(Viewer &)> &meanwhile = {})
    {
        QHash<stream::Topic, quint64> seen;
        Viewer v(m_http->port());
        [&] {
            QTRY_VERIFY_WITH_TIMEOUT(v.isConnected(), 5000);
            v.subscribe(s);
            QTRY_COMPARE_WITH_TIMEOUT(v.messages.size(), answers, 5000);
            if (meanwhile)
                meanwhile(v);
            for (const stream::TopicRequest &t : s.topics)
                seen.insert(t.topic, v.lastIndex(t.topic));
            v.ws.close();
            QTRY_COMPARE_WITH_TIMEOUT(m_stream->clientCount(), 0, 5000);
        }();
        return seen;
    }

private slots:
    void init()
    {
        m_store = std::make_unique<state::StateStore>();
        m_index = 10;
    }
    void cleanup()
    {
        m_http.reset();
        m_stream.reset();
        m_store.reset();
    }

    void upgradeDetection_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<bool>("stream");
        QTest::newRow("websocket on /v1/stream")
            << QByteArray("GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n") << true;
        QTest::newRow("header case and query ignored")
            << QByteArray("GET /v1/stream?x=1 HTTP/1.1\r\nUPGRADE:  WebSocket\r\n\r\n") << true;
        QTest::newRow("other path") << QByteArray("GET /v1/kv/a HTTP/1.1\r\nUpgrade: websocket\r\n\r\n") << false;
        QTest::newRow("no upgrade header") << QByteArray("GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n") << false;
        QTest::newRow("upgrade after the head") << QByteArray("GET /v1/stream HTTP/1.1\r\n\r\nUpgrade: websocket\r\n") << false;
        QTest::newRow("POST") << QByteArray("POST /v1/stream HTTP/1.1\r\nUpgrade: websocket\r\n\r\n") << false;
        QTest::newRow("h2c upgrade") << QByteArray("GET /v1/stream HTTP/1.1\r\nUpgrade: h2c\r\n\r\n") << false;
    }
    void upgradeDetection()
    {
        QFETCH(QByteArray, head);
        QFETCH(bool, stream);
        QCOMPARE(api::ViewerStream::isStreamUpgrade(head), stream);
    }

    void plainHttpStillServedNextToTheStream()
    {
        startServer();
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, m_http->port());
        s.write("GET /v1/kv/x HTTP/1.1\r\nHost: a\r\n\r\n");
        QByteArray got;
        QTRY_VERIFY_WITH_TIMEOUT((got += s.readAll()).contains("not found"), 5000);
        QVERIFY(got.startsWith("HTTP/1.1 404"));
    }

    void snapshotThenOrderedChanges()
    {
        put(QStringLiteral("app/a"), "1");
        const quint64 kvAt = put(QStringLiteral("other/x"), "0");  // kv indexes are the KV table's, whatever the prefix
        const quint64 nodeAt = registerNodeWithCheck(QStringLiteral("n1"), model::status::Passing);
        startServer();
        Viewer v(m_http->port());
        QTRY_VERIFY_WITH_TIMEOUT(v.ws.state() == QAbstractSocket::ConnectedState, 5000);
        v.subscribe(stream::Subscribe{{topic(stream::Topic::Kv, QStringLiteral("app/")), topic(stream::Topic::Checks),
                                       topic(stream::Topic::Nodes), topic(stream::Topic::Datacenters)},
                                      {}});
        QTRY_COMPARE_WITH_TIMEOUT(v.messages.size(), 4, 5000);

        const auto kv = v.ofTopic(stream::Topic::Kv);
        QCOMPARE(kv.size(), 1);
        QCOMPARE(kv[0].type, stream::MessageType::Snapshot);
        QCOMPARE(kv[0].snapshot.index, kvAt);
        QCOMPARE(kv[0].snapshot.prefix, QStringLiteral("app/"));
        QCOMPARE(kv[0].snapshot.rows.size(), 1);  // other/x is outside the prefix
        QCOMPARE(kv[0].snapshot.rows[0].toObject().value(QStringLiteral("Key")).toString(), QStringLiteral("app/a"));
        QCOMPARE(kv[0].snapshot.rows[0].toObject().value(QStringLiteral("Value")).toString(), QStringLiteral("MQ=="));
        const auto checks = v.ofTopic(stream::Topic::Checks);
        QCOMPARE(checks[0].snapshot.index, nodeAt);
        QCOMPARE(checks[0].snapshot.rows[0].toObject().value(QStringLiteral("Status")).toString(), QStringLiteral("passing"));
        const auto dcs = v.ofTopic(stream::Topic::Datacenters);
        QCOMPARE(dcs[0].snapshot.rows[0].toObject().value(QStringLiteral("Leader")).toString(), QStringLiteral("n1"));

        // A KV write under the prefix, a check going critical, a write elsewhere, a delete.
        const quint64 w1 = put(QStringLiteral("app/b"), "2");
        QTRY_COMPARE_WITH_TIMEOUT(v.ofTopic(stream::Topic::Kv).size(), 2, 5000);
        const quint64 w2 = registerNodeWithCheck(QStringLiteral("n1"), model::status::Critical);
        QTRY_COMPARE_WITH_TIMEOUT(v.ofTopic(stream::Topic::Checks).size(), 2, 5000);
        put(QStringLiteral("other/y"), "3");
        const quint64 w3 = ++m_index;
        inTxn(*m_store, w3, [](state::WriteTxn &t) { state::kvDelete(t, QStringLiteral("app/a")); });
        QTRY_COMPARE_WITH_TIMEOUT(v.ofTopic(stream::Topic::Kv).size(), 3, 5000);

        const auto kvAfter = v.ofTopic(stream::Topic::Kv);
        QCOMPARE(kvAfter[1].type, stream::MessageType::Change);
        QCOMPARE(kvAfter[1].change.index, w1);
        QCOMPARE(kvAfter[1].change.upserts.size(), 1);
        QCOMPARE(kvAfter[1].change.upserts[0].toObject().value(QStringLiteral("Key")).toString(), QStringLiteral("app/b"));
        QVERIFY(kvAfter[1].change.deletes.isEmpty());
        QCOMPARE(kvAfter[2].change.index, w3);  // other/y never woke the app/ subscription
        QVERIFY(kvAfter[2].change.upserts.isEmpty());
        QCOMPARE(kvAfter[2].change.deletes, QStringList{QStringLiteral("app/a")});

        const auto checkChange = v.ofTopic(stream::Topic::Checks)[1];
        QCOMPARE(checkChange.type, stream::MessageType::Change);
        QCOMPARE(checkChange.change.index, w2);
        QCOMPARE(checkChange.change.upserts.size(), 1);
        QCOMPARE(checkChange.change.upserts[0].toObject().value(QStringLiteral("Status")).toString(), QStringLiteral("critical"));

        // Indexes only grow, message by message, within each topic.
        for (stream::Topic t : {stream::Topic::Kv, stream::Topic::Checks}) {
            quint64 last = 0;
            for (const auto &m : v.ofTopic(t)) {
                const quint64 idx = m.type == stream::MessageType::Snapshot ? m.snapshot.index : m.change.index;
                QVERIFY2(idx > last, "indexes must increase");
                last = idx;
            }
        }
    }

    void resume_data()
    {
        QTest::addColumn<int>("fromOffset");  // fromIndex relative to the index last seen
        QTest::addColumn<bool>("reload");
        QTest::newRow("last index seen: no reload") << 0 << false;
        QTest::newRow("index ahead of this agent: fresh snapshot") << 5 << true;
        QTest::newRow("index older than the history: fresh snapshot") << -1 << true;
        QTest::newRow("no index: fresh snapshot") << -1000 << true;
    }
    void resume()
    {
        QFETCH(int, fromOffset);
        QFETCH(bool, reload);
        put(QStringLiteral("app/a"), "1");
        startServer();
        const quint64 seen = visit(stream::Subscribe{{topic(stream::Topic::Kv, QStringLiteral("app/"))}, {}}, 1).value(stream::Topic::Kv);
        QVERIFY(!QTest::currentTestFailed());
        const quint64 from = fromOffset <= -1000 ? 0 : quint64(qint64(seen) + fromOffset);
        Viewer v(m_http->port());
        QTRY_VERIFY_WITH_TIMEOUT(v.ws.state() == QAbstractSocket::ConnectedState, 5000);
        // The datacenters snapshot (sent after the kv topic's answer) proves the subscription is live.
        v.subscribe(stream::Subscribe{{resumeAt(stream::Topic::Kv, QStringLiteral("app/"), from), topic(stream::Topic::Datacenters)}, {}});
        QTRY_COMPARE_WITH_TIMEOUT(v.ofTopic(stream::Topic::Datacenters).size(), 1, 5000);
        QCOMPARE(v.ofTopic(stream::Topic::Kv).size(), reload ? 1 : 0);
        QCOMPARE(v.resumes(stream::Topic::Kv).size(), reload ? 0 : 1);
        if (reload) {
            const stream::Snapshot snap = v.ofTopic(stream::Topic::Kv)[0].snapshot;
            QCOMPARE(v.ofTopic(stream::Topic::Kv)[0].type, stream::MessageType::Snapshot);
            QCOMPARE(snap.index, seen);
            QCOMPARE(snap.rows.size(), 1);
            QCOMPARE(snap.reason.isEmpty(), from == 0);  // a refused resume says why
        } else {
            QCOMPARE(v.resumes(stream::Topic::Kv)[0], (stream::Resume{stream::Topic::Kv, QStringLiteral("app/"), from, seen, m_stream->history().identity(stream::Topic::Kv)}));
        }
        const quint64 w = put(QStringLiteral("app/b"), "2");
        QTRY_COMPARE_WITH_TIMEOUT(v.ofTopic(stream::Topic::Kv).size(), reload ? 2 : 1, 5000);
        const stream::Message last = v.ofTopic(stream::Topic::Kv).last();
        QCOMPARE(last.type, stream::MessageType::Change);
        QCOMPARE(last.change.index, w);
        QCOMPARE(last.change.upserts.size(), 1);  // only the new key: the resumed state was complete
        QCOMPARE(last.change.upserts[0].toObject().value(QStringLiteral("Key")).toString(), QStringLiteral("app/b"));
    }

    void reconnectWithTheLastIndexGetsExactlyTheMissedChanges()
    {
        put(QStringLiteral("app/a"), "1");
        registerNodeWithCheck(QStringLiteral("n1"), model::status::Passing);
        startServer();
        // One live Change too, so that the index the client resumes from came from a Change.
        quint64 live = 0;
        const auto seen = visit(stream::Subscribe{{topic(stream::Topic::Kv, QStringLiteral("app/")), topic(stream::Topic::Checks)}, {}}, 2,
                                [&](Viewer &v) {
                                    live = put(QStringLiteral("app/live"), "0");
                                    QTRY_COMPARE_WITH_TIMEOUT(v.lastIndex(stream::Topic::Kv), live, 5000);
                                });
        QVERIFY(!QTest::currentTestFailed());
        const quint64 kvSeen = seen.value(stream::Topic::Kv), checksSeen = seen.value(stream::Topic::Checks);
        QCOMPARE(kvSeen, live);

        // Meanwhile: a write under the prefix, one outside it, a delete, two writes in one turn, and a
        // check going critical (the same Raft index also touches nodes and services).
        const quint64 w1 = put(QStringLiteral("app/b"), "2");
        QTRY_COMPARE_WITH_TIMEOUT(m_stream->history().head(stream::Topic::Kv), w1, 5000);
        const quint64 outside = put(QStringLiteral("other/x"), "3");
        QTRY_COMPARE_WITH_TIMEOUT(m_stream->history().head(stream::Topic::Kv), outside, 5000);
        const quint64 w2 = ++m_index;
        inTxn(*m_store, w2, [](state::WriteTxn &t) { state::kvDelete(t, QStringLiteral("app/a")); });
        QTRY_COMPARE_WITH_TIMEOUT(m_stream->history().head(stream::Topic::Kv), w2, 5000);
        put(QStringLiteral("app/c"), "4");
        const quint64 w3 = put(QStringLiteral("app/d"), "5");
        const quint64 critical = registerNodeWithCheck(QStringLiteral("n1"), model::status::Critical);
        QTRY_COMPARE_WITH_TIMEOUT(m_stream->history().head(stream::Topic::Checks), critical, 5000);
        QCOMPARE(m_stream->history().head(stream::Topic::Kv), w3);

        Viewer v(m_http->port());
        QTRY_VERIFY_WITH_TIMEOUT(v.isConnected(), 5000);
        v.subscribe(stream::Subscribe{{resumeAt(stream::Topic::Kv, QStringLiteral("app/"), kvSeen),
                                       resumeAt(stream::Topic::Checks, {}, checksSeen)},
                                      {}});
        QTRY_COMPARE_WITH_TIMEOUT(v.ofTopic(stream::Topic::Kv).size(), 3, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(v.ofTopic(stream::Topic::Checks).size(), 1, 5000);
        QCOMPARE(v.resumes(stream::Topic::Kv), (QList<stream::Resume>{{stream::Topic::Kv, QStringLiteral("app/"), kvSeen, w3, m_stream->history().identity(stream::Topic::Kv)}}));
        QCOMPARE(v.resumes(stream::Topic::Checks), (QList<stream::Resume>{{stream::Topic::Checks, {}, checksSeen, critical, m_stream->history().identity(stream::Topic::Checks)}}));
        // Each topic's Resume comes before its Changes.
        QCOMPARE(v.messages[0].type, stream::MessageType::Resume);
        QCOMPARE(v.messages[1].type, stream::MessageType::Resume);

        const auto kv = v.ofTopic(stream::Topic::Kv);
        for (const auto &m : kv)
            QCOMPARE(m.type, stream::MessageType::Change);
        QCOMPARE(kv[0].change.index, w1);
        QCOMPARE(keysOf(kv[0].change.upserts), QStringList{QStringLiteral("app/b")});
        QVERIFY(kv[0].change.deletes.isEmpty());
        QCOMPARE(kv[1].change.index, w2);  // other/x, outside the prefix, is not sent
        QVERIFY(kv[1].change.upserts.isEmpty());
        QCOMPARE(kv[1].change.deletes, QStringList{QStringLiteral("app/a")});
        QCOMPARE(kv[2].change.index, w3);  // the two writes of one turn, as one Change
        QCOMPARE(keysOf(kv[2].change.upserts), (QStringList{QStringLiteral("app/c"), QStringLiteral("app/d")}));
        const auto checks = v.ofTopic(stream::Topic::Checks);
        QCOMPARE(checks[0].type, stream::MessageType::Change);
        QCOMPARE(checks[0].change.index, critical);
        QCOMPARE(checks[0].change.upserts.size(), 1);
        QCOMPARE(checks[0].change.upserts[0].toObject().value(QStringLiteral("Status")).toString(), QStringLiteral("critical"));

        // Then live Changes follow, with nothing sent twice.
        const quint64 w4 = put(QStringLiteral("app/e"), "6");
        QTRY_COMPARE_WITH_TIMEOUT(v.ofTopic(stream::Topic::Kv).size(), 4, 5000);
        QCOMPARE(v.ofTopic(stream::Topic::Kv)[3].change.index, w4);
        QCOMPARE(keysOf(v.ofTopic(stream::Topic::Kv)[3].change.upserts), QStringList{QStringLiteral("app/e")});
        QCOMPARE(v.ofTopic(stream::Topic::Checks).size(), 1);
    }

    void reconnectPastTheHistoryGetsASnapshotThatSaysWhy()
    {
        api::ViewerStreamLimits limits;
        limits.history.maxEvents = 2;
        put(QStringLiteral("app/a"), "1");
        startServer(limits);
        const quint64 seen = visit(stream::Subscribe{{topic(stream::Topic::Kv, QStringLiteral("app/"))}, {}}, 1).value(stream::Topic::Kv);
        QVERIFY(!QTest::currentTestFailed());
        quint64 last = 0;
        for (int i = 0; i < 3; ++i) {  // three events, one more than the history keeps
            last = put(QStringLiteral("app/k%1").arg(i), "v");
            QTRY_COMPARE_WITH_TIMEOUT(m_stream->history().head(stream::Topic::Kv), last, 5000);
        }
        QVERIFY(m_stream->history().base(stream::Topic::Kv) > seen);

        Viewer v(m_http->port());
        QTRY_VERIFY_WITH_TIMEOUT(v.isConnected(), 5000);
        v.subscribe(stream::Subscribe{{resumeAt(stream::Topic::Kv, QStringLiteral("app/"), seen)}, {}});
        QTRY_COMPARE_WITH_TIMEOUT(v.messages.size(), 1, 5000);
        QCOMPARE(v.messages[0].type, stream::MessageType::Snapshot);
        const stream::Snapshot snap = v.messages[0].snapshot;
        QCOMPARE(snap.index, last);
        QCOMPARE(keysOf(snap.rows), (QStringList{QStringLiteral("app/a"), QStringLiteral("app/k0"), QStringLiteral("app/k1"),
                                                 QStringLiteral("app/k2")}));
        QVERIFY2(snap.reason.contains(QStringLiteral("history of kv starts at index")), qPrintable(snap.reason));
        QVERIFY(v.resumes(stream::Topic::Kv).isEmpty());

        // From where the history still reaches, the same agent resumes.
        Viewer again(m_http->port());
        QTRY_VERIFY_WITH_TIMEOUT(again.isConnected(), 5000);
        const quint64 base = m_stream->history().base(stream::Topic::Kv);
        again.subscribe(stream::Subscribe{{resumeAt(stream::Topic::Kv, QStringLiteral("app/"), base)}, {}});
        QTRY_COMPARE_WITH_TIMEOUT(again.ofTopic(stream::Topic::Kv).size(), 2, 5000);
        QCOMPARE(again.resumes(stream::Topic::Kv).size(), 1);
        QCOMPARE(again.ofTopic(stream::Topic::Kv)[0].change.index, base + 1);
        QCOMPARE(again.ofTopic(stream::Topic::Kv)[1].change.index, last);
    }

    void restartedAgentHasNoHistoryToResumeFrom()
    {
        put(QStringLiteral("app/a"), "1");
        startServer();
        const quint64 seen = visit(stream::Subscribe{{topic(stream::Topic::Kv)}, {}}, 1).value(stream::Topic::Kv);
        QVERIFY(!QTest::currentTestFailed());
        // The agent's stream starts anew (the store, like a restarted agent's, is restored); a write
        // lands before the viewer is back.
        m_http.reset();
        m_stream.reset();
        startServer();
        const quint64 w = put(QStringLiteral("app/b"), "2");
        Viewer v(m_http->port());
        QTRY_VERIFY_WITH_TIMEOUT(v.isConnected(), 5000);
        v.subscribe(stream::Subscribe{{topic(stream::Topic::Kv, {}, seen)}, {}});
        QTRY_COMPARE_WITH_TIMEOUT(v.messages.size(), 1, 5000);
        QCOMPARE(v.messages[0].type, stream::MessageType::Snapshot);
        QCOMPARE(v.messages[0].snapshot.index, w);
        QVERIFY(!v.messages[0].snapshot.reason.isEmpty());
    }

    void anotherAgentsIndexIsNotResumedEvenWhenItExistsHere()
    {
        // The viewer held kv at index `seen` of one agent process; the agent restarts with a fresh
        // data dir, another viewer starts its history early, and its indexes pass `seen`. The
        // index exists here too but names another state: the viewer must be sent a Snapshot.
        put(QStringLiteral("app/old"), "1");
        startServer();
        QString oldHistory;
        const quint64 seen = visit(stream::Subscribe{{topic(stream::Topic::Kv)}, {}}, 1, [&](Viewer &v) {
                                 QCOMPARE(v.messages[0].type, stream::MessageType::Snapshot);
                                 oldHistory = v.messages[0].snapshot.history;
                             }).value(stream::Topic::Kv);
        QVERIFY(!QTest::currentTestFailed());
        QVERIFY(!oldHistory.isEmpty());
        QCOMPARE(oldHistory, m_stream->history().identity(stream::Topic::Kv));

        m_http.reset();
        m_stream.reset();
        m_store = std::make_unique<state::StateStore>();  // the fresh data dir
        m_index = 1;
        startServer();
        put(QStringLiteral("app/new"), "1");
        visit(stream::Subscribe{{topic(stream::Topic::Kv)}, {}}, 1);  // the new history starts low
        QVERIFY(!QTest::currentTestFailed());
        while (m_index < seen + 2) {
            const quint64 w = put(QStringLiteral("app/n%1").arg(m_index), "x");
            QTRY_COMPARE_WITH_TIMEOUT(m_stream->history().head(stream::Topic::Kv), w, 5000);
        }
        QVERIFY(m_stream->history().base(stream::Topic::Kv) < seen);  // `seen` is a point of this history

        Viewer v(m_http->port());
        QTRY_VERIFY_WITH_TIMEOUT(v.isConnected(), 5000);
        v.subscribe(stream::Subscribe{{stream::TopicRequest{stream::Topic::Kv, {}, seen, oldHistory}}, {}});
        QTRY_COMPARE_WITH_TIMEOUT(v.messages.size(), 1, 5000);
        QCOMPARE(v.messages[0].type, stream::MessageType::Snapshot);
        const stream::Snapshot snap = v.messages[0].snapshot;
        QVERIFY2(snap.reason.contains(QStringLiteral("another history")), qPrintable(snap.reason));
        QVERIFY(!keysOf(snap.rows).contains(QStringLiteral("app/old")));
        QCOMPARE(snap.history, m_stream->history().identity(stream::Topic::Kv));

        // With this agent's history, the same index resumes, and the Resume names it.
        Viewer again(m_http->port());
        QTRY_VERIFY_WITH_TIMEOUT(again.isConnected(), 5000);
        again.subscribe(stream::Subscribe{{resumeAt(stream::Topic::Kv, {}, seen)}, {}});
        QTRY_COMPARE_WITH_TIMEOUT(again.resumes(stream::Topic::Kv).size(), 1, 5000);
        QCOMPARE(again.resumes(stream::Topic::Kv)[0].history, m_stream->history().identity(stream::Topic::Kv));
    }

    void aRestoredStoreStartsTheHistoryAgain()
    {
        put(QStringLiteral("app/a"), "1");
        startServer();
        QString history;
        const quint64 seen = visit(stream::Subscribe{{topic(stream::Topic::Kv)}, {}}, 1, [&](Viewer &v) {
                                 history = v.messages[0].snapshot.history;
                             }).value(stream::Topic::Kv);
        QVERIFY(!QTest::currentTestFailed());
        // Another store's snapshot, restored: same index, other rows.
        state::StateStore other;
        inTxn(other, seen, [](state::WriteTxn &t) { state::kvSet(t, state::test::kv(QStringLiteral("app/z"), "9")); });
        QString error;
        QVERIFY2(m_store->restore(other.snapshot(), &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(m_stream->history().identity(stream::Topic::Kv) != history, 5000);

        Viewer v(m_http->port());
        QTRY_VERIFY_WITH_TIMEOUT(v.isConnected(), 5000);
        v.subscribe(stream::Subscribe{{stream::TopicRequest{stream::Topic::Kv, {}, seen, history}}, {}});
        QTRY_COMPARE_WITH_TIMEOUT(v.messages.size(), 1, 5000);
        QCOMPARE(v.messages[0].type, stream::MessageType::Snapshot);
        QCOMPARE(keysOf(v.messages[0].snapshot.rows), QStringList{QStringLiteral("app/z")});
    }

    void resumeIsExactForTheSubscriptionAskedNow()
    {
        put(QStringLiteral("app/x/a"), "1");
        registerNodeWithCheck(QStringLiteral("n1"), model::status::Passing);
        startServer();
        const auto seen = visit(stream::Subscribe{{topic(stream::Topic::Kv, QStringLiteral("app/")), topic(stream::Topic::Checks)}, {}}, 2);
        QVERIFY(!QTest::currentTestFailed());
        const quint64 kvSeen = seen.value(stream::Topic::Kv), checksSeen = seen.value(stream::Topic::Checks);
        const quint64 deep = put(QStringLiteral("app/x/b"), "2");
        QTRY_COMPARE_WITH_TIMEOUT(m_stream->history().head(stream::Topic::Kv), deep, 5000);
        const quint64 shallow = put(QStringLiteral("app/y"), "3");
        QTRY_COMPARE_WITH_TIMEOUT(m_stream->history().head(stream::Topic::Kv), shallow, 5000);
        const quint64 joined = registerNodeWithCheck(QStringLiteral("n2"), model::status::Warning);
        QTRY_COMPARE_WITH_TIMEOUT(m_stream->history().head(stream::Topic::Checks), joined, 5000);

        // Back with a narrower prefix, a topic it did not have (FromIndex 0), and the same checks.
        Viewer v(m_http->port());
        QTRY_VERIFY_WITH_TIMEOUT(v.isConnected(), 5000);
        v.subscribe(stream::Subscribe{{resumeAt(stream::Topic::Kv, QStringLiteral("app/x/"), kvSeen), topic(stream::Topic::Nodes),
                                       resumeAt(stream::Topic::Checks, {}, checksSeen)},
                                      {}});
        QTRY_COMPARE_WITH_TIMEOUT(v.ofTopic(stream::Topic::Checks).size(), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(v.ofTopic(stream::Topic::Kv).size(), 1, 5000);
        QCOMPARE(v.resumes(stream::Topic::Kv).size(), 1);
        QCOMPARE(v.resumes(stream::Topic::Kv)[0].prefix, QStringLiteral("app/x/"));
        const auto kv = v.ofTopic(stream::Topic::Kv)[0];
        QCOMPARE(kv.type, stream::MessageType::Change);
        QCOMPARE(kv.change.prefix, QStringLiteral("app/x/"));
        QCOMPARE(kv.change.index, deep);  // app/y is outside the prefix asked now
        QCOMPARE(keysOf(kv.change.upserts), QStringList{QStringLiteral("app/x/b")});

        const auto nodes = v.ofTopic(stream::Topic::Nodes);
        QCOMPARE(nodes.size(), 1);
        QCOMPARE(nodes[0].type, stream::MessageType::Snapshot);
        QCOMPARE(nodes[0].snapshot.rows.size(), 2);
        QVERIFY(nodes[0].snapshot.reason.isEmpty());

        QCOMPARE(v.resumes(stream::Topic::Checks).size(), 1);
        const auto checks = v.ofTopic(stream::Topic::Checks)[0];
        QCOMPARE(checks.change.index, joined);
        QCOMPARE(checks.change.upserts.size(), 1);
        QCOMPARE(checks.change.upserts[0].toObject().value(QStringLiteral("Node")).toString(), QStringLiteral("n2"));
    }

    void slowReaderSkipsWhatTheHistoryNoLongerHoldsAndEndsOnTheLatestState()
    {
        api::ViewerStreamLimits limits;
        limits.maxUnsentBytes = 64 * 1024;
        startServer(limits);
        put(QStringLiteral("big"), "start");
        RawClient c;
        QVERIFY(c.connectAndUpgrade(m_http->port()));
        c.sendText(stream::encode(stream::Subscribe{{topic(stream::Topic::Kv, QStringLiteral("big"))}, {}}));
        QTRY_VERIFY_WITH_TIMEOUT((c.pump(), c.texts.size() == 1), 5000);

        // Stop reading: Qt keeps at most this much, the kernel buffers fill, the agent's queue grows.
        c.sock.setReadBufferSize(1024);
        const int writes = 400;
        const QByteArray blob(64 * 1024, 'x');
        for (int i = 0; i < writes; ++i) {
            put(QStringLiteral("big"), blob + QByteArray::number(i));
            QCoreApplication::processEvents();  // let the agent flush between writes
        }
        const quint64 last = put(QStringLiteral("big"), "final");

        c.sock.setReadBufferSize(0);
        // The last message carries the final value: a Change, or a Snapshot when the viewer fell
        // further behind than the history reaches.
        auto lastValue = [&]() -> QByteArray {
            if (c.texts.isEmpty())
                return {};
            const auto m = stream::decode(c.texts.last(), nullptr);
            if (!m)
                return {};
            QJsonArray rows;
            if (m->type == stream::MessageType::Change)
                rows = m->change.upserts;
            else if (m->type == stream::MessageType::Snapshot)
                rows = m->snapshot.rows;
            if (rows.isEmpty())
                return {};
            return QByteArray::fromBase64(rows[0].toObject().value(QStringLiteral("Value")).toString().toLatin1());
        };
        QTRY_VERIFY_WITH_TIMEOUT((c.pump(), lastValue() == "final"), 20000);
        const auto m = stream::decode(c.texts.last(), nullptr);
        QCOMPARE(m->type == stream::MessageType::Change ? m->change.index : m->snapshot.index, last);
        int snapshots = 0;
        for (const QByteArray &t : std::as_const(c.texts))
            snapshots += stream::decode(t, nullptr)->type == stream::MessageType::Snapshot ? 1 : 0;
        qInfo("%d writes reached the slow viewer as %lld messages (%d snapshots, the first included)", writes + 1,
              qint64(c.texts.size() - 1), snapshots);
        QVERIFY2(c.texts.size() - 1 < writes / 2, "intermediate states must be skipped");
        QVERIFY(!c.closed);
    }

    void viewerStuckTooLongIsClosedWithAReason()
    {
        api::ViewerStreamLimits limits;
        limits.maxUnsentBytes = 16 * 1024;
        limits.slowClientTimeoutMs = 200;
        startServer(limits);
        RawClient c;
        QVERIFY(c.connectAndUpgrade(m_http->port()));
        c.sendText(stream::encode(stream::Subscribe{{topic(stream::Topic::Kv)}, {}}));
        QTRY_VERIFY_WITH_TIMEOUT((c.pump(), c.texts.size() == 1), 5000);
        QCOMPARE(m_stream->clientCount(), 1);
        c.sock.setReadBufferSize(1024);
        const QByteArray blob(256 * 1024, 'y');
        for (int i = 0; i < 100 && m_stream->clientCount() == 1; ++i) {
            put(QStringLiteral("k%1").arg(i), blob);
            QCoreApplication::processEvents();
        }
        QTRY_COMPARE_WITH_TIMEOUT(m_stream->clientCount(), 0, 15000);
    }

    void subscribesFromAViewerThatDoesNotReadAreHeldToTheUnsentLimit()
    {
        // 2,000 keys of 1 KiB: each kv Snapshot is about 2.7 MB. A viewer that never reads and
        // keeps subscribing must not make the agent queue Snapshot after Snapshot: past the unsent
        // limit the answers wait, and the viewer is closed as too slow.
        const QByteArray value(1024, 'v');
        for (int i = 0; i < 2000; ++i)
            put(QStringLiteral("k/%1").arg(i, 4, 10, QLatin1Char('0')), value);
        api::ViewerStreamLimits limits;
        limits.slowClientTimeoutMs = 300;
        startServer(limits);
        RawClient c;
        QVERIFY(c.connectAndUpgrade(m_http->port()));
        c.sock.setReadBufferSize(1024);
        for (int i = 0; i < 20 && m_stream->clientCount() == 1; ++i) {
            c.sendText(stream::encode(stream::Subscribe{{topic(stream::Topic::Kv)}, {}}));
            QTest::qWait(50);
        }
        QTRY_COMPARE_WITH_TIMEOUT(m_stream->clientCount(), 0, 15000);
    }

    void oversizedMessagesCloseWith1009_data()
    {
        QTest::addColumn<int>("frames");  // the message split in this many frames
        QTest::newRow("one frame") << 1;
        QTest::newRow("continuation frames") << 17;
    }
    void oversizedMessagesCloseWith1009()
    {
        // The client sends nothing past the point where the agent refuses, so that the agent has
        // read everything when it closes (unread bytes would make its close a reset, which may
        // discard the close frame before the client reads it).
        QFETCH(int, frames);
        startServer();
        RawClient c;
        QVERIFY(c.connectAndUpgrade(m_http->port()));
        if (frames == 1) {
            // A frame that announces 300 KiB: refused from its header alone.
            c.sendFrame(1, true, QByteArray(300 * 1024, ' '), 1024);
        } else {
            // 17 frames of 4 KiB: the last one takes the message past 64 KiB.
            for (int i = 0; i < frames; ++i)
                c.sendFrame(i == 0 ? 1 : 0, i == frames - 1, QByteArray(4096, ' '));
        }
        QTRY_VERIFY_WITH_TIMEOUT((c.pump(), c.closed), 10000);
        QCOMPARE(c.closeCode, 1009);
        QTRY_COMPARE_WITH_TIMEOUT(m_stream->clientCount(), 0, 10000);
    }

    void aFrameLargerThanTheHttpReadBufferIsReadWhole()
    {
        // The HTTP server reads at most 256 KiB ahead; a stream socket handed over must not keep
        // that cap, or a larger frame (allowed here) is never read whole and the connection stalls.
        api::ViewerStreamLimits limits;
        limits.maxIncomingMessageBytes = 1024 * 1024;
        startServer(limits);
        RawClient c;
        QVERIFY(c.connectAndUpgrade(m_http->port()));
        const QString token(300 * 1024, QLatin1Char('t'));
        c.sendText(stream::encode(stream::Subscribe{{topic(stream::Topic::Nodes)}, token}));
        QTRY_VERIFY_WITH_TIMEOUT((c.pump(), c.texts.size() == 1), 10000);
        QCOMPARE(stream::decode(c.texts[0], nullptr)->type, stream::MessageType::Snapshot);
    }

    void aTopicListedTwiceIsRefused()
    {
        startServer();
        Viewer v(m_http->port());
        QTRY_VERIFY_WITH_TIMEOUT(v.isConnected(), 5000);
        v.ws.sendTextMessage(QStringLiteral(R"({"Type":"Subscribe","Topics":[{"Topic":"kv"},{"Topic":"kv","Prefix":"a"}]})"));
        QTRY_COMPARE_WITH_TIMEOUT(v.messages.size(), 1, 5000);
        QCOMPARE(v.messages[0].type, stream::MessageType::Error);
        QCOMPARE(v.messages[0].error.reason, QStringLiteral("topic 'kv' is listed more than once"));
    }

    void malformedSubscribeGetsAnError()
    {
        startServer();
        Viewer v(m_http->port());
        QTRY_VERIFY_WITH_TIMEOUT(v.ws.state() == QAbstractSocket::ConnectedState, 5000);
        v.ws.sendTextMessage(QStringLiteral("{\"Type\":\"Subscribe\",\"Topics\":[{\"Topic\":\"weather\"}]}"));
        QTRY_COMPARE_WITH_TIMEOUT(v.messages.size(), 1, 5000);
        QCOMPARE(v.messages[0].type, stream::MessageType::Error);
        QCOMPARE(v.messages[0].error.reason, QStringLiteral("unknown topic 'weather'"));
    }
};

QTEST_GUILESS_MAIN(TestViewerStream)
#include "tst_viewer_stream.moc"
