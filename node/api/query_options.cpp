#include "api/query_options.h"

#include "shared/util/duration.h"

namespace conclave::api {

std::optional<quint64> parseUnsigned(const QString &text)
{
    if (text.isEmpty())
        return std::nullopt;
    for (QChar c : text)
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return std::nullopt;
    bool ok = false;
    const quint64 v = text.toULongLong(&ok);
    if (!ok)
        return std::nullopt;
    return v;
}

std::optional<bool> parseBoolParam(const net::HttpRequest &req, const QString &name, bool fallback)
{
    if (!req.hasQuery(name))
        return fallback;
    const QString v = req.queryValue(name);
    if (v.isEmpty())
        return true;
    static const QStringList truthy = {QStringLiteral("1"), QStringLiteral("t"), QStringLiteral("T"),
                                       QStringLiteral("true"), QStringLiteral("TRUE"), QStringLiteral("True")};
    static const QStringList falsy = {QStringLiteral("0"), QStringLiteral("f"), QStringLiteral("F"),
                                      QStringLiteral("false"), QStringLiteral("FALSE"), QStringLiteral("False")};
    if (truthy.contains(v))
        return true;
    if (falsy.contains(v))
        return false;
    return std::nullopt;
}

std::optional<QueryOptions> parseQueryOptions(const net::HttpRequest &req, QString *error)
{
    QueryOptions o;
    if (req.hasQuery(QStringLiteral("wait"))) {
        const auto ns = util::parseDuration(req.queryValue(QStringLiteral("wait")));
        if (!ns) {
            *error = QStringLiteral("Invalid wait time");
            return std::nullopt;
        }
        o.waitMs = *ns > 0 ? *ns / 1000000 : 0;
    }
    if (req.hasQuery(QStringLiteral("index"))) {
        const QString v = req.queryValue(QStringLiteral("index"));
        const auto idx = parseUnsigned(v);
        if (!idx) {
            *error = QStringLiteral("Invalid index");
            return std::nullopt;
        }
        o.minIndex = *idx;
    }
    const bool stale = req.hasQuery(QStringLiteral("stale"));
    const bool consistent = req.hasQuery(QStringLiteral("consistent"));
    if (stale && consistent) {
        *error = QStringLiteral("Cannot specify ?stale with ?consistent, conflicting semantics.");
        return std::nullopt;
    }
    if (req.hasQuery(QStringLiteral("max_stale"))) {
        const auto ns = util::parseDuration(req.queryValue(QStringLiteral("max_stale")));
        if (!ns) {
            *error = QStringLiteral("Invalid max_stale value");
            return std::nullopt;
        }
        o.maxStaleMs = *ns / 1000000;
        if (o.maxStaleMs > 0 && consistent) {
            *error = QStringLiteral("Cannot specify ?max_stale with ?consistent, conflicting semantics.");
            return std::nullopt;
        }
    }
    if (stale || o.maxStaleMs > 0)
        o.consistency = Consistency::Stale;
    else if (consistent)
        o.consistency = Consistency::Consistent;
    o.datacenter = req.queryValue(QStringLiteral("dc"));
    o.pretty = req.hasQuery(QStringLiteral("pretty"));
    return o;
}

const char *consistencyName(Consistency c)
{
    switch (c) {
    case Consistency::Stale:
        return "stale";
    case Consistency::Consistent:
        return "consistent";
    case Consistency::Default:
        break;
    }
    return "leader";
}

}  // namespace conclave::api
