#include "cli/kv_command.h"

#include "cli/command.h"
#include "cli/output.h"
#include "shared/json/codec.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace conclave::cli {

namespace {

const QString kGetUsage = QStringLiteral(
    "Usage: conclave kv get [options] [KEY_OR_PREFIX]\n"
    "  -recurse  -keys  -separator=<s> (default \"/\")  -detailed  -base64\n"
    "  -http-addr=<addr>  -token=<t>  -datacenter=<dc>  -stale");
const QString kPutUsage = QStringLiteral(
    "Usage: conclave kv put [options] KEY [DATA|@file|-]\n"
    "  -flags=<n>  -cas -modify-index=<n>  -acquire|-release -session=<id>  -base64\n"
    "  -http-addr=<addr>  -token=<t>  -datacenter=<dc>");
const QString kDeleteUsage = QStringLiteral(
    "Usage: conclave kv delete [options] KEY_OR_PREFIX\n"
    "  -recurse  -cas -modify-index=<n>  -http-addr=<addr>  -token=<t>  -datacenter=<dc>");
const QString kExportUsage = QStringLiteral(
    "Usage: conclave kv export [options] [PREFIX]\n  -http-addr=<addr>  -token=<t>");
const QString kImportUsage = QStringLiteral(
    "Usage: conclave kv import [options] [DATA|@file|-]\n  -http-addr=<addr>  -token=<t>");
const QString kKvUsage = QStringLiteral(
    "Usage: conclave kv <subcommand> [options] [args]\n"
    "\n"
    "Subcommands:\n"
    "    delete    Removes data from the KV store\n"
    "    export    Exports a tree from the KV store as JSON\n"
    "    get       Retrieves or lists data from the KV store\n"
    "    import    Imports a tree stored as JSON to the KV store\n"
    "    put       Sets or updates data in the KV store");

QList<FlagSpec> withHttp(QList<FlagSpec> specs)
{
    specs.append(httpFlags());
    return specs;
}

QString kvPath(const QString &key) { return QStringLiteral("/v1/kv/") + key; }

// Query parameters every verb takes from -datacenter / -stale.
QUrlQuery baseQuery(const ParsedFlags &flags)
{
    QUrlQuery q;
    if (!flags.value(QStringLiteral("datacenter")).isEmpty())
        q.addQueryItem(QStringLiteral("dc"), flags.value(QStringLiteral("datacenter")));
    if (flags.boolean(QStringLiteral("stale")))
        q.addQueryItem(QStringLiteral("stale"), QString());
    return q;
}

// Consul strips one leading "/" since keys never start with it.
QString normaliseKey(QString key)
{
    if (key.startsWith(u'/'))
        key.remove(0, 1);
    return key;
}

// DATA, @file or - (stdin); nullopt after printing an error.
std::optional<QByteArray> readData(const QString &arg, const CliIo &io)
{
    if (arg == u"-")
        return io.in ? io.in->readAll() : QByteArray();
    if (arg.startsWith(u'@')) {
        QFile file(arg.mid(1));
        if (!file.open(QIODevice::ReadOnly)) {
            io.error(QStringLiteral("Error! Failed to read file: ") + file.errorString());
            return std::nullopt;
        }
        return file.readAll();
    }
    return arg.toUtf8();
}

bool bodyIsTrue(const QByteArray &body) { return body.trimmed() == "true"; }

int tooManyArgs(const CliIo &io, const QString &expected, qsizetype got)
{
    io.error(QStringLiteral("Too many arguments (expected %1, got %2)").arg(expected).arg(got));
    return 1;
}

int kvGet(const QStringList &args, const CliIo &io)
{
    int code = 0;
    const auto flags = parseVerbFlags(
        args,
        withHttp({{QStringLiteral("recurse"), true, QString()},
                  {QStringLiteral("keys"), true, QString()},
                  {QStringLiteral("separator"), false, QStringLiteral("/")},
                  {QStringLiteral("detailed"), true, QString()},
                  {QStringLiteral("base64"), true, QString()}}),
        kGetUsage, io, &code);
    if (!flags)
        return code;
    if (flags->positional.size() > 1)
        return tooManyArgs(io, QStringLiteral("1"), flags->positional.size());
    const QString key = normaliseKey(flags->positional.value(0));
    const bool recurse = flags->boolean(QStringLiteral("recurse"));
    const bool keys = flags->boolean(QStringLiteral("keys"));
    const bool detailed = flags->boolean(QStringLiteral("detailed"));
    const bool base64 = flags->boolean(QStringLiteral("base64"));
    if (key.isEmpty() && !recurse && !keys) {
        io.error(QStringLiteral("Error! Missing KEY argument"));
        return 1;
    }

    AgentClient client = makeClient(*flags, io);
    QUrlQuery query = baseQuery(*flags);
    if (keys) {
        query.addQueryItem(QStringLiteral("keys"), QString());
        if (!flags->value(QStringLiteral("separator")).isEmpty())
            query.addQueryItem(QStringLiteral("separator"), flags->value(QStringLiteral("separator")));
    } else if (recurse) {
        query.addQueryItem(QStringLiteral("recurse"), QString());
    }
    const HttpResult result = client.get(kvPath(key), query);
    if (result.reached && result.status == 404) {
        if (keys || recurse)
            return 0;  // nothing under the prefix: Consul prints nothing
        io.error(QStringLiteral("Error! No key exists at: ") + key);
        return 1;
    }
    if (const int failed = reportFailure(result, client, io))
        return failed;

    if (keys) {
        for (const QJsonValue &k : QJsonDocument::fromJson(result.body).array())
            io.print(k.toString());
        return 0;
    }
    const QList<model::KvEntry> entries = kvEntriesFromBody(result.body);
    if (recurse) {
        io.out->write(formatKvList(entries, detailed, base64));
        return 0;
    }
    if (entries.isEmpty()) {
        io.error(QStringLiteral("Error! No key exists at: ") + key);
        return 1;
    }
    const model::KvEntry &entry = entries.first();
    if (detailed) {
        io.out->write(formatKvDetailed(entry, base64) + '\n');
    } else if (!entry.value.isEmpty()) {
        io.out->write((base64 ? entry.value.toBase64() : entry.value) + '\n');
    }
    return 0;
}

int kvPut(const QStringList &args, const CliIo &io)
{
    int code = 0;
    const auto flags = parseVerbFlags(
        args,
        withHttp({{QStringLiteral("flags"), false, QStringLiteral("0")},
                  {QStringLiteral("cas"), true, QString()},
                  {QStringLiteral("modify-index"), false, QStringLiteral("0")},
                  {QStringLiteral("acquire"), true, QString()},
                  {QStringLiteral("release"), true, QString()},
                  {QStringLiteral("session"), false, QString()},
                  {QStringLiteral("base64"), true, QString()}}),
        kPutUsage, io, &code);
    if (!flags)
        return code;
    const QStringList &pos = flags->positional;
    if (pos.isEmpty()) {
        io.error(QStringLiteral("Error! Missing KEY argument"));
        return 1;
    }
    if (pos.size() > 2)
        return tooManyArgs(io, QStringLiteral("1 or 2"), pos.size());
    const QString key = normaliseKey(pos[0]);
    if (key.isEmpty()) {
        io.error(QStringLiteral("Error! Missing KEY argument"));
        return 1;
    }
    QString error;
    const auto flagValue = flags->unsignedValue(QStringLiteral("flags"), &error);
    const auto modifyIndex = flags->unsignedValue(QStringLiteral("modify-index"), &error);
    if (!flagValue || !modifyIndex) {
        io.error(error);
        return 1;
    }
    const bool cas = flags->boolean(QStringLiteral("cas"));
    const bool acquire = flags->boolean(QStringLiteral("acquire"));
    const bool release = flags->boolean(QStringLiteral("release"));
    const QString session = flags->value(QStringLiteral("session"));
    if ((acquire || release) && session.isEmpty()) {
        io.error(QStringLiteral("Error! Missing -session (required with -acquire and -release)"));
        return 1;
    }
    QByteArray data;
    if (pos.size() == 2) {
        const auto read = readData(pos[1], io);
        if (!read)
            return 1;
        data = *read;
    }
    if (flags->boolean(QStringLiteral("base64"))) {
        const auto decoded = QByteArray::fromBase64Encoding(data.trimmed(),
                                                            QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded) {
            io.error(QStringLiteral("Error! Cannot base 64 decode data: illegal base64 data"));
            return 1;
        }
        data = *decoded;
    }

    AgentClient client = makeClient(*flags, io);
    QUrlQuery query = baseQuery(*flags);
    if (*flagValue != 0)
        query.addQueryItem(QStringLiteral("flags"), QString::number(*flagValue));
    if (cas)
        query.addQueryItem(QStringLiteral("cas"), QString::number(*modifyIndex));
    if (acquire)
        query.addQueryItem(QStringLiteral("acquire"), session);
    if (release)
        query.addQueryItem(QStringLiteral("release"), session);
    const HttpResult result = client.put(kvPath(key), query, data);
    if (const int failed = reportFailure(result, client, io))
        return failed;
    const bool written = bodyIsTrue(result.body);
    if (cas && !written) {
        io.error(QStringLiteral("Error! Did not write to %1: CAS failed").arg(key));
        return 1;
    }
    if (acquire) {
        if (!written) {
            io.error(QStringLiteral("Error! Did not acquire lock"));
            return 1;
        }
        io.print(QStringLiteral("Success! Lock acquired on: ") + key);
        return 0;
    }
    if (release) {
        if (!written) {
            io.error(QStringLiteral("Error! Did not release lock"));
            return 1;
        }
        io.print(QStringLiteral("Success! Lock released on: ") + key);
        return 0;
    }
    io.print(QStringLiteral("Success! Data written to: ") + key);
    return 0;
}

int kvDelete(const QStringList &args, const CliIo &io)
{
    int code = 0;
    const auto flags = parseVerbFlags(args,
                                      withHttp({{QStringLiteral("recurse"), true, QString()},
                                                {QStringLiteral("cas"), true, QString()},
                                                {QStringLiteral("modify-index"), false,
                                                 QStringLiteral("0")}}),
                                      kDeleteUsage, io, &code);
    if (!flags)
        return code;
    if (flags->positional.size() > 1)
        return tooManyArgs(io, QStringLiteral("1"), flags->positional.size());
    const QString key = normaliseKey(flags->positional.value(0));
    const bool recurse = flags->boolean(QStringLiteral("recurse"));
    const bool cas = flags->boolean(QStringLiteral("cas"));
    QString error;
    const auto modifyIndex = flags->unsignedValue(QStringLiteral("modify-index"), &error);
    if (!modifyIndex) {
        io.error(error);
        return 1;
    }
    if (key.isEmpty() && !recurse) {
        io.error(QStringLiteral("Error! Missing KEY argument"));
        return 1;
    }
    if (cas && recurse) {
        io.error(QStringLiteral("Cannot specify both -cas and -recurse!"));
        return 1;
    }
    if (cas && *modifyIndex == 0) {
        io.error(QStringLiteral("Must specify -modify-index with -cas!"));
        return 1;
    }

    AgentClient client = makeClient(*flags, io);
    QUrlQuery query = baseQuery(*flags);
    if (recurse)
        query.addQueryItem(QStringLiteral("recurse"), QString());
    if (cas)
        query.addQueryItem(QStringLiteral("cas"), QString::number(*modifyIndex));
    const HttpResult result = client.del(kvPath(key), query);
    if (const int failed = reportFailure(result, client, io))
        return failed;
    if (cas && !bodyIsTrue(result.body)) {
        io.error(QStringLiteral("Error! Did not delete key %1: CAS failed").arg(key));
        return 1;
    }
    io.print(recurse ? QStringLiteral("Success! Deleted keys with prefix: ") + key
                     : QStringLiteral("Success! Deleted key: ") + key);
    return 0;
}

int kvExport(const QStringList &args, const CliIo &io)
{
    int code = 0;
    const auto flags = parseVerbFlags(args, httpFlags(), kExportUsage, io, &code);
    if (!flags)
        return code;
    if (flags->positional.size() > 1)
        return tooManyArgs(io, QStringLiteral("1"), flags->positional.size());
    const QString prefix = normaliseKey(flags->positional.value(0));
    AgentClient client = makeClient(*flags, io);
    QUrlQuery query = baseQuery(*flags);
    query.addQueryItem(QStringLiteral("recurse"), QString());
    const HttpResult result = client.get(kvPath(prefix), query);
    QList<model::KvEntry> entries;
    if (!(result.reached && result.status == 404)) {
        if (const int failed = reportFailure(result, client, io))
            return failed;
        entries = kvEntriesFromBody(result.body);
    }
    io.out->write(formatKvExport(entries));
    return 0;
}

int kvImport(const QStringList &args, const CliIo &io)
{
    int code = 0;
    const auto flags = parseVerbFlags(args, httpFlags(), kImportUsage, io, &code);
    if (!flags)
        return code;
    if (flags->positional.size() > 1)
        return tooManyArgs(io, QStringLiteral("1"), flags->positional.size());
    const auto data = readData(flags->positional.value(0, QStringLiteral("-")), io);
    if (!data)
        return 1;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(*data, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isArray()) {
        io.error(QStringLiteral("Cannot unmarshal data: ")
                 + (doc.isArray() || parseError.error != QJsonParseError::NoError
                        ? parseError.errorString()
                        : QStringLiteral("expected a JSON array")));
        return 1;
    }
    QString error;
    const auto entries = json::kvImportFromJson(doc.array(), &error);
    if (!entries) {
        io.error(error);
        return 1;
    }
    AgentClient client = makeClient(*flags, io);
    for (const model::KvEntry &e : *entries) {
        QUrlQuery query = baseQuery(*flags);
        if (e.flags != 0)
            query.addQueryItem(QStringLiteral("flags"), QString::number(e.flags));
        const HttpResult result = client.put(kvPath(e.key), query, e.value);
        if (reportFailure(result, client, io) != 0) {
            io.error(QStringLiteral("Error! Failed writing data for key %1").arg(e.key));
            return 1;
        }
        io.print(QStringLiteral("Imported: ") + e.key);
    }
    return 0;
}

}  // namespace

