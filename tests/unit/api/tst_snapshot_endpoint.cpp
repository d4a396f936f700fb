// /v1/snapshot over loopback: a real HttpServer and HttpApi over a StateStore, its Fsm and a
// single-voter log in a temporary dir. Save answers an archive of the whole state with
// X-Consul-Index; restore goes through the log and brings back exactly the saved state, wakes
// blocking queries even though indexes went backwards; every damaged archive is a 400 with a
// sentence (413 over the limit) that leaves the state untouched. Deadlines polled, never slept.
#include "api/http_api.h"
#include "core/state/snapshot_archive.h"
#include "net/http_server.h"
#include "server/fsm_state_machine.h"
#include "server/single_node_log.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace conclave;

namespace {

struct Reply {
    bool done = false;
    int status = 0;
    QByteArray body;
    QByteArray header(const QByteArray &name) const { return headers.value(name.toLower()); }
    QMap<QByteArray, QByteArray> headers;  // lower-cased names
};

}  // namespace

class TestSnapshotEndpoint : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void saveAnswersAnArchiveOfTheWholeState();
    void restoreBringsBackExactlyTheSavedState();
    void restoreWakesBlockingQueriesThoughIndexesGoBack();
    void damagedArchiveIsRefusedAndChangesNothing_data();
    void damagedArchiveIsRefusedAndChangesNothing();
    void archiveOverTheLimitIs413();
    void withoutAnFsmItIs500();

private:
    /// Starts a request; the returned Reply fills in when it finishes.
    std::shared_ptr<Reply> start(const QByteArray &method, const QString &path, const QByteArray &body = {});
    /// Sends a request and waits for its answer.
    Reply call(const QByteArray &method, const QString &path, const QByteArray &body = {});
    void write(const QString &key, const QByteArray &value);
    /// The status line answered to a PUT head announcing `contentLength` bytes (none are sent).
    QByteArray statusLineFor(const char *path, qint64 contentLength);
    /// Status line and body of a PUT of `body`, written on a plain socket (QNetworkAccessManager
    /// uploads tens of MiB slowly when it shares the event loop with the server).
    QByteArray rawPut(const char *path, const QByteArray &body);
    /// What the API shows of the state: the KV listing and the catalog, with their indexes.
    QByteArray visibleState();

    QTemporaryDir m_dir;
    std::unique_ptr<state::StateStore> m_store;
    std::unique_ptr<state::Fsm> m_fsm;
    std::unique_ptr<server::FsmStateMachine> m_machine;
    std::unique_ptr<server::SingleNodeLog> m_log;
    std::unique_ptr<api::HttpApi> m_api;
    std::unique_ptr<net::HttpServer> m_http;
    QNetworkAccessManager m_nam;
};

void TestSnapshotEndpoint::init()
{
    QVERIFY(m_dir.isValid());
    const QString dataDir = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + QLatin1Char('-')
                                           + QString::fromLatin1(QTest::currentDataTag()));
    m_store = std::make_unique<state::StateStore>();
    m_fsm = std::make_unique<state::Fsm>(*m_store);
    m_machine = std::make_unique<server::FsmStateMachine>(*m_fsm);
    server::SingleNodeLog::Config lc;
    lc.snapshotIntervalMs = 0;
    lc.advertiseAddress = QStringLiteral("127.0.0.1:8300");
    m_log = std::make_unique<server::SingleNodeLog>(*m_machine, lc);
    QString error;
    QVERIFY2(m_log->open(dataDir, &error), qPrintable(error));
    api::ApiContext ctx;
    ctx.store = m_store.get();
    ctx.fsm = m_fsm.get();
    ctx.log = m_log.get();
    ctx.random = [](quint64) { return quint64(0); };
    m_api = std::make_unique<api::HttpApi>(ctx);
    net::HttpParserLimits limits;
    limits.bodyLimit = [d = limits.maxBodyBytes](const net::HttpRequest &head) { return api::HttpApi::bodyLimit(head, d); };
    api::HttpApi *apiPtr = m_api.get();
    m_http = std::make_unique<net::HttpServer>(
        [apiPtr](const net::HttpRequest &req, net::HttpResponder r) { apiPtr->handle(req, std::move(r)); }, limits);
    QVERIFY2(m_http->listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
    m_nam.setProxy(QNetworkProxy::NoProxy);
}

void TestSnapshotEndpoint::cleanup()
{
    m_http.reset();
    m_api.reset();
    if (m_log)
        m_log->shutdown();
    m_log.reset();
    m_machine.reset();
    m_fsm.reset();
    m_store.reset();
}

