#pragma once
// HTTP/1.1 request and response values passed between http_server and the API routes.
// Handlers see only these, never a socket (qBittorrent http/irequesthandler.h).

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace conclave::net {

struct HttpRequest {
    QByteArray method;        // "GET", "PUT", … as sent (upper case expected)
    QByteArray target;        // raw request-target, e.g. "/v1/kv/a%2Fb?recurse"
    QString path;             // percent-decoded path, e.g. "/v1/kv/a/b"
    QList<QPair<QString, QString>> query;  // decoded, in order; "?recurse" → ("recurse", "")
    QList<QPair<QByteArray, QByteArray>> headers;  // names lower-cased
    QByteArray body;
    int versionMinor = 1;     // HTTP/1.x
    bool keepAlive = true;
    QString peerAddress;      // filled by the server

    bool hasQuery(const QString &name) const;
    QString queryValue(const QString &name) const;            // first value, "" if absent
    QStringList queryValues(const QString &name) const;       // every value, for repeatable params
    QByteArray header(const QByteArray &lowerName) const;     // first value, "" if absent
};

struct HttpResponse {
    int status = 200;
    QList<QPair<QByteArray, QByteArray>> headers;  // Content-Length/Connection are added by the server
    QByteArray body;

    void setHeader(const QByteArray &name, const QByteArray &value);
    static HttpResponse text(int status, const QByteArray &body);   // text/plain; charset=utf-8
    static HttpResponse json(int status, const QByteArray &body);   // application/json
};

const char *reasonPhrase(int status);

}  // namespace conclave::net
