#include "cli/operator_command.h"

#include "cli/command.h"
#include "cli/output.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace conclave::cli {

namespace {

const QString kOperatorUsage = QStringLiteral(
    "Usage: conclave operator raft <subcommand> [options]\n"
    "  list-peers   [-stale]                 Shows the Raft peer configuration\n"
    "  remove-peer  -id=<id> | -address=<ip:port>   Removes a server from the Raft configuration\n"
    "  common: -http-addr=<addr>  -token=<t>");

}  // namespace

QString formatRaftPeers(const QByteArray &body, bool *ok)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    *ok = pe.error == QJsonParseError::NoError && doc.isObject() && doc.object().value(QStringLiteral("Servers")).isArray();
    if (!*ok)
        return {};
    QList<QStringList> rows{{QStringLiteral("Node"), QStringLiteral("ID"), QStringLiteral("Address"),
                             QStringLiteral("State"), QStringLiteral("Voter"), QStringLiteral("RaftProtocol")}};
    for (const QJsonValue &v : doc.object().value(QStringLiteral("Servers")).toArray()) {
        const QJsonObject s = v.toObject();
        const bool leader = s.value(QStringLiteral("Leader")).toBool();
        const bool voter = s.value(QStringLiteral("Voter")).toBool();
        const QString state = leader ? QStringLiteral("leader") : voter ? QStringLiteral("follower") : QStringLiteral("non-voter");
        rows.append({s.value(QStringLiteral("Node")).toString(), s.value(QStringLiteral("ID")).toString(),
                     s.value(QStringLiteral("Address")).toString(), state,
                     voter ? QStringLiteral("true") : QStringLiteral("false"),
                     s.value(QStringLiteral("ProtocolVersion")).toString()});
    }
    return columnize(rows);
}

int runOperator(const QStringList &args, const CliIo &io)
{
    if (args.size() < 2 || args[0] != u"raft" || (args[1] != u"list-peers" && args[1] != u"remove-peer")) {
        io.err->write(kOperatorUsage.toUtf8() + "\n");
        return 1;
    }
    const bool list = args[1] == u"list-peers";
    int code = 0;
    QList<FlagSpec> specs;
    if (list)
        specs.append({QStringLiteral("stale"), true, QString()});
    else
        specs.append(QList<FlagSpec>{{QStringLiteral("id"), false, QString()}, {QStringLiteral("address"), false, QString()}});
    specs.append(httpFlags());
    const auto flags = parseVerbFlags(args.mid(2), specs, kOperatorUsage, io, &code);
    if (!flags)
        return code;
    if (!flags->positional.isEmpty()) {
        io.error(QStringLiteral("Too many arguments (expected 0, got %1)").arg(flags->positional.size()));
        return 1;
    }
    AgentClient client = makeClient(*flags, io);
    if (list) {
        QUrlQuery query;
        if (flags->boolean(QStringLiteral("stale")))
            query.addQueryItem(QStringLiteral("stale"), QString());
        const HttpResult result = client.get(QStringLiteral("/v1/operator/raft/configuration"), query);
        if (const int failed = reportFailure(result, client, io))
            return failed;
        bool ok = false;
        const QString table = formatRaftPeers(result.body, &ok);
        if (!ok) {
            io.error(QStringLiteral("Error: the agent's answer is not a Raft configuration"));
            return 1;
        }
        io.out->write(table.toUtf8());
        return 0;
    }
    const QString id = flags->value(QStringLiteral("id"));
    const QString address = flags->value(QStringLiteral("address"));
    if (id.isEmpty() == address.isEmpty()) {
        io.error(QStringLiteral("Error: give exactly one of -id or -address"));
        return 1;
    }
    QUrlQuery query;
    query.addQueryItem(id.isEmpty() ? QStringLiteral("address") : QStringLiteral("id"), id.isEmpty() ? address : id);
    const HttpResult result = client.del(QStringLiteral("/v1/operator/raft/peer"), query);
    if (const int failed = reportFailure(result, client, io))
        return failed;
    io.print(QStringLiteral("Removed peer with %1 \"%2\"").arg(id.isEmpty() ? QStringLiteral("address") : QStringLiteral("id"),
                                                              id.isEmpty() ? address : id));
    return 0;
}

}  // namespace conclave::cli
