#include "cli/services_command.h"

#include "cli/command.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

namespace conclave::cli {

namespace {

const char kServicesUsage[] =
    "Usage: conclave services <subcommand> [options] [args]\n"
    "\n"
    "  Register and deregister services on the local agent.\n"
    "\n"
    "Subcommands:\n"
    "    deregister    Deregister services from the local agent\n"
    "    register      Register services with the local agent";

const char kRegisterUsage[] =
    "Usage: conclave services register [options] [FILE...]\n"
    "\n"
    "  Register one or more services using the local agent API. Services can\n"
    "  be registered from standard Consul configuration files (a \"service\" object\n"
    "  or a \"services\" array) or using flags:\n"
    "\n"
    "      $ conclave services register web.json\n"
    "      $ conclave services register -name=web -port=8080 -tag=v2\n"
    "\n"
    "  -name, -id, -address, -port, -tag (repeatable), -meta key=value (repeatable),\n"
    "  -http-addr, -token.";

const char kDeregisterUsage[] =
    "Usage: conclave services deregister [options] [FILE...]\n"
    "\n"
    "  Deregister one or more services that were previously registered with\n"
    "  the local agent:\n"
    "\n"
    "      $ conclave services deregister web.json\n"
    "      $ conclave services deregister -id=web\n"
    "\n"
    "  -id, -http-addr, -token.";

QString stringIgnoringCase(const QJsonObject &o, const QString &key)
{
    return valueIgnoringCase(o, key).toString();
}

// Go api client's error for a non-2xx answer, or the transport error.
QString callError(const HttpResult &r)
{
    if (!r.reached)
        return r.error;
    return QStringLiteral("Unexpected response code: %1 (%2)").arg(r.status).arg(QString::fromUtf8(r.body).trimmed());
}

std::optional<QList<QJsonObject>> servicesFromFiles(const QStringList &files, const CliIo &io)
{
    QList<QJsonObject> all;
    for (const QString &file : files) {
        QFile f(file);
        if (!f.open(QIODevice::ReadOnly)) {
            io.error(QStringLiteral("Error: Error loading %1: %2").arg(file, f.errorString()));
            return std::nullopt;
        }
        QString error;
        auto services = servicesFromFileContent(f.readAll(), file, &error);
        if (!services) {
            io.error(QStringLiteral("Error: ") + error);
            return std::nullopt;
        }
        all += *services;
    }
    return all;
}

int runRegister(const QStringList &args, const CliIo &io)
{
    QList<FlagSpec> specs = httpFlags();
    specs += {{QStringLiteral("name"), false, QString()}, {QStringLiteral("id"), false, QString()},
              {QStringLiteral("address"), false, QString()}, {QStringLiteral("port"), false, QStringLiteral("0")},
              {QStringLiteral("tag"), false, QString()}, {QStringLiteral("meta"), false, QString()}};
    int code = 0;
    const auto flags = parseVerbFlags(args, specs, QString::fromLatin1(kRegisterUsage), io, &code);
    if (!flags)
        return code;
    const QString name = flags->value(QStringLiteral("name"));
    if (flags->positional.isEmpty() && name.isEmpty()) {
        io.error(QStringLiteral("Service registration requires at least one argument or flags."));
        return 1;
    }
    if (!flags->positional.isEmpty() && !name.isEmpty()) {
        io.error(QStringLiteral("Service registration requires arguments or -id, not both."));
        return 1;
    }
    QList<QJsonObject> services;
    if (!flags->positional.isEmpty()) {
        auto fromFiles = servicesFromFiles(flags->positional, io);
        if (!fromFiles)
            return 1;
        services = *fromFiles;
    } else {
        bool ok = false;
        const int port = flags->value(QStringLiteral("port")).toInt(&ok);
        if (!ok) {
            io.error(QStringLiteral("invalid value \"%1\" for flag -port: parse error").arg(flags->value(QStringLiteral("port"))));
            return 1;
        }
        QString error;
        auto svc = serviceFromFlags(name, flags->value(QStringLiteral("id")), flags->value(QStringLiteral("address")), port,
                                    flags->values(QStringLiteral("tag")), flags->values(QStringLiteral("meta")), &error);
        if (!svc) {
            io.error(error);
            return 1;
        }
        services.append(*svc);
    }
    AgentClient client = makeClient(*flags, io);
    for (const QJsonObject &svc : std::as_const(services)) {
        const QString svcName = stringIgnoringCase(svc, QStringLiteral("Name"));
        const HttpResult r = client.put(QStringLiteral("/v1/agent/service/register"), {},
                                        QJsonDocument(svc).toJson(QJsonDocument::Compact));
        if (!r.reached || r.status < 200 || r.status > 299) {
            io.error(QStringLiteral("Error registering service \"%1\": %2").arg(svcName, callError(r)));
            return 1;
        }
        io.print(QStringLiteral("Registered service: ") + svcName);
    }
    return 0;
}

int runDeregister(const QStringList &args, const CliIo &io)
{
    QList<FlagSpec> specs = httpFlags();
    specs += {{QStringLiteral("id"), false, QString()}};
    int code = 0;
    const auto flags = parseVerbFlags(args, specs, QString::fromLatin1(kDeregisterUsage), io, &code);
    if (!flags)
        return code;
    const QString flagId = flags->value(QStringLiteral("id"));
    if (flags->positional.isEmpty() && flagId.isEmpty()) {
        io.error(QStringLiteral("Service deregistration requires at least one argument or -id."));
        return 1;
    }
    if (!flags->positional.isEmpty() && !flagId.isEmpty()) {
        io.error(QStringLiteral("Service deregistration requires arguments or -id, not both."));
        return 1;
    }
    QStringList ids;
    if (!flags->positional.isEmpty()) {
        auto fromFiles = servicesFromFiles(flags->positional, io);
        if (!fromFiles)
            return 1;
        for (const QJsonObject &svc : std::as_const(*fromFiles)) {
            // As Consul: the ID, else the name (the ID a registration defaults to).
            QString id = stringIgnoringCase(svc, QStringLiteral("ID"));
            if (id.isEmpty())
                id = stringIgnoringCase(svc, QStringLiteral("Name"));
            if (!id.isEmpty())
                ids.append(id);
        }
    } else {
        ids.append(flagId);
    }
    AgentClient client = makeClient(*flags, io);
    for (const QString &id : std::as_const(ids)) {
        const HttpResult r = client.put(QStringLiteral("/v1/agent/service/deregister/") + QString::fromUtf8(QUrl::toPercentEncoding(id)),
                                        {}, {});
        if (!r.reached || r.status < 200 || r.status > 299) {
            io.error(QStringLiteral("Error deregistering service \"%1\": %2").arg(id, callError(r)));
            return 1;
        }
        io.print(QStringLiteral("Deregistered service: ") + id);
    }
    return 0;
}

}  // namespace

QJsonValue valueIgnoringCase(const QJsonObject &object, const QString &key)
{
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        if (it.key().compare(key, Qt::CaseInsensitive) == 0)
            return it.value();
    }
    return QJsonValue(QJsonValue::Undefined);
}

