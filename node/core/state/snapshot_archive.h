#pragma once
// Snapshot archives: the file that `GET /v1/snapshot` answers, `PUT /v1/snapshot` takes and
// `conclave snapshot save|restore|inspect` writes and reads. A point-in-time copy of the whole
// replicated state (the FSM snapshot: KV with tombstones, nodes, services, checks, indexes) with
// metadata, guarded by a SHA-256. Pure codec (QtCore only), any thread; no I/O, no clock (the
// caller supplies the creation time). docs/snapshot-archive.md has the format for people.
//
// Layout, version 1 (integers big-endian, no padding, nothing after the checksum):
//
//   offset      size  field
//   0           8     magic "CNCLARCH"
//   8           2     format version (1)
//   10          4     M = metadata length (at most kMaxArchiveMetaBytes)
//   14          M     metadata: a CBOR map, keys in cbor::archivemeta below
//   14+M        8     P = payload length
//   22+M        P     payload: the FSM snapshot, exactly as Fsm::snapshot() writes it
//   22+M+P      32    SHA-256 of every byte before it
//
// decodeArchive() checks the frame, lengths and checksum and decodes the metadata; it does not
// decode the payload. summarizePayload() does (into a scratch store, never the live one), so a
// caller that must not accept a payload the FSM would refuse runs both.

#include <QByteArray>
#include <QString>
#include <QtGlobal>

#include <optional>

namespace conclave::state {

inline constexpr char kArchiveMagic[] = "CNCLARCH";  // the 8 bytes, without the terminating NUL
inline constexpr quint16 kArchiveFormatVersion = 1;
inline constexpr qint64 kArchiveHeaderBytes = 8 + 2 + 4 + 8;  // without metadata and payload
inline constexpr qint64 kArchiveChecksumBytes = 32;
inline constexpr qint64 kMaxArchiveMetaBytes = 64 * 1024;
/// The largest archive a restore accepts. A restore is one replicated-log entry holding the payload,
/// and that entry must travel in one server-port frame (net::kDefaultMaxFrameSize, 64 MiB: a
/// follower forwards it to the leader, the leader sends it in an AppendEntries alone); 16 MiB is
/// left for the envelopes. The HTTP API answers 413 above it, the CLI refuses before sending.
inline constexpr qint64 kMaxSnapshotRestoreBytes = qint64(48) * 1024 * 1024;

namespace cbor {
/// Metadata map keys. Append-only, like every CBOR tag (they live in archives on disk).
namespace archivemeta {
enum : int { Id = 1, Index = 2, Term = 3, CreatedMs = 4, Datacenter = 5, ConclaveVersion = 6 };
}
}  // namespace cbor

struct ArchiveMeta {
    QString id;               // "<term>-<index>-<createdMs>", as Consul's snapshot IDs
    quint64 index = 0;        // the last log index the state includes
    quint64 term = 0;         // the Raft term when the archive was taken
    qint64 createdMs = 0;     // creation time, ms since the Unix epoch, UTC
    QString datacenter;
    QString conclaveVersion;  // the version of the agent that wrote it

    bool operator==(const ArchiveMeta &) const = default;
};

struct Archive {
    quint16 formatVersion = kArchiveFormatVersion;
    ArchiveMeta meta;
    QByteArray payload;  // Fsm::snapshot() bytes
};

/// Consul's snapshot ID: term-index-createdMs.
QString archiveId(quint64 term, quint64 index, qint64 createdMs);

/// The archive bytes (format above).
QByteArray encodeArchive(const ArchiveMeta &meta, const QByteArray &payload);

/// Checks magic, version, lengths and checksum, and decodes the metadata. nullopt with a
/// one-sentence `error` ("the archive is truncated: …", "… checksum does not match …") otherwise.
std::optional<Archive> decodeArchive(const QByteArray &bytes, QString *error);

/// Row counts of a payload, found by restoring it into a scratch store (so it also proves the FSM
/// would take it).
struct PayloadSummary {
    quint64 lastApplied = 0;
    qsizetype kvEntries = 0;
    qsizetype nodes = 0;
    qsizetype services = 0;  // service instances, over all nodes
    qsizetype checks = 0;
};

/// nullopt with `error` when the payload is not a snapshot the FSM restores.
std::optional<PayloadSummary> summarizePayload(const QByteArray &payload, QString *error);

}  // namespace conclave::state
