#pragma once
// `conclave services register|deregister`, as Consul's `consul services …`: a service from
// flags (-name, -id, -address, -port, -tag…, -meta k=v…) or from definition files holding a
// "service" object or a "services" array (Consul's config-file shape), sent to the local agent's
// /v1/agent/service/register and /v1/agent/service/deregister/<id>.
// The parsing helpers are pure, for tests; the verbs run on the CLI's main thread.

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace conclave::cli {

/// The service definitions in one file's content: the "service" object and/or every element of
/// the "services" array (keys matched case-insensitively, as Consul's config loader does).
/// On error nullopt and *error names the file.
std::optional<QList<QJsonObject>> servicesFromFileContent(const QByteArray &content, const QString &fileName,
                                                          QString *error);

/// A service definition from the register flags. `meta` entries are "key=value".
std::optional<QJsonObject> serviceFromFlags(const QString &name, const QString &id, const QString &address,
                                            int port, const QStringList &tags, const QStringList &meta,
                                            QString *error);

/// The value of `key` in `object`, the key matched case-insensitively; undefined if absent.
QJsonValue valueIgnoringCase(const QJsonObject &object, const QString &key);

}  // namespace conclave::cli
