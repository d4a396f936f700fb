#include "storage/snapshot_files.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QtEndian>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcSnapshot, "conclave.storage.snapshot")

namespace conclave::storage {

namespace {

constexpr char kMagic[8] = {'C', 'N', 'C', 'L', 'S', 'N', 'A', 'P'};
constexpr qsizetype kDigestSize = 32;  // SHA-256
// magic(8) version(4) index(8) term(8) membershipLen(4) | membership | payloadLen(8) | payload | digest
constexpr qsizetype kFixedSize = 8 + 4 + 8 + 8 + 4 + 8 + kDigestSize;

const QString kSnapSuffix = QStringLiteral(".snap");
const QString kTmpSuffix = QStringLiteral(".tmp");
const QString kCorruptSuffix = QStringLiteral(".corrupt");

template<typename T>
void appendBigEndian(QByteArray &out, T value)
{
    char buf[sizeof(T)];
    qToBigEndian(value, buf);
    out.append(buf, sizeof(T));
}

template<typename T>
T readBigEndian(const char *p)
{
    return qFromBigEndian<T>(p);
}

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

// Makes a rename or unlink in `dir` durable (the entry lives in the directory, not the file).
bool fsyncDir(const QString &dir, QString *error)
{
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        if (error)
            *error = QStringLiteral("cannot open %1: %2").arg(dir, errnoText());
        return false;
    }
    const int rc = ::fsync(fd);
    const QString why = rc == 0 ? QString() : errnoText();
    ::close(fd);
    if (rc != 0) {
        if (error)
            *error = QStringLiteral("cannot fsync %1: %2").arg(dir, why);
        return false;
    }
    return true;
}

}  // namespace

QString SnapshotFiles::fileName(quint64 index, quint64 term)
{
    return QStringLiteral("snapshot-%1-%2.snap").arg(index, 20, 10, QLatin1Char('0')).arg(term, 20, 10, QLatin1Char('0'));
}

QStringList SnapshotFiles::snapshotNames() const
{
    QStringList names = QDir(m_dir).entryList({QStringLiteral("snapshot-*.snap")}, QDir::Files, QDir::Name);
    std::reverse(names.begin(), names.end());
    return names;
}

bool SnapshotFiles::write(const SnapshotMeta &meta, const QByteArray &payload, int retain, QString *error)
{
    QByteArray header;
    header.append(kMagic, sizeof(kMagic));
    appendBigEndian<quint32>(header, FormatVersion);
    appendBigEndian<quint64>(header, meta.index);
    appendBigEndian<quint64>(header, meta.term);
    appendBigEndian<quint32>(header, quint32(meta.membership.size()));
    header.append(meta.membership);
    appendBigEndian<quint64>(header, quint64(payload.size()));

    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(header);
    hash.addData(payload);
    const QByteArray digest = hash.result();

    const QString finalPath = QDir(m_dir).filePath(fileName(meta.index, meta.term));
    const QString tmpPath = finalPath + kTmpSuffix;
    QFile file(tmpPath);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        if (error)
            *error = QStringLiteral("cannot create %1: %2").arg(tmpPath, file.errorString());
        return false;
    }
    const bool written = file.write(header) == header.size() && file.write(payload) == payload.size()
        && file.write(digest) == digest.size() && file.flush();
    if (!written) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(tmpPath, file.errorString());
        file.close();
        QFile::remove(tmpPath);
        return false;
    }
    if (::fsync(file.handle()) != 0) {
        if (error)
            *error = QStringLiteral("cannot fsync %1: %2").arg(tmpPath, errnoText());
        file.close();
        QFile::remove(tmpPath);
        return false;
    }
    file.close();
    // POSIX rename replaces atomically; QFile::rename would refuse an existing target.
    if (::rename(QFile::encodeName(tmpPath).constData(), QFile::encodeName(finalPath).constData()) != 0) {
        if (error)
            *error = QStringLiteral("cannot rename %1: %2").arg(tmpPath, errnoText());
        QFile::remove(tmpPath);
        return false;
    }
    if (!fsyncDir(m_dir, error))
        return false;
    // Pruning failures leave an extra old file behind; the new snapshot is already durable.
    QString pruneError;
    if (!prune(retain, &pruneError))
        qCWarning(lcSnapshot).noquote() << "cannot remove old snapshots:" << pruneError;
    return true;
}

