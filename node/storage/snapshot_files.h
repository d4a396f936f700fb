#pragma once
// FSM snapshots as files in `<data-dir>/snapshots/`, one per snapshot, named
// `snapshot-<index>-<term>.snap` (zero-padded, so names sort by index). A write goes to a `.tmp`
// file, is fsync'd, renamed into place and the directory fsync'd, so a crash leaves either the old
// set or the new one, plus at worst a `.tmp` leftover that is ignored and removed. The file format
// is documented in node/storage/README.md.
//
// Owned by StorageWorker (or a test). Thread: the storage thread; it blocks on disk I/O and must
// never run on the event loop. Does not decide when to snapshot or what to compact.

#include "storage/types.h"

#include <QString>
#include <QStringList>
#include <optional>

namespace conclave::storage {

class SnapshotFiles {
public:
    static constexpr quint32 FormatVersion = 1;

    explicit SnapshotFiles(const QString &dir) : m_dir(dir) {}

    QString dir() const { return m_dir; }

    /// Durably writes one snapshot (replacing a file of the same index/term), then deletes all but
    /// the newest `retain` snapshot files.
    bool write(const SnapshotMeta &meta, const QByteArray &payload, int retain, QString *error);

    /// The newest snapshot that validates. Files that do not validate are renamed to `.corrupt`
    /// (kept for inspection, never read again) and `.tmp` leftovers of an interrupted write are
    /// removed; each such event adds a line to `warnings`.
    std::optional<Snapshot> loadNewest(QStringList *warnings);

    /// Reads and validates one file; nullopt with `error` set when it is torn or corrupt.
    static std::optional<Snapshot> readFile(const QString &path, QString *error);

    /// `.snap` file names, newest first.
    QStringList snapshotNames() const;

    static QString fileName(quint64 index, quint64 term);

private:
    bool prune(int retain, QString *error);

    QString m_dir;
};

}  // namespace conclave::storage
