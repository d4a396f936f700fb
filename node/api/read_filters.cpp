#include "api/read_filters.h"

namespace conclave::api {

bool parseReadFilters(const CallPtr &c, ReadFilters *out)
{
    if (c->req.hasQuery(QStringLiteral("filter"))) {
        c->replyText(400, QStringLiteral("The filter parameter (bexpr expressions) is not implemented yet"));
        return false;
    }
    out->tags = c->req.queryValues(QStringLiteral("tag"));
    for (const QString &nm : c->req.queryValues(QStringLiteral("node-meta"))) {
        const int colon = nm.indexOf(QLatin1Char(':'));
        if (colon <= 0) {
            c->replyText(400, QStringLiteral("Invalid node-meta value '%1': expected key:value").arg(nm));
            return false;
        }
        out->nodeMeta.append({nm.left(colon), nm.mid(colon + 1)});
    }
    return true;
}

}  // namespace conclave::api