QByteArray formatKvDetailed(const model::KvEntry &e, bool base64Value)
{
    const QList<QStringList> rows{
        {QStringLiteral("CreateIndex"), QString::number(e.index.createIndex)},
        {QStringLiteral("Flags"), QString::number(e.flags)},
        {QStringLiteral("Key"), e.key},
        {QStringLiteral("LockIndex"), QString::number(e.lockIndex)},
        {QStringLiteral("ModifyIndex"), QString::number(e.index.modifyIndex)},
        {QStringLiteral("Session"), e.session.isEmpty() ? QStringLiteral("-") : e.session},
        {QStringLiteral("Value"), QString()}};
    // The value goes in raw (it may not be UTF-8), after the aligned "Value" label.
    QByteArray text = tabulate(rows).toUtf8();
    text += base64Value ? e.value.toBase64() : e.value;
    return text;
}

QByteArray formatKvList(const QList<model::KvEntry> &entries, bool detailed, bool base64Value)
{
    QByteArray out;
    for (qsizetype i = 0; i < entries.size(); ++i) {
        const model::KvEntry &e = entries[i];
        if (detailed) {
            out += formatKvDetailed(e, base64Value) + '\n';
            if (i + 1 < entries.size())
                out += '\n';
        } else {
            out += e.key.toUtf8() + ':' + (base64Value ? e.value.toBase64() : e.value) + '\n';
        }
    }
    return out;
}