std::shared_ptr<Reply> TestSnapshotEndpoint::start(const QByteArray &method, const QString &path, const QByteArray &body)
{
    QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_http->port()).arg(path)));
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/octet-stream"));
    auto out = std::make_shared<Reply>();
    QNetworkReply *r = m_nam.sendCustomRequest(req, method, body);
    connect(r, &QNetworkReply::finished, this, [r, out] {
        out->status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        out->body = r->readAll();
        for (const auto &[name, value] : r->rawHeaderPairs())
            out->headers.insert(name.toLower(), value);
        out->done = true;
        r->deleteLater();
    });
    return out;
}

Reply TestSnapshotEndpoint::call(const QByteArray &method, const QString &path, const QByteArray &body)
{
    auto r = start(method, path, body);
    if (!QTest::qWaitFor([&] { return r->done; }, 30000))
        qWarning("%s %s did not answer in time", method.constData(), qPrintable(path));
    return *r;
}

void TestSnapshotEndpoint::write(const QString &key, const QByteArray &value)
{
    const Reply r = call("PUT", QStringLiteral("/v1/kv/") + key, value);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("true"));
}

QByteArray TestSnapshotEndpoint::statusLineFor(const char *path, qint64 contentLength)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_http->port());
    if (!socket.waitForConnected(5000))
        return "not connected";
    socket.write(QByteArray("PUT ") + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + QByteArray::number(contentLength)
                 + "\r\n\r\n");
    QByteArray answer;
    const bool answered = QTest::qWaitFor([&] {
        answer += socket.readAll();
        return answer.contains("\r\n") || socket.state() != QAbstractSocket::ConnectedState;
    }, 10000);
    if (!answered)
        return "no answer";
    answer += socket.readAll();
    return answer.left(answer.indexOf("\r\n"));
}

QByteArray TestSnapshotEndpoint::rawPut(const char *path, const QByteArray &body)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_http->port());
    if (!socket.waitForConnected(5000))
        return "not connected";
    socket.write(QByteArray("PUT ") + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                 + QByteArray::number(body.size()) + "\r\n\r\n");
    socket.write(body);
    QByteArray answer;
    const bool answered = QTest::qWaitFor([&] {
        answer += socket.readAll();
        return socket.state() != QAbstractSocket::ConnectedState;
    }, 60000);
    answer += socket.readAll();
    if (!answered)
        return "no answer: " + answer;
    const qsizetype headEnd = answer.indexOf("\r\n\r\n");
    return answer.left(answer.indexOf("\r\n")) + '\n' + (headEnd < 0 ? QByteArray() : answer.mid(headEnd + 4));
}

QByteArray TestSnapshotEndpoint::visibleState()
{
    QByteArray out;
    for (const char *path : {"/v1/kv/?recurse", "/v1/catalog/nodes", "/v1/catalog/services",
                             "/v1/health/state/any", "/v1/catalog/service/web", "/v1/kv/app/a"}) {
        const Reply r = call("GET", QString::fromLatin1(path));
        out += QByteArray(path) + ' ' + QByteArray::number(r.status) + " index " + r.header("X-Consul-Index") + '\n'
             + r.body + '\n';
    }
    return out;
}

namespace {

QByteArray registration(const QString &node, const QString &service)
{
    return QJsonDocument::fromJson(QStringLiteral(R"({"Node":"%1","Address":"10.0.0.9","Service":{"Service":"%2","Port":80},
        "Check":{"CheckID":"c-%2","Name":"c","Status":"passing","ServiceID":"%2"}})")
                                       .arg(node, service)
                                       .toUtf8())
        .toJson(QJsonDocument::Compact);
}

}  // namespace

void TestSnapshotEndpoint::saveAnswersAnArchiveOfTheWholeState()
{
    write(QStringLiteral("app/a"), "1");
    write(QStringLiteral("app/b"), "2");
    QCOMPARE(call("PUT", QStringLiteral("/v1/catalog/register"), registration(QStringLiteral("ext"), QStringLiteral("web"))).status, 200);

    for (const QString &path : {QStringLiteral("/v1/snapshot"), QStringLiteral("/v1/snapshot?stale"),
                                QStringLiteral("/v1/snapshot?consistent")}) {
        const Reply r = call("GET", path);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Content-Type"), QByteArray("application/octet-stream"));
        QCOMPARE(r.header("X-Consul-Index"), QByteArray::number(m_fsm->lastApplied()));
        QVERIFY(!r.header("X-Consul-KnownLeader").isEmpty());
        QString error;
        const auto archive = state::decodeArchive(r.body, &error);
        QVERIFY2(archive, qPrintable(error));
        QCOMPARE(archive->meta.index, m_fsm->lastApplied());
        QCOMPARE(archive->meta.term, m_log->currentTerm());
        QVERIFY(archive->meta.term >= 1);
        QCOMPARE(archive->meta.datacenter, QStringLiteral("dc1"));
        QCOMPARE(archive->meta.conclaveVersion, QStringLiteral(CONCLAVE_VERSION));
        QCOMPARE(archive->meta.id, state::archiveId(archive->meta.term, archive->meta.index, archive->meta.createdMs));
        QVERIFY(qAbs(archive->meta.createdMs - QDateTime::currentMSecsSinceEpoch()) < 60000);
        QCOMPARE(archive->payload, m_fsm->snapshot());
        const auto summary = state::summarizePayload(archive->payload, &error);
        QVERIFY2(summary, qPrintable(error));
        QCOMPARE(summary->kvEntries, 2);
        QCOMPARE(summary->nodes, 1);
        QCOMPARE(summary->services, 1);
        QCOMPARE(summary->checks, 1);
    }
}