bool SnapshotFiles::prune(int retain, QString *error)
{
    const QStringList names = snapshotNames();
    bool removed = false;
    for (qsizetype i = qMax(retain, 1); i < names.size(); ++i) {
        const QString path = QDir(m_dir).filePath(names.at(i));
        if (!QFile::remove(path)) {
            if (error)
                *error = QStringLiteral("cannot remove %1").arg(path);
            return false;
        }
        removed = true;
    }
    return !removed || fsyncDir(m_dir, error);
}

std::optional<Snapshot> SnapshotFiles::readFile(const QString &path, QString *error)
{
    auto fail = [error](const QString &why) -> std::optional<Snapshot> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("cannot open: %1").arg(file.errorString()));
    const QByteArray bytes = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return fail(QStringLiteral("cannot read: %1").arg(file.errorString()));
    if (bytes.size() < kFixedSize)
        return fail(QStringLiteral("truncated: %1 bytes, a snapshot has at least %2").arg(bytes.size()).arg(kFixedSize));
    const char *p = bytes.constData();
    if (std::memcmp(p, kMagic, sizeof(kMagic)) != 0)
        return fail(QStringLiteral("bad magic"));
    const quint32 version = readBigEndian<quint32>(p + 8);
    if (version != FormatVersion)
        return fail(QStringLiteral("unknown format version %1").arg(version));
    Snapshot s;
    s.meta.index = readBigEndian<quint64>(p + 12);
    s.meta.term = readBigEndian<quint64>(p + 20);
    const quint64 membershipLen = readBigEndian<quint32>(p + 28);
    if (membershipLen > quint64(bytes.size() - kFixedSize))
        return fail(QStringLiteral("truncated: membership length %1 exceeds the file").arg(membershipLen));
    const qsizetype payloadLenAt = 32 + qsizetype(membershipLen);
    const quint64 payloadLen = readBigEndian<quint64>(p + payloadLenAt);
    const quint64 expected = quint64(kFixedSize) + membershipLen + payloadLen;
    if (expected != quint64(bytes.size()))
        return fail(QStringLiteral("truncated or padded: header says %1 bytes, file has %2").arg(expected).arg(bytes.size()));
    const qsizetype digestAt = bytes.size() - kDigestSize;
    const QByteArray digest = QCryptographicHash::hash(QByteArrayView(p, digestAt), QCryptographicHash::Sha256);
    if (std::memcmp(digest.constData(), p + digestAt, kDigestSize) != 0)
        return fail(QStringLiteral("checksum mismatch (SHA-256)"));
    s.meta.membership = bytes.mid(32, qsizetype(membershipLen));
    s.payload = bytes.mid(payloadLenAt + 8, qsizetype(payloadLen));
    return s;
}

std::optional<Snapshot> SnapshotFiles::loadNewest(QStringList *warnings)
{
    auto warn = [warnings](const QString &text) {
        qCWarning(lcSnapshot).noquote() << text;
        if (warnings)
            warnings->append(text);
    };
    QDir dir(m_dir);
    // Leftovers of a write that was interrupted before its rename: never valid, never read.
    const QStringList temps = dir.entryList({QStringLiteral("*") + kTmpSuffix}, QDir::Files);
    for (const QString &name : temps) {
        warn(QStringLiteral("removing unfinished snapshot %1").arg(name));
        QFile::remove(dir.filePath(name));
    }
    for (const QString &name : snapshotNames()) {
        const QString path = dir.filePath(name);
        QString why;
        std::optional<Snapshot> s = readFile(path, &why);
        if (s && fileName(s->meta.index, s->meta.term) != name) {
            why = QStringLiteral("header (index %1, term %2) does not match the file name").arg(s->meta.index).arg(s->meta.term);
            s.reset();
        }
        if (s)
            return s;
        warn(QStringLiteral("ignoring snapshot %1: %2").arg(name, why));
        // Renamed, not deleted: keep the evidence, but take it out of the retained set.
        if (::rename(QFile::encodeName(path).constData(), QFile::encodeName(path + kCorruptSuffix).constData()) != 0)
            warn(QStringLiteral("cannot rename %1 aside: %2").arg(name, errnoText()));
    }
    return std::nullopt;
}

}  // namespace conclave::storage
