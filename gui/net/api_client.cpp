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
    if (value.size() > kMaxValueBytes) {
        WriteResult w;
        w.error = tr("the value is %1 KiB; the agent accepts at most %2 KiB").arg(value.size() / 1024).arg(kMaxValueBytes / 1024);
        // Answer on the next turn, like every other outcome.
        QMetaObject::invokeMethod(this, [w, done = std::move(done)] { done(w); }, Qt::QueuedConnection);
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
