#include "gui/net/api_client.h"

#include "shared/json/codec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrl>
#include <QUrlQuery>

namespace conclave::gui {

namespace {

/// True when a path segment of `key` is "." or "..": QUrl and QNetworkAccessManager resolve such
/// segments (a percent-encoded dot is decoded first), so the agent would get another key.
bool hasDotSegment(const QString &key)
{
    for (const QStringView segment : QStringView(key).split(QLatin1Char('/')))
        if (segment == u"." || segment == u"..")
            return true;
    return false;
}

}  // namespace

QString ApiClient::keyRefusal(const QString &key)
{
    if (hasDotSegment(key))
        return tr("the key %1 has a path segment \".\" or \"..\", which HTTP rewrites into another key; "
                  "it cannot be read or written from the viewer").arg(key);
    return {};
}

void ApiClient::answerLater(std::function<void()> answer)
{
    // Answer on the next turn, like every other outcome.
    QMetaObject::invokeMethod(this, std::move(answer), Qt::QueuedConnection);
}

ApiClient::ApiClient(QObject *parent) : QObject(parent), m_nam(new QNetworkAccessManager(this))
{
    // Agents are reached directly, whatever proxy the desktop session configures.
    m_nam->setProxy(QNetworkProxy::NoProxy);
}

void ApiClient::setAgent(const QString &address, const QString &token)
{
    m_address = address.trimmed();
    m_token = token;
}

QNetworkReply *ApiClient::send(const QByteArray &verb, const QString &path, const QString &query,
                               const QByteArray &body)
{
    QUrl url(QStringLiteral("http://%1").arg(m_address));
    url.setPath(path);
    if (!query.isEmpty())
        url.setQuery(query);
    QNetworkRequest req(url);
    if (!m_token.isEmpty())
        req.setRawHeader("X-Consul-Token", m_token.toUtf8());
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/octet-stream"));
    req.setTransferTimeout(15000);
    return m_nam->sendCustomRequest(req, verb, body);
}

ApiClient::Result ApiClient::resultOf(QNetworkReply *reply)
{
    Result r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (r.status == 0) {
        r.error = tr("the agent could not be reached: %1").arg(reply->errorString());
        return r;
    }
    r.ok = r.status >= 200 && r.status < 300;
    if (!r.ok) {
        const QString body = QString::fromUtf8(reply->peek(4096)).trimmed();
        r.error = tr("the agent answered %1: %2").arg(r.status).arg(body.isEmpty() ? reply->errorString() : body);
    }
    return r;
}

void ApiClient::kvGet(const QString &key, std::function<void(const GetResult &)> done)
{
    if (const QString refusal = keyRefusal(key); !refusal.isEmpty()) {
        GetResult g;
        g.error = refusal;
        answerLater([g, done = std::move(done)] { done(g); });
        return;
    }
    QNetworkReply *reply = send("GET", QStringLiteral("/v1/kv/") + key, {}, {});
    connect(reply, &QNetworkReply::finished, this, [reply, done = std::move(done)] {
        reply->deleteLater();
        GetResult g;
        static_cast<Result &>(g) = resultOf(reply);
        if (g.status == 404) {
            g.ok = true;
            g.error.clear();
        } else if (g.ok) {
            const QJsonArray rows = QJsonDocument::fromJson(reply->readAll()).array();
            if (!rows.isEmpty())
                g.entry = json::kvEntryFromJson(rows.first().toObject());
        }
        done(g);
    });
}

void ApiClient::kvPut(const QString &key, const QByteArray &value, std::optional<quint64> cas,
                      std::function<void(const WriteResult &)> done)
{
    WriteResult refused;
    if (value.size() > kMaxValueBytes) {
        if (value.size() / 1024 <= kMaxValueBytes / 1024)  // would read "512 KiB; at most 512 KiB"
            refused.error = tr("the value is %L1 bytes; the agent accepts at most %L2 bytes (%3 KiB)")
                                .arg(value.size()).arg(kMaxValueBytes).arg(kMaxValueBytes / 1024);
        else
            refused.error = tr("the value is %1 KiB; the agent accepts at most %2 KiB").arg(value.size() / 1024).arg(kMaxValueBytes / 1024);
    } else {
        refused.error = keyRefusal(key);
    }
    if (!refused.error.isEmpty()) {
        answerLater([refused, done = std::move(done)] { done(refused); });
        return;
    }
    const QString query = cas ? QStringLiteral("cas=%1").arg(*cas) : QString();
    QNetworkReply *reply = send("PUT", QStringLiteral("/v1/kv/") + key, query, value);
    connect(reply, &QNetworkReply::finished, this, [reply, done = std::move(done)] {
        reply->deleteLater();
        WriteResult w;
        static_cast<Result &>(w) = resultOf(reply);
        if (w.ok)
            w.applied = reply->readAll().trimmed() == "true";
        done(w);
    });
}

void ApiClient::kvDelete(const QString &key, bool recurse, std::optional<quint64> cas,
                         std::function<void(const WriteResult &)> done)
{
    if (const QString refusal = keyRefusal(key); !refusal.isEmpty()) {
        WriteResult w;
        w.error = refusal;
        answerLater([w, done = std::move(done)] { done(w); });
        return;
    }
    QUrlQuery q;
    if (recurse)
        q.addQueryItem(QStringLiteral("recurse"), QString());
    if (cas)
        q.addQueryItem(QStringLiteral("cas"), QString::number(*cas));
    QNetworkReply *reply = send("DELETE", QStringLiteral("/v1/kv/") + key, q.toString(), {});
    connect(reply, &QNetworkReply::finished, this, [reply, done = std::move(done)] {
        reply->deleteLater();
        WriteResult w;
        static_cast<Result &>(w) = resultOf(reply);
        if (w.ok)
            w.applied = reply->readAll().trimmed() == "true";
        done(w);
    });
}

}  // namespace conclave::gui
