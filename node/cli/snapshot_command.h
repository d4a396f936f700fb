#pragma once
// `conclave snapshot save|restore|inspect`, as Consul's: save and restore are GET and PUT
// /v1/snapshot; inspect reads an archive file offline (docs/snapshot-archive.md).

#include <QByteArray>
#include <QString>

namespace conclave::cli {

/// The inspect report of archive bytes: ID, Size, Index, Term, Version, Datacenter, Created (UTC),
/// ConclaveVersion, then the row counts of the state it holds. Empty with `error` (one sentence)
/// when the bytes are not a valid archive.
QString formatSnapshotInspect(const QByteArray &archive, QString *error);

}  // namespace conclave::cli
