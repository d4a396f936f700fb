#pragma once
// Go time.Duration text forms, as Consul reads and writes them ("10s", "1m30s", "1.5ms").
// Pure functions, callable from any thread. Durations are nanoseconds in a qint64, like Go's.
//
// Reading accepts exactly what Go's time.ParseDuration accepts (so "10" without a unit is an
// error, except the bare "0"); writing produces exactly Go's Duration.String().

#include <QString>
#include <QtGlobal>

#include <optional>

class QJsonValue;

namespace conclave::util {

/// Go's time.ParseDuration: "300ms", "1.5h", "-2m3s", "10us", "10µs". nullopt on any error.
std::optional<qint64> parseDuration(const QString &text);

/// As above; on failure sets *error to Go's message, e.g. `time: missing unit in duration "10"`.
std::optional<qint64> parseDuration(const QString &text, QString *error);

/// Go's Duration.String(): "0s", "1h0m0s", "1.5s", "500ms", "1µs", "-5s".
QString formatDuration(qint64 ns);

/// A duration in a JSON body: a Go duration string or a number of nanoseconds (Consul takes
/// both). nullopt for anything else (bool, object, bad string, non-integral number).
std::optional<qint64> durationFromJson(const QJsonValue &value);

/// As above, with Go's error text for a bad string.
std::optional<qint64> durationFromJson(const QJsonValue &value, QString *error);

}  // namespace conclave::util
