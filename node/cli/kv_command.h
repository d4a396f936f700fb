#pragma once
// `conclave kv get|put|delete|export|import`, as Consul's `consul kv …`. The formatting is in
// pure functions below so tests need no agent.

#include "shared/model/types.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace conclave::cli {

/// Consul's `kv get -detailed` block (tabwriter, padding 6); no trailing newline.
QByteArray formatKvDetailed(const model::KvEntry &entry, bool base64Value);

/// `kv get -recurse` output: "key:value" lines, or -detailed blocks separated by blank lines.
QByteArray formatKvList(const QList<model::KvEntry> &entries, bool detailed, bool base64Value);

/// `kv export` output: Consul's JSON array indented with tabs, plus "\n".
QByteArray formatKvExport(const QList<model::KvEntry> &entries);

/// Entries of a `GET /v1/kv/…` JSON body (an array); empty on anything else.
QList<model::KvEntry> kvEntriesFromBody(const QByteArray &body);

}  // namespace conclave::cli
