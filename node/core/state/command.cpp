#include "core/state/command.h"

#include "core/state/cbor_model.h"

#include <QCborMap>
#include <QCborStreamReader>

namespace conclave::state {

namespace {

CommandType typeOf(const Command &cmd)
{
    // The body decides: a Command whose `type` disagrees with its body cannot be encoded wrongly.
    switch (cmd.body.index()) {
    case 0: return CommandType::Kv;
    case 1: return CommandType::CatalogRegister;
    default: return CommandType::CatalogDeregister;
    }
}

bool setError(QString *error, const QString &text)
{
    if (error)
        *error = text;
    return false;
}

bool isKnownVerb(quint8 v)
{
    return v >= quint8(KvVerb::Set) && v <= quint8(KvVerb::Unlock);
}

}  // namespace

QByteArray encodeCommand(const Command &cmd)
{
    QCborValue body;
    if (const auto *kv = std::get_if<KvCommand>(&cmd.body)) {
        QCborMap m;
        m.insert(cbor::kvcommand::Verb, int(kv->verb));
        m.insert(cbor::kvcommand::Entry, cbormodel::encode(kv->entry));
        body = m;
    } else if (const auto *reg = std::get_if<model::RegisterRequest>(&cmd.body)) {
        body = cbormodel::encode(*reg);
    } else {
        body = cbormodel::encode(std::get<model::DeregisterRequest>(cmd.body));
    }
    QCborMap top;
    top.insert(cbor::command::Type, int(typeOf(cmd)));
    top.insert(cbor::command::Body, body);
    return top.toCborValue().toCbor();
}

std::optional<Command> decodeCommand(const QByteArray &bytes, QString *error)
{
    if (bytes.isEmpty()) {
        setError(error, QStringLiteral("empty command"));
        return std::nullopt;
    }
    QCborStreamReader reader(bytes);
    const QCborValue top = QCborValue::fromCbor(reader);
    if (reader.lastError() != QCborError::NoError) {
        setError(error, QStringLiteral("malformed CBOR: %1").arg(reader.lastError().toString()));
        return std::nullopt;
    }
    if (reader.currentOffset() != bytes.size()) {
        setError(error, QStringLiteral("trailing bytes after the command"));
        return std::nullopt;
    }
    cbormodel::MapReader r(top, "command");
    qint64 rawType = -1;
    if (r.ok()) {
        const QCborValue t = r.value(cbor::command::Type);
        if (!t.isInteger()) {
            setError(error, QStringLiteral("command: missing or non-integer type"));
            return std::nullopt;
        }
        rawType = t.toInteger();
    } else {
        setError(error, r.error());
        return std::nullopt;
    }
    const QCborValue body = r.value(cbor::command::Body);
    QString why;
    Command cmd;
    switch (rawType) {
    case qint64(CommandType::Kv): {
        KvCommand kv;
        cbormodel::MapReader kr(body, "kv command");
        quint8 verb = 0;
        const QCborValue v = kr.value(cbor::kvcommand::Verb);
        if (kr.ok() && !v.isInteger())
            kr.fail(cbor::kvcommand::Verb, QStringLiteral("missing or non-integer verb"));
        kr.u8(cbor::kvcommand::Verb, verb);
        if (kr.ok() && !isKnownVerb(verb))
            kr.fail(cbor::kvcommand::Verb, QStringLiteral("unknown verb %1").arg(verb));
        const QCborValue entry = kr.value(cbor::kvcommand::Entry);
        if (kr.ok() && !cbormodel::decode(entry, kv.entry, &why))
            kr.fail(cbor::kvcommand::Entry, why);
        if (!kr.ok()) {
            setError(error, kr.error());
            return std::nullopt;
        }
        kv.verb = KvVerb(verb);
        cmd.type = CommandType::Kv;
        cmd.body = kv;
        break;
    }
    case qint64(CommandType::CatalogRegister): {
        model::RegisterRequest req;
        if (!cbormodel::decode(body, req, &why)) {
            setError(error, why);
            return std::nullopt;
        }
        cmd.type = CommandType::CatalogRegister;
        cmd.body = req;
        break;
    }
    case qint64(CommandType::CatalogDeregister): {
        model::DeregisterRequest req;
        if (!cbormodel::decode(body, req, &why)) {
            setError(error, why);
            return std::nullopt;
        }
        cmd.type = CommandType::CatalogDeregister;
        cmd.body = req;
        break;
    }
    default:
        setError(error, QStringLiteral("unknown command type %1").arg(rawType));
        return std::nullopt;
    }
    return cmd;
}

}  // namespace conclave::state