std::optional<QList<QJsonObject>> servicesFromFileContent(const QByteArray &content, const QString &fileName,
                                                          QString *error)
{
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(content, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QStringLiteral("Error loading %1: %2")
                     .arg(fileName, parseError.error != QJsonParseError::NoError ? parseError.errorString()
                                                                                  : QStringLiteral("not a JSON object"));
        return std::nullopt;
    }
    QList<QJsonObject> out;
    const QJsonValue one = valueIgnoringCase(doc.object(), QStringLiteral("service"));
    if (!one.isUndefined()) {
        if (!one.isObject()) {
            *error = QStringLiteral("Error loading %1: 'service' must be an object").arg(fileName);
            return std::nullopt;
        }
        out.append(one.toObject());
    }
    const QJsonValue many = valueIgnoringCase(doc.object(), QStringLiteral("services"));
    if (!many.isUndefined()) {
        if (!many.isArray()) {
            *error = QStringLiteral("Error loading %1: 'services' must be an array").arg(fileName);
            return std::nullopt;
        }
        for (const QJsonValue &v : many.toArray()) {
            if (!v.isObject()) {
                *error = QStringLiteral("Error loading %1: each of 'services' must be an object").arg(fileName);
                return std::nullopt;
            }
            out.append(v.toObject());
        }
    }
    if (out.isEmpty()) {
        *error = QStringLiteral("Error loading %1: no \"service\" or \"services\" definition").arg(fileName);
        return std::nullopt;
    }
    return out;
}

std::optional<QJsonObject> serviceFromFlags(const QString &name, const QString &id, const QString &address, int port,
                                            const QStringList &tags, const QStringList &meta, QString *error)
{
    QJsonObject svc{{QStringLiteral("Name"), name}};
    if (!id.isEmpty())
        svc.insert(QStringLiteral("ID"), id);
    if (!address.isEmpty())
        svc.insert(QStringLiteral("Address"), address);
    if (port != 0)
        svc.insert(QStringLiteral("Port"), port);
    if (!tags.isEmpty())
        svc.insert(QStringLiteral("Tags"), QJsonArray::fromStringList(tags));
    if (!meta.isEmpty()) {
        QJsonObject m;
        for (const QString &kv : meta) {
            const qsizetype eq = kv.indexOf(u'=');
            if (eq <= 0) {
                *error = QStringLiteral("invalid value \"%1\" for flag -meta: must be key=value").arg(kv);
                return std::nullopt;
            }
            m.insert(kv.left(eq), kv.mid(eq + 1));
        }
        svc.insert(QStringLiteral("Meta"), m);
    }
    return svc;
}

int runServices(const QStringList &args, const CliIo &io)
{
    const QString sub = args.value(0);
    if (sub == u"register")
        return runRegister(args.mid(1), io);
    if (sub == u"deregister")
        return runDeregister(args.mid(1), io);
    if (sub.isEmpty() || sub == u"-h" || sub == u"-help" || sub == u"--help") {
        io.error(QString::fromLatin1(kServicesUsage));
        return sub.isEmpty() ? 1 : 0;
    }
    io.error(QStringLiteral("Unknown subcommand: ") + sub);
    io.error(QString::fromLatin1(kServicesUsage));
    return 1;
}

}  // namespace conclave::cli