void TestSnapshotEndpoint::restoreBringsBackExactlyTheSavedState()
{
    write(QStringLiteral("app/a"), "1");
    write(QStringLiteral("app/gone"), "x");
    QCOMPARE(call("DELETE", QStringLiteral("/v1/kv/app/gone")).status, 200);  // a tombstone in the archive
    QCOMPARE(call("PUT", QStringLiteral("/v1/catalog/register"), registration(QStringLiteral("ext"), QStringLiteral("web"))).status, 200);
    const QByteArray saved = visibleState();
    const Reply archive = call("GET", QStringLiteral("/v1/snapshot"));
    QCOMPARE(archive.status, 200);

    // Everything changes afterwards: values, new keys, a deleted key, a new node, a removed one.
    write(QStringLiteral("app/a"), "changed");
    write(QStringLiteral("app/new"), "n");
    QCOMPARE(call("DELETE", QStringLiteral("/v1/kv/app/a")).status, 200);
    QCOMPARE(call("PUT", QStringLiteral("/v1/catalog/register"), registration(QStringLiteral("other"), QStringLiteral("db"))).status, 200);
    QCOMPARE(call("PUT", QStringLiteral("/v1/catalog/deregister"), QByteArray(R"({"Node":"ext"})")).status, 200);
    QVERIFY(visibleState() != saved);
    const quint64 before = m_fsm->lastApplied();

    const Reply r = call("PUT", QStringLiteral("/v1/snapshot"), archive.body);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray());
    // Rows and indexes are the archive's (X-Consul-Index went back), the log moved on by one entry.
    QCOMPARE(visibleState(), saved);
    QCOMPARE(m_fsm->lastApplied(), before + 1);
    QCOMPARE(m_log->appliedIndex(), before + 1);
    QCOMPARE(m_store->lastIndex(), before + 1);
    // Writes carry on above the restore entry.
    write(QStringLiteral("app/after"), "x");
    QCOMPARE(call("GET", QStringLiteral("/v1/kv/app/after")).header("X-Consul-Index"), QByteArray::number(before + 2));
}

void TestSnapshotEndpoint::restoreWakesBlockingQueriesThoughIndexesGoBack()
{
    write(QStringLiteral("app/a"), "1");
    const QByteArray archive = call("GET", QStringLiteral("/v1/snapshot")).body;
    const QByteArray savedIndex = call("GET", QStringLiteral("/v1/kv/app/a")).header("X-Consul-Index");
    write(QStringLiteral("app/a"), "2");
    write(QStringLiteral("app/a"), "3");
    const QByteArray index = call("GET", QStringLiteral("/v1/kv/app/a")).header("X-Consul-Index");
    QVERIFY(index.toULongLong() > savedIndex.toULongLong());

    auto keyQuery = start("GET", QStringLiteral("/v1/kv/app/a?index=%1&wait=60s").arg(QString::fromLatin1(index)));
    auto listQuery = start("GET", QStringLiteral("/v1/catalog/nodes?index=%1&wait=60s").arg(QString::fromLatin1(index)));
    QTRY_COMPARE_WITH_TIMEOUT(m_api->parkedQueries(), 2, 10000);
    QCOMPARE(call("PUT", QStringLiteral("/v1/snapshot"), archive).status, 200);
    // Both answer long before their 60 s wait, with the restored (lower) index: the client resets.
    QTRY_VERIFY_WITH_TIMEOUT(keyQuery->done && listQuery->done, 10000);
    QCOMPARE(keyQuery->status, 200);
    QCOMPARE(keyQuery->header("X-Consul-Index"), savedIndex);
    QVERIFY(keyQuery->body.contains("\"MQ==\""));  // base64 of "1"
    QCOMPARE(listQuery->status, 200);
    QVERIFY(listQuery->header("X-Consul-Index").toULongLong() < index.toULongLong());
    QCOMPARE(m_api->parkedQueries(), 0);
}