QByteArray formatKvExport(const QList<model::KvEntry> &entries)
{
    // Consul indents with tabs (json.MarshalIndent(…, "", "\t")); our encoder uses 4 spaces.
    const QByteArray pretty = json::encode(json::kvExportToJson(entries), true);
    QByteArray out;
    for (const QByteArray &line : pretty.split('\n')) {
        if (line.isEmpty())
            continue;
        qsizetype spaces = 0;
        while (spaces < line.size() && line[spaces] == ' ')
            ++spaces;
        out += QByteArray(spaces / 4, '\t') + line.mid(spaces) + '\n';
    }
    return out;
}

QList<model::KvEntry> kvEntriesFromBody(const QByteArray &body)
{
    QList<model::KvEntry> out;
    for (const QJsonValue &v : QJsonDocument::fromJson(body).array())
        out.append(json::kvEntryFromJson(v.toObject()));
    return out;
}

int runKv(const QStringList &args, const CliIo &io)
{
    const QString sub = args.value(0);
    const QStringList rest = args.mid(1);
    if (sub == u"get")
        return kvGet(rest, io);
    if (sub == u"put")
        return kvPut(rest, io);
    if (sub == u"delete")
        return kvDelete(rest, io);
    if (sub == u"export")
        return kvExport(rest, io);
    if (sub == u"import")
        return kvImport(rest, io);
    io.error(kKvUsage);
    return sub == u"-h" || sub == u"-help" || sub == u"--help" ? 0 : 2;
}

}  // namespace conclave::cli
