#pragma once
// ApiClient: the viewer's writes (and the few reads the KV editor needs fresh) through Consul's
// HTTP API with QNetworkAccessManager: GET/PUT/DELETE /v1/kv/<key>, PUT with ?cas=<ModifyIndex>.
//
// Owned by GuiApplication (or a test); GUI thread only; asynchronous: each call answers once through
// its callback, on the GUI thread. Refuses values over kMaxValueBytes, and keys with a "." or ".."
// path segment (HTTP would resolve them into another key), before sending anything.
// Models never call it; views do, on a user action.

#include "shared/model/types.h"

#include <QObject>
#include <QString>
#include <functional>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;

namespace conclave::gui {

class ApiClient : public QObject {
    Q_OBJECT
public:
    /// Consul's default limits.kv_max_value_size.
    static constexpr qint64 kMaxValueBytes = 512 * 1024;

    struct Result {
        bool ok = false;      // the request reached the agent and it answered 2xx
        int status = 0;       // HTTP status, 0 when no answer
        QString error;        // one sentence when !ok
    };
    struct GetResult : Result {
        std::optional<model::KvEntry> entry;  // nullopt: the key does not exist (404)
    };
    struct WriteResult : Result {
        bool applied = false;  // the agent's true/false: false = the cas index no longer matched
    };

    explicit ApiClient(QObject *parent = nullptr);

    /// "host:port" of the agent and the ACL token sent as X-Consul-Token.
    void setAgent(const QString &address, const QString &token);
    QString address() const { return m_address; }

    void kvGet(const QString &key, std::function<void(const GetResult &)> done);
    /// PUT /v1/kv/<key>?cas=<cas>; cas 0 = create only. nullopt cas = unconditional.
    void kvPut(const QString &key, const QByteArray &value, std::optional<quint64> cas,
               std::function<void(const WriteResult &)> done);
    /// DELETE /v1/kv/<key>[?recurse][&cas=<cas>].
    void kvDelete(const QString &key, bool recurse, std::optional<quint64> cas,
                  std::function<void(const WriteResult &)> done);

    /// Why `key` cannot be sent as typed ("" when it can): a path segment "." or "..".
    static QString keyRefusal(const QString &key);

private:
    void answerLater(std::function<void()> answer);
    QNetworkReply *send(const QByteArray &verb, const QString &path, const QString &query,
                        const QByteArray &body);
    static Result resultOf(QNetworkReply *reply);

    QNetworkAccessManager *m_nam;
    QString m_address;
    QString m_token;
};

}  // namespace conclave::gui