void TestSnapshotEndpoint::damagedArchiveIsRefusedAndChangesNothing_data()
{
    QTest::addColumn<int>("damage");
    QTest::addColumn<QString>("sentence");
    // 0 empty body, 1 one byte flipped, 2 truncated, 3 wrong magic, 4 payload that does not decode,
    // 5 a data dir's snapshot file, 6 trailing bytes
    QTest::newRow("empty body") << 0 << "Invalid snapshot archive: the archive is empty; nothing was restored";
    QTest::newRow("one byte flipped") << 1 << "checksum does not match";
    QTest::newRow("truncated") << 2 << "the archive is truncated";
    QTest::newRow("wrong magic") << 3 << "not a Conclave snapshot archive";
    QTest::newRow("payload does not decode") << 4 << "the archive's state does not decode";
    QTest::newRow("data dir snapshot file") << 5 << "snapshot file of an agent's data dir";
    QTest::newRow("trailing bytes") << 6 << "follow its checksum";
}

void TestSnapshotEndpoint::damagedArchiveIsRefusedAndChangesNothing()
{
    QFETCH(int, damage);
    QFETCH(QString, sentence);
    write(QStringLiteral("app/a"), "1");
    const QByteArray good = call("GET", QStringLiteral("/v1/snapshot")).body;
    write(QStringLiteral("app/a"), "2");
    QByteArray body;
    switch (damage) {
    case 0: break;
    case 1: body = good; body[body.size() / 2] = char(body[body.size() / 2] ^ 0x20); break;
    case 2: body = good.left(good.size() - 100); break;
    case 3: body = "PK" + good.mid(2); break;
    case 4: {
        state::ArchiveMeta meta = state::decodeArchive(good, nullptr)->meta;
        body = state::encodeArchive(meta, QByteArray("\xa1\x00\x01", 3));  // {0: 1}: a version, no state
        break;
    }
    case 5: body = QByteArray("CNCLSNAP\x00\x00\x00\x01", 12) + good.mid(12); break;
    case 6: body = good + "\n"; break;
    }
    const QByteArray fsmBefore = m_fsm->snapshot();
    const QByteArray shown = visibleState();

    const Reply r = call("PUT", QStringLiteral("/v1/snapshot"), body);
    QCOMPARE(r.status, 400);
    QVERIFY2(r.body.startsWith("Invalid snapshot archive: ") && r.body.contains(sentence.toUtf8())
                 && r.body.trimmed().endsWith("nothing was restored"),
             r.body.constData());
    // Nothing was proposed: same log position, same state.
    QCOMPARE(m_fsm->snapshot(), fsmBefore);
    QCOMPARE(visibleState(), shown);
}

void TestSnapshotEndpoint::archiveOverTheLimitIs413()
{
    write(QStringLiteral("app/a"), "1");
    const QByteArray fsmBefore = m_fsm->snapshot();
    // One byte over reaches the route, which names the limit.
    const QByteArray r = rawPut("/v1/snapshot", QByteArray(state::kMaxSnapshotRestoreBytes + 1, 'x'));
    QVERIFY2(r.startsWith("HTTP/1.1 413 "), r.left(200).constData());
    QVERIFY2(r.contains("a restore takes at most 50331648 bytes (48.0 MiB)"), r.left(400).constData());
    // Far over: the parser refuses from the Content-Length alone, before any body arrives.
    QCOMPARE(statusLineFor("/v1/snapshot", 1000000000), QByteArray("HTTP/1.1 413 Request Entity Too Large"));
    // Other routes keep the ordinary limit.
    QCOMPARE(statusLineFor("/v1/catalog/register", 9 * 1024 * 1024), QByteArray("HTTP/1.1 413 Request Entity Too Large"));
    QCOMPARE(m_fsm->snapshot(), fsmBefore);
}

void TestSnapshotEndpoint::withoutAnFsmItIs500()
{
    api::ApiContext ctx;
    ctx.store = m_store.get();
    ctx.log = m_log.get();
    api::HttpApi api(ctx);
    net::HttpServer http([&api](const net::HttpRequest &req, net::HttpResponder r) { api.handle(req, std::move(r)); });
    QString error;
    QVERIFY2(http.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
    QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1/v1/snapshot").arg(http.port())));
    QNetworkReply *r = m_nam.get(req);
    QTRY_VERIFY_WITH_TIMEOUT(r->isFinished(), 10000);
    QCOMPARE(r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 500);
    QCOMPARE(r->readAll(), QByteArray("Snapshots are only available on servers"));
    delete r;
}

QTEST_GUILESS_MAIN(TestSnapshotEndpoint)
#include "tst_snapshot_endpoint.moc"
