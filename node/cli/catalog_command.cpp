#include "cli/catalog_command.h"

#include "cli/command.h"
#include "cli/output.h"
#include "shared/json/codec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace conclave::cli {

namespace {

const QString kCatalogUsage = QStringLiteral(
    "Usage: conclave catalog <subcommand> [options] [args]\n"
    "\n"
    "Subcommands:\n"
    "    datacenters    Lists all known datacenters\n"
    "    nodes          Lists all nodes in the given datacenter\n"
    "    services       Lists all registered services in a datacenter");
const QString kServicesUsage = QStringLiteral(
    "Usage: conclave catalog services [options]\n"
    "  -tags  -http-addr=<addr>  -token=<t>  -datacenter=<dc>  -stale");
const QString kNodesUsage = QStringLiteral(
    "Usage: conclave catalog nodes [options]\n"
    "  -http-addr=<addr>  -token=<t>  -datacenter=<dc>  -stale");
const QString kDatacentersUsage = QStringLiteral(
    "Usage: conclave catalog datacenters [options]\n  -http-addr=<addr>  -token=<t>");

QUrlQuery baseQuery(const ParsedFlags &flags)
{
    QUrlQuery q;
    if (!flags.value(QStringLiteral("datacenter")).isEmpty())
        q.addQueryItem(QStringLiteral("dc"), flags.value(QStringLiteral("datacenter")));
    if (flags.boolean(QStringLiteral("stale")))
        q.addQueryItem(QStringLiteral("stale"), QString());
    return q;
}

// Runs one GET verb: flags, request, error reporting. nullopt = exit with *code.
std::optional<QByteArray> fetch(const QStringList &args, QList<FlagSpec> specs,
                                const QString &usage, const QString &path, const CliIo &io,
                                int *code, ParsedFlags *parsed)
{
    specs.append(httpFlags());
    const auto flags = parseVerbFlags(args, specs, usage, io, code);
    if (!flags)
        return std::nullopt;
    if (!flags->positional.isEmpty()) {
        io.error(QStringLiteral("Too many arguments (expected 0, got %1)")
                     .arg(flags->positional.size()));
        *code = 1;
        return std::nullopt;
    }
    AgentClient client = makeClient(*flags, io);
    const HttpResult result = client.get(path, baseQuery(*flags));
    if ((*code = reportFailure(result, client, io)) != 0)
        return std::nullopt;
    *parsed = *flags;
    return result.body;
}

int catalogServices(const QStringList &args, const CliIo &io)
{
    int code = 0;
    ParsedFlags flags;
    const auto body = fetch(args, {{QStringLiteral("tags"), true, QString()}}, kServicesUsage,
                            QStringLiteral("/v1/catalog/services"), io, &code, &flags);
    if (!body)
        return code;
    const auto services = catalogServicesFromBody(*body);
    if (services.isEmpty()) {
        io.error(QStringLiteral("No services match the given query - try expanding your search."));
        return 0;
    }
    io.out->write(formatCatalogServices(services, flags.boolean(QStringLiteral("tags"))).toUtf8());
    return 0;
}

int catalogNodes(const QStringList &args, const CliIo &io)
{
    int code = 0;
    ParsedFlags flags;
    const auto body = fetch(args, {}, kNodesUsage, QStringLiteral("/v1/catalog/nodes"), io, &code,
                            &flags);
    if (!body)
        return code;
    const auto nodes = catalogNodesFromBody(*body);
    if (nodes.isEmpty()) {
        io.error(QStringLiteral("No nodes match the given query - try expanding your search."));
        return 0;
    }
    io.out->write(formatCatalogNodes(nodes).toUtf8());
    return 0;
}

int catalogDatacenters(const QStringList &args, const CliIo &io)
{
    int code = 0;
    ParsedFlags flags;
    const auto body = fetch(args, {}, kDatacentersUsage, QStringLiteral("/v1/catalog/datacenters"),
                            io, &code, &flags);
    if (!body)
        return code;
    const QJsonArray dcs = QJsonDocument::fromJson(*body).array();
    if (dcs.isEmpty()) {
        io.error(QStringLiteral("No datacenters found"));
        return 1;
    }
    for (const QJsonValue &dc : dcs)
        io.print(dc.toString());
    return 0;
}

}  // namespace

QString formatCatalogServices(const QMap<QString, QStringList> &services, bool withTags)
{
    QString out;
    if (!withTags) {
        for (auto it = services.cbegin(); it != services.cend(); ++it)  // QMap: sorted
            out += it.key() + u'\n';
        return out;
    }
    QList<QStringList> rows;
    for (auto it = services.cbegin(); it != services.cend(); ++it) {
        QStringList tags = it.value();
        tags.sort();
        rows.append({it.key(), tags.join(u',')});
    }
    // Consul trims the whole block, so only the last line loses its padding.
    return tabulate(rows).trimmed() + u'\n';
}

QString formatCatalogNodes(const QList<model::Node> &nodes)
{
    QList<QStringList> rows{{QStringLiteral("Node"), QStringLiteral("ID"),
                             QStringLiteral("Address"), QStringLiteral("DC")}};
    for (const model::Node &n : nodes)
        rows.append({n.node, n.id.left(8), n.address, n.datacenter});
    return columnize(rows);
}

QMap<QString, QStringList> catalogServicesFromBody(const QByteArray &body)
{
    QMap<QString, QStringList> out;
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
        QStringList tags;
        for (const QJsonValue &t : it.value().toArray())
            tags.append(t.toString());
        out.insert(it.key(), tags);
    }
    return out;
}

QList<model::Node> catalogNodesFromBody(const QByteArray &body)
{
    QList<model::Node> out;
    for (const QJsonValue &v : QJsonDocument::fromJson(body).array())
        out.append(json::nodeFromJson(v.toObject()));
    return out;
}

int runCatalog(const QStringList &args, const CliIo &io)
{
    const QString sub = args.value(0);
    const QStringList rest = args.mid(1);
    if (sub == u"services")
        return catalogServices(rest, io);
    if (sub == u"nodes")
        return catalogNodes(rest, io);
    if (sub == u"datacenters")
        return catalogDatacenters(rest, io);
    io.error(kCatalogUsage);
    return sub == u"-h" || sub == u"-help" || sub == u"--help" ? 0 : 2;
}

}  // namespace conclave::cli
