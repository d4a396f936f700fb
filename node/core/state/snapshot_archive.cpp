#include "core/state/snapshot_archive.h"

#include "core/state/fsm.h"

#include <QCborMap>
#include <QCborStreamReader>
#include <QCborValue>
#include <QCryptographicHash>
#include <QtEndian>

namespace conclave::state {

namespace {

constexpr qint64 kMagicBytes = sizeof(kArchiveMagic) - 1;
static_assert(kMagicBytes == 8);
// node/storage/snapshot_files.cpp: what a data dir's snapshots/*.snap start with. Named in the
// error, since such a file is the likeliest wrong file to be handed to a restore.
constexpr char kDataDirSnapshotMagic[] = "CNCLSNAP";

template <typename T>
void appendBigEndian(QByteArray &out, T value)
{
    char buf[sizeof(T)];
    qToBigEndian(value, buf);
    out.append(buf, sizeof(T));
}

template <typename T>
T readBigEndian(const QByteArray &bytes, qint64 offset)
{
    return qFromBigEndian<T>(bytes.constData() + offset);
}

bool fail(QString *error, const QString &text)
{
    if (error)
        *error = text;
    return false;
}

QString byteCount(qint64 n)
{
    return n == 1 ? QStringLiteral("1 byte") : QStringLiteral("%1 bytes").arg(n);
}

bool decodeMeta(const QByteArray &bytes, ArchiveMeta *meta, QString *error)
{
    namespace k = cbor::archivemeta;
    auto malformed = [error](const QString &why) {
        return fail(error, QStringLiteral("the archive's metadata is malformed: %1").arg(why));
    };
    QCborStreamReader reader(bytes);
    const QCborValue top = QCborValue::fromCbor(reader);
    if (reader.lastError() != QCborError::NoError)
        return malformed(reader.lastError().toString());
    if (reader.currentOffset() != bytes.size())
        return malformed(QStringLiteral("trailing bytes"));
    if (!top.isMap())
        return malformed(QStringLiteral("not a CBOR map"));
    const QCborMap m = top.toMap();
    auto text = [&](int key, const char *name, QString *out) {
        const QCborValue v = m.value(key);
        if (!v.isString())
            return malformed(QStringLiteral("%1 is missing or not text").arg(QLatin1String(name)));
        *out = v.toString();
        return true;
    };
    auto integer = [&](int key, const char *name, qint64 *out) {
        const QCborValue v = m.value(key);
        if (!v.isInteger() || v.toInteger() < 0)
            return malformed(QStringLiteral("%1 is missing or not a non-negative integer").arg(QLatin1String(name)));
        *out = v.toInteger();
        return true;
    };
    qint64 index = 0, term = 0;
    if (!text(k::Id, "ID", &meta->id) || !integer(k::Index, "Index", &index) || !integer(k::Term, "Term", &term)
        || !integer(k::CreatedMs, "Created", &meta->createdMs) || !text(k::Datacenter, "Datacenter", &meta->datacenter)
        || !text(k::ConclaveVersion, "ConclaveVersion", &meta->conclaveVersion))
        return false;
    meta->index = quint64(index);
    meta->term = quint64(term);
    return true;
}

}  // namespace

QString archiveId(quint64 term, quint64 index, qint64 createdMs)
{
    return QStringLiteral("%1-%2-%3").arg(term).arg(index).arg(createdMs);
}

QByteArray encodeArchive(const ArchiveMeta &meta, const QByteArray &payload)
{
    namespace k = cbor::archivemeta;
    QCborMap m;
    m.insert(k::Id, meta.id);
    m.insert(k::Index, qint64(meta.index));
    m.insert(k::Term, qint64(meta.term));
    m.insert(k::CreatedMs, meta.createdMs);
    m.insert(k::Datacenter, meta.datacenter);
    m.insert(k::ConclaveVersion, meta.conclaveVersion);
    const QByteArray metaBytes = m.toCborValue().toCbor();

    QByteArray out;
    out.reserve(kArchiveHeaderBytes + metaBytes.size() + payload.size() + kArchiveChecksumBytes);
    out.append(kArchiveMagic, kMagicBytes);
    appendBigEndian<quint16>(out, kArchiveFormatVersion);
    appendBigEndian<quint32>(out, quint32(metaBytes.size()));
    out.append(metaBytes);
    appendBigEndian<quint64>(out, quint64(payload.size()));
    out.append(payload);
    out.append(QCryptographicHash::hash(out, QCryptographicHash::Sha256));
    return out;
}

std::optional<Archive> decodeArchive(const QByteArray &bytes, QString *error)
{
    const qint64 size = bytes.size();
    auto refuse = [error](const QString &text) -> std::optional<Archive> {
        fail(error, text);
        return std::nullopt;
    };
    auto truncated = [&](qint64 expected) {
        return refuse(QStringLiteral("the archive is truncated: it has %1 but needs at least %2")
                          .arg(byteCount(size), byteCount(expected)));
    };
    if (size == 0)
        return refuse(QStringLiteral("the archive is empty"));
    // Magic first, so that any other file is named as such rather than as "truncated".
    const qint64 magicSeen = std::min(size, kMagicBytes);
    if (bytes.startsWith(kDataDirSnapshotMagic))
        return refuse(QStringLiteral("this is a snapshot file of an agent's data dir, not a snapshot archive; "
                                     "take an archive with `conclave snapshot save`"));
    if (QByteArrayView(bytes.constData(), magicSeen) != QByteArrayView(kArchiveMagic, magicSeen))
        return refuse(QStringLiteral("not a Conclave snapshot archive (it does not start with \"%1\")")
                          .arg(QLatin1String(kArchiveMagic)));
    if (size < kMagicBytes + 2)
        return truncated(kArchiveHeaderBytes + kArchiveChecksumBytes);
    const quint16 version = readBigEndian<quint16>(bytes, kMagicBytes);
    if (version != kArchiveFormatVersion)
        return refuse(QStringLiteral("unsupported snapshot archive format version %1 (this Conclave reads version %2)")
                          .arg(version)
                          .arg(kArchiveFormatVersion));
    if (size < kMagicBytes + 2 + 4)
        return truncated(kArchiveHeaderBytes + kArchiveChecksumBytes);
    const qint64 metaBytes = readBigEndian<quint32>(bytes, kMagicBytes + 2);
    if (metaBytes > kMaxArchiveMetaBytes)
        return refuse(QStringLiteral("the archive is corrupt: its metadata length (%1) is over the limit of %2")
                          .arg(byteCount(metaBytes), byteCount(kMaxArchiveMetaBytes)));
    const qint64 payloadAt = kMagicBytes + 2 + 4 + metaBytes + 8;
    if (size < payloadAt)
        return truncated(payloadAt + kArchiveChecksumBytes);
    const quint64 payloadBytes = readBigEndian<quint64>(bytes, payloadAt - 8);
    // Compared as unsigned so that a corrupt length near 2^64 cannot overflow into "fits".
    if (payloadBytes > quint64(size - payloadAt))
        return truncated(payloadAt + qint64(std::min<quint64>(payloadBytes, quint64(1) << 62)) + kArchiveChecksumBytes);
    const qint64 checksumAt = payloadAt + qint64(payloadBytes);
    if (size < checksumAt + kArchiveChecksumBytes)
        return truncated(checksumAt + kArchiveChecksumBytes);
    if (size > checksumAt + kArchiveChecksumBytes)
        return refuse(QStringLiteral("the archive is corrupt: %1 follow its checksum")
                          .arg(byteCount(size - checksumAt - kArchiveChecksumBytes)));
    const QByteArray expected = QCryptographicHash::hash(QByteArrayView(bytes.constData(), checksumAt),
                                                         QCryptographicHash::Sha256);
    if (QByteArrayView(bytes.constData() + checksumAt, kArchiveChecksumBytes) != QByteArrayView(expected))
        return refuse(QStringLiteral("the archive is corrupt: its SHA-256 checksum does not match its content"));

    Archive archive;
    archive.formatVersion = version;
    if (!decodeMeta(bytes.mid(kMagicBytes + 2 + 4, metaBytes), &archive.meta, error))
        return std::nullopt;
    archive.payload = bytes.mid(payloadAt, qsizetype(payloadBytes));
    return archive;
}

std::optional<PayloadSummary> summarizePayload(const QByteArray &payload, QString *error)
{
    StateStore scratch;
    Fsm fsm(scratch);
    QString why;
    if (!fsm.restore(payload, &why)) {
        fail(error, QStringLiteral("the archive's state does not decode: %1").arg(why));
        return std::nullopt;
    }
    PayloadSummary s;
    s.lastApplied = fsm.lastApplied();
    s.kvEntries = scratch.kvList(QString()).value.size();
    const QList<model::Node> nodes = scratch.nodes().value;
    s.nodes = nodes.size();
    for (const model::Node &n : nodes) {
        const auto services = scratch.nodeServices(n.node).value;
        if (services)
            s.services += services->services.size();
    }
    s.checks = scratch.checksInState(QStringLiteral("any")).value.size();
    return s;
}

}  // namespace conclave::state
