#include "cli/http_client.h"

#include <QBuffer>
#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

namespace conclave::cli {

QUrl agentUrl(const QString &flagValue, const QString &envValue)
{
    QString text = !flagValue.isEmpty() ? flagValue
                 : !envValue.isEmpty()  ? envValue
                                        : QStringLiteral("http://127.0.0.1:8500");
    if (!text.contains(QStringLiteral("://")))
        text.prepend(QStringLiteral("http://"));
    return QUrl(text);
}

AgentClient::AgentClient(QUrl base, QString token, int timeoutMs)
    : m_base(std::move(base)), m_token(std::move(token)), m_timeoutMs(timeoutMs)
{
}

QString AgentClient::baseText() const
{
    QString text = m_base.toString(QUrl::RemovePath | QUrl::RemoveQuery);
    while (text.endsWith(u'/'))
        text.chop(1);
    return text;
}

HttpResult AgentClient::get(const QString &path, const QUrlQuery &query)
{
    return send("GET", path, query, {});
}

HttpResult AgentClient::put(const QString &path, const QUrlQuery &query, const QByteArray &body)
{
    return send("PUT", path, query, body);
}

HttpResult AgentClient::del(const QString &path, const QUrlQuery &query)
{
    return send("DELETE", path, query, {});
}

HttpResult AgentClient::send(const QByteArray &verb, const QString &path, const QUrlQuery &query,
                             const QByteArray &body)
{
    QUrl url = m_base;
    // Decoded mode: a key's '%', '?', '#' are sent escaped, '/' stays a separator.
    url.setPath(path, QUrl::DecodedMode);
    if (!query.isEmpty())
        url.setQuery(query);
    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    if (!m_token.isEmpty())
        request.setRawHeader("X-Consul-Token", m_token.toUtf8());
    if (verb == "PUT")
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/octet-stream"));

    QNetworkAccessManager manager;
    manager.setProxy(QNetworkProxy::NoProxy);  // the agent is local; ignore http_proxy
    QBuffer payload;
    payload.setData(body);
    payload.open(QIODevice::ReadOnly);
    QNetworkReply *reply = manager.sendCustomRequest(request, verb, &payload);

    QEventLoop loop;
    bool timedOut = false;
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        reply->abort();
    });
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    timer.start(m_timeoutMs);
    if (!reply->isFinished())
        loop.exec();
    timer.stop();

    HttpResult result;
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (status.isValid() && !timedOut) {
        result.reached = true;
        result.status = status.toInt();
        result.body = reply->readAll();
    } else if (timedOut) {
        result.error = QStringLiteral("timed out after %1 ms").arg(m_timeoutMs);
    } else if (reply->error() == QNetworkReply::ConnectionRefusedError) {
        result.error = QStringLiteral("connection refused");
    } else if (reply->error() == QNetworkReply::HostNotFoundError) {
        result.error = QStringLiteral("host not found");
    } else {
        result.error = reply->errorString();
    }
    delete reply;
    return result;
}

}  // namespace conclave::cli
