#pragma once
// Synchronous HTTP calls from the CLI to an agent. The CLI is a short-lived process of its own,
// so each call waits on a local QEventLoop (never used inside the agent) with a timeout.
// Owned by the verb that runs; main thread only; needs a QCoreApplication.

#include <QByteArray>
#include <QString>
#include <QUrl>
#include <QUrlQuery>

namespace conclave::cli {

/// What came back: `reached` false means no HTTP response at all (then `error` says why).
struct HttpResult {
    bool reached = false;
    int status = 0;
    QByteArray body;
    QString error;
};

/// The agent's base URL from -http-addr, else CONSUL_HTTP_ADDR, else http://127.0.0.1:8500.
/// "host:port" without a scheme means http. Pure.
QUrl agentUrl(const QString &flagValue, const QString &envValue);

class AgentClient
{
public:
    AgentClient(QUrl base, QString token, int timeoutMs = 30000);

    QUrl base() const { return m_base; }
    /// The base URL as printed in errors: "http://127.0.0.1:8500".
    QString baseText() const;

    HttpResult get(const QString &path, const QUrlQuery &query = {});
    HttpResult put(const QString &path, const QUrlQuery &query, const QByteArray &body);
    HttpResult del(const QString &path, const QUrlQuery &query = {});

private:
    HttpResult send(const QByteArray &verb, const QString &path, const QUrlQuery &query,
                    const QByteArray &body);

    QUrl m_base;
    QString m_token;
    int m_timeoutMs;
};

}  // namespace conclave::cli
