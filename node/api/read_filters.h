#pragma once
// Filters shared by catalog and health reads: repeated `tag` (AND, case-insensitive) and repeated
// `node-meta=key:value` (AND). `filter` expressions (go-bexpr) are not implemented yet and are
// refused with a clear 400 rather than silently ignored.

#include "api/call.h"

#include <QMap>
#include <QStringList>

namespace conclave::api {

struct ReadFilters {
    QStringList tags;
    QList<QPair<QString, QString>> nodeMeta;

    bool matchesNodeMeta(const QMap<QString, QString> &meta) const
    {
        for (const auto &kv : nodeMeta)
            if (meta.value(kv.first) != kv.second || !meta.contains(kv.first))
                return false;
        return true;
    }
};

/// Parses `tag`, `node-meta` and rejects `filter`; on error answers 400 and returns false.
bool parseReadFilters(const CallPtr &c, ReadFilters *out);

/// Parses a JSON object body; on failure answers 400 "Request decode failed: …" and returns nullopt.
std::optional<QJsonObject> decodeJsonBody(const CallPtr &c);

}  // namespace conclave::api
