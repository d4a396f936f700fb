#include "core/state/command.h"

#include "core/state/cbor_model.h"

#include <QCborMap>
#include <QCborStreamReader>
#include <QCborStreamWriter>
#include <limits>

namespace conclave::state {

namespace {

CommandType typeOf(const Command &cmd)
{
    // The body decides: a Command whose `type` disagrees with its body cannot be encoded wrongly.
    switch (cmd.body.index()) {
    case 0: return CommandType::Kv;
    case 1: return CommandType::CatalogRegister;
    case 2: return CommandType::CatalogDeregister;
    default: return CommandType::SnapshotRestore;
    }
}

bool setError(QString *error, const QString &text)
{
    if (error)
        *error = text;
    return false;
}

bool isKnownVerb(qint64 v)
{
    return v >= qint64(KvVerb::Set) && v <= qint64(KvVerb::Unlock);
}

// ---- KV fast path. KV writes are the bulk of the log, so they are written and read with the
// streaming API instead of building a QCborValue tree (several times faster). The bytes are the
// same map layout the generic path produces; the rules (missing key = default, wrong type =
// error, unknown keys ignored, integers must fit qint64) are the same too.

QByteArray encodeKv(const KvCommand &kv)
{
    const model::KvEntry &e = kv.entry;
    QByteArray out;
    out.reserve(48 + e.key.size() * 2 + e.value.size() + e.session.size() * 2);
    QCborStreamWriter w(&out);
    w.startMap(2);
    w.append(qint64(cbor::command::Type));
    w.append(qint64(CommandType::Kv));
    w.append(qint64(cbor::command::Body));
    w.startMap(2);
    w.append(qint64(cbor::kvcommand::Verb));
    w.append(qint64(kv.verb));
    w.append(qint64(cbor::kvcommand::Entry));
    w.startMap(7);
    w.append(qint64(cbor::kventry::Key));
    w.append(e.key);
    w.append(qint64(cbor::kventry::Value));
    w.append(e.value);
    w.append(qint64(cbor::kventry::Flags));
    w.append(qint64(e.flags));
    w.append(qint64(cbor::kventry::LockIndex));
    w.append(qint64(e.lockIndex));
    w.append(qint64(cbor::kventry::Session));
    w.append(e.session);
    w.append(qint64(cbor::kventry::CreateIndex));
    w.append(qint64(e.index.createIndex));
    w.append(qint64(cbor::kventry::ModifyIndex));
    w.append(qint64(e.index.modifyIndex));
    w.endMap();
    w.endMap();
    w.endMap();
    return out;
}

/// Reads an integer that fits qint64 (what QCborValue would keep as an integer) and advances.
bool readInteger(QCborStreamReader &r, qint64 &out)
{
    if (!r.isInteger())
        return false;
    if (r.isUnsignedInteger() && r.toUnsignedInteger() > quint64(std::numeric_limits<qint64>::max()))
        return false;
    if (r.isNegativeInteger() && quint64(r.toNegativeInteger()) > (quint64(1) << 63))
        return false;
    out = r.toInteger();
    return r.next();
}

bool readText(QCborStreamReader &r, QString &out)
{
    if (!r.isString())
        return false;
    out.clear();
    auto chunk = r.readString();
    while (chunk.status == QCborStreamReader::Ok) {
        out += chunk.data;
        chunk = r.readString();
    }
    return chunk.status == QCborStreamReader::EndOfString;
}

bool readBytes(QCborStreamReader &r, QByteArray &out)
{
    if (!r.isByteArray())
        return false;
    out.clear();
    auto chunk = r.readByteArray();
    while (chunk.status == QCborStreamReader::Ok) {
        out += chunk.data;
        chunk = r.readByteArray();
    }
    return chunk.status == QCborStreamReader::EndOfString;
}

/// Iterates a map whose keys are integers; calls field(key) positioned on the value, which must
/// consume it (or return false with `why` set). Entries with other keys are skipped.
template <typename Field>
bool readIntMap(QCborStreamReader &r, const char *what, QString &why, Field field)
{
    if (!r.isMap() || !r.enterContainer()) {
        why = QStringLiteral("%1: expected a CBOR map").arg(QLatin1String(what));
        return false;
    }
    while (r.lastError() == QCborError::NoError && r.hasNext()) {
        qint64 key = -1;
        if (r.isInteger()) {
            if (!readInteger(r, key))
                key = -1;
        } else if (!r.next()) {
            break;
        }
        if (r.lastError() != QCborError::NoError || !r.hasNext())
            break;
        if (key < 0 || key > std::numeric_limits<int>::max()) {
            r.next();
            continue;
        }
        QString fieldError;
        if (!field(int(key), fieldError)) {
            if (r.lastError() == QCborError::NoError) {
                why = QStringLiteral("%1: field %2: %3").arg(QLatin1String(what)).arg(key).arg(fieldError);
                return false;
            }
            break;
        }
    }
    if (r.lastError() != QCborError::NoError || !r.leaveContainer()) {
        why = QStringLiteral("malformed CBOR: %1").arg(r.lastError().toString());
        return false;
    }
    return true;
}

bool readKvEntry(QCborStreamReader &r, model::KvEntry &e, QString &why)
{
    namespace k = cbor::kventry;
    return readIntMap(r, "kv entry", why, [&](int key, QString &err) {
        qint64 n = 0;
        switch (key) {
        case k::Key:
            return readText(r, e.key) || (err = QStringLiteral("expected text"), false);
        case k::Session:
            return readText(r, e.session) || (err = QStringLiteral("expected text"), false);
        case k::Value:
            return readBytes(r, e.value) || (err = QStringLiteral("expected a byte string"), false);
        case k::Flags:
        case k::LockIndex:
        case k::CreateIndex:
        case k::ModifyIndex:
            if (!readInteger(r, n)) {
                err = QStringLiteral("expected an integer");
                return false;
            }
            (key == k::Flags ? e.flags
             : key == k::LockIndex ? e.lockIndex
             : key == k::CreateIndex ? e.index.createIndex
                                     : e.index.modifyIndex) = quint64(n);
            return true;
        default:
            return r.next();
        }
    });
}

bool readKvCommand(QCborStreamReader &r, KvCommand &kv, QString &why)
{
    qint64 verb = -1;
    bool ok = readIntMap(r, "kv command", why, [&](int key, QString &err) {
        if (key == cbor::kvcommand::Verb) {
            if (!readInteger(r, verb)) {
                err = QStringLiteral("missing or non-integer verb");
                return false;
            }
            return true;
        }
        if (key == cbor::kvcommand::Entry) {
            QString inner;
            if (!readKvEntry(r, kv.entry, inner)) {
                err = inner;
                return false;
            }
            return true;
        }
        return r.next();
    });
    if (!ok)
        return false;
    if (verb == -1) {
        why = QStringLiteral("kv command: missing or non-integer verb");
        return false;
    }
    if (verb < 0 || verb > 255) {
        why = QStringLiteral("kv command: verb integer out of range");
        return false;
    }
    if (!isKnownVerb(verb)) {
        why = QStringLiteral("kv command: unknown verb %1").arg(verb);
        return false;
    }
    kv.verb = KvVerb(verb);
    return true;
}

// ---- Snapshot restore: one byte string of up to kMaxSnapshotRestoreBytes, written and read with
// the streaming API so that it is copied as few times as possible.

QByteArray encodeSnapshotRestore(const SnapshotRestoreCommand &restore)
{
    QByteArray out;
    out.reserve(restore.snapshot.size() + 32);
    QCborStreamWriter w(&out);
    w.startMap(2);
    w.append(qint64(cbor::command::Type));
    w.append(qint64(CommandType::SnapshotRestore));
    w.append(qint64(cbor::command::Body));
    w.startMap(1);
    w.append(qint64(cbor::snapshotrestore::Snapshot));
    w.append(restore.snapshot);
    w.endMap();
    w.endMap();
    return out;
}

bool readSnapshotRestore(QCborStreamReader &r, SnapshotRestoreCommand &restore, QString &why)
{
    bool haveSnapshot = false;
    const bool ok = readIntMap(r, "snapshot restore command", why, [&](int key, QString &err) {
        if (key != cbor::snapshotrestore::Snapshot)
            return r.next();
        haveSnapshot = readBytes(r, restore.snapshot);
        if (!haveSnapshot)
            err = QStringLiteral("expected a byte string");
        return haveSnapshot;
    });
    if (ok && !haveSnapshot)
        why = QStringLiteral("snapshot restore command: missing the snapshot");
    return ok && haveSnapshot;
}

}  // namespace

QByteArray encodeCommand(const Command &cmd)
{
    QCborValue body;
    if (const auto *kv = std::get_if<KvCommand>(&cmd.body)) {
        return encodeKv(*kv);
    } else if (const auto *reg = std::get_if<model::RegisterRequest>(&cmd.body)) {
        body = cbormodel::encode(*reg);
    } else if (const auto *dereg = std::get_if<model::DeregisterRequest>(&cmd.body)) {
        body = cbormodel::encode(*dereg);
    } else {
        return encodeSnapshotRestore(std::get<SnapshotRestoreCommand>(cmd.body));
    }
    QCborMap top;
    top.insert(cbor::command::Type, int(typeOf(cmd)));
    top.insert(cbor::command::Body, body);
    return top.toCborValue().toCbor();
}

std::optional<Command> decodeCommand(const QByteArray &bytes, QString *error)
{
    auto fail = [error](const QString &why) -> std::optional<Command> {
        setError(error, why);
        return std::nullopt;
    };
    auto malformed = [&](QCborStreamReader &r) {
        return fail(QStringLiteral("malformed CBOR: %1").arg(r.lastError().toString()));
    };
    if (bytes.isEmpty())
        return fail(QStringLiteral("empty command"));

    // Top level: find the type and the byte range of the body without decoding the body.
    QCborStreamReader r(bytes);
    if (r.lastError() != QCborError::NoError)
        return malformed(r);
    if (!r.isMap())
        return fail(QStringLiteral("command: expected a CBOR map"));
    if (!r.enterContainer())
        return malformed(r);
    qint64 type = -1;
    bool haveType = false;
    qsizetype bodyStart = -1, bodyEnd = -1;
    while (r.lastError() == QCborError::NoError && r.hasNext()) {
        qint64 key = -1;
        if (!r.isInteger() || !readInteger(r, key)) {
            key = -1;
            r.next();
        }
        if (r.lastError() != QCborError::NoError || !r.hasNext())
            break;
        if (key == cbor::command::Type) {
            haveType = readInteger(r, type);
            if (!haveType)
                r.next();
        } else if (key == cbor::command::Body) {
            bodyStart = qsizetype(r.currentOffset());
            r.next();
            bodyEnd = qsizetype(r.currentOffset());
        } else {
            r.next();
        }
    }
    if (r.lastError() != QCborError::NoError || !r.leaveContainer())
        return malformed(r);
    if (r.lastError() != QCborError::NoError)
        return malformed(r);
    if (r.currentOffset() != bytes.size())
        return fail(QStringLiteral("trailing bytes after the command"));
    if (!haveType)
        return fail(QStringLiteral("command: missing or non-integer type"));

    const QByteArray body = bodyStart < 0
        ? QByteArray()
        : QByteArray::fromRawData(bytes.constData() + bodyStart, bodyEnd - bodyStart);
    QString why;
    Command cmd;
    switch (type) {
    case qint64(CommandType::Kv): {
        if (body.isEmpty())
            return fail(QStringLiteral("kv command: expected a CBOR map"));
        QCborStreamReader br(body);
        KvCommand kv;
        if (!readKvCommand(br, kv, why))
            return fail(why);
        cmd.type = CommandType::Kv;
        cmd.body = kv;
        return cmd;
    }
    case qint64(CommandType::CatalogRegister): {
        model::RegisterRequest req;
        if (!cbormodel::decode(QCborValue::fromCbor(body), req, &why))
            return fail(why);
        cmd.type = CommandType::CatalogRegister;
        cmd.body = req;
        return cmd;
    }
    case qint64(CommandType::CatalogDeregister): {
        model::DeregisterRequest req;
        if (!cbormodel::decode(QCborValue::fromCbor(body), req, &why))
            return fail(why);
        cmd.type = CommandType::CatalogDeregister;
        cmd.body = req;
        return cmd;
    }
    case qint64(CommandType::SnapshotRestore): {
        if (body.isEmpty())
            return fail(QStringLiteral("snapshot restore command: expected a CBOR map"));
        QCborStreamReader br(body);
        SnapshotRestoreCommand restore;
        if (!readSnapshotRestore(br, restore, why))
            return fail(why);
        cmd.type = CommandType::SnapshotRestore;
        cmd.body = std::move(restore);
        return cmd;
    }
    default:
        return fail(QStringLiteral("unknown command type %1").arg(type));
    }
}

}  // namespace conclave::state
