#pragma once
// Consul's read parameters (agent/http.go parseWait, parseConsistency, parseDC): blocking index and
// wait, consistency mode, datacenter and pretty-printing. Pure parsing, no I/O.

#include "net/http_types.h"

#include <QString>
#include <optional>

namespace conclave::api {

enum class Consistency { Default, Stale, Consistent };

struct QueryOptions {
    quint64 minIndex = 0;            // ?index; 0 = do not block
    qint64 waitMs = 0;               // ?wait; 0 = use the agent's default_query_time
    Consistency consistency = Consistency::Default;
    qint64 maxStaleMs = 0;           // ?max_stale
    QString datacenter;              // ?dc; "" = local
    bool pretty = false;             // ?pretty
};

/// Parses the common read parameters. Returns nullopt and sets `error` to Consul's 400 text on a
/// malformed value ("Invalid wait time", "Invalid index", conflicting stale/consistent).
std::optional<QueryOptions> parseQueryOptions(const net::HttpRequest &req, QString *error);

/// Parses a Consul "parsed bool" parameter (`passing`, `enable`): absent → fallback, "" → true,
/// true/false/1/0 (Go strconv.ParseBool) → value, anything else → nullopt.
std::optional<bool> parseBoolParam(const net::HttpRequest &req, const QString &name, bool fallback);

/// Parses an unsigned decimal (`cas`, `flags`, `index`); nullopt on anything else.
std::optional<quint64> parseUnsigned(const QString &text);

const char *consistencyName(Consistency c);  // "leader", "stale", "consistent"

}  // namespace conclave::api
