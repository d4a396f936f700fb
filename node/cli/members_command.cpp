#include "cli/members_command.h"

#include "cli/command.h"
#include "cli/output.h"
#include "shared/json/codec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace conclave::cli {

namespace {

const QString kMembersUsage = QStringLiteral(
    "Usage: conclave members [options]\n"
    "  -wan  -http-addr=<addr>  -token=<t>");

}  // namespace

QString memberStatusText(int status)
{
    switch (status) {
    case 0: return QStringLiteral("none");
    case 1: return QStringLiteral("alive");
    case 2: return QStringLiteral("leaving");
    case 3: return QStringLiteral("left");
    case 4: return QStringLiteral("failed");
    default: return QStringLiteral("unknown");
    }
}

QString formatMembers(QList<model::Member> members)
{
    std::sort(members.begin(), members.end(),
              [](const model::Member &a, const model::Member &b) { return a.name < b.name; });
    QList<QStringList> rows{{QStringLiteral("Node"), QStringLiteral("Address"),
                             QStringLiteral("Status"), QStringLiteral("Type"),
                             QStringLiteral("Build"), QStringLiteral("Protocol"),
                             QStringLiteral("DC"), QStringLiteral("Partition"),
                             QStringLiteral("Segment")}};
    for (const model::Member &m : members) {
        const QString host = m.addr.contains(u':') ? u'[' + m.addr + u']' : m.addr;  // IPv6
        const bool server = m.tags.value(QStringLiteral("role")) == u"consul";
        QString build = m.tags.value(QStringLiteral("build"));
        if (const qsizetype colon = build.indexOf(u':'); colon >= 0)
            build.truncate(colon);  // "1.20.0:abcdef" → version only, as Consul
        QString protocol = m.tags.value(QStringLiteral("vsn"));
        if (protocol.isEmpty())
            protocol = QString::number(m.protocolCur);
        rows.append({m.name, host + u':' + QString::number(m.port), memberStatusText(m.status),
                     server ? QStringLiteral("server") : QStringLiteral("client"), build, protocol,
                     m.tags.value(QStringLiteral("dc")), QStringLiteral("default"),
                     server ? QStringLiteral("<all>") : m.tags.value(QStringLiteral("segment"))});
    }
    return columnize(rows);
}

QList<model::Member> membersFromBody(const QByteArray &body)
{
    QList<model::Member> out;
    for (const QJsonValue &v : QJsonDocument::fromJson(body).array())
        out.append(json::memberFromJson(v.toObject()));
    return out;
}

int runMembers(const QStringList &args, const CliIo &io)
{
    int code = 0;
    QList<FlagSpec> specs{{QStringLiteral("wan"), true, QString()}};
    specs.append(httpFlags());
    const auto flags = parseVerbFlags(args, specs, kMembersUsage, io, &code);
    if (!flags)
        return code;
    if (!flags->positional.isEmpty()) {
        io.error(QStringLiteral("Too many arguments (expected 0, got %1)")
                     .arg(flags->positional.size()));
        return 1;
    }
    AgentClient client = makeClient(*flags, io);
    QUrlQuery query;
    if (flags->boolean(QStringLiteral("wan")))
        query.addQueryItem(QStringLiteral("wan"), QStringLiteral("1"));
    const HttpResult result = client.get(QStringLiteral("/v1/agent/members"), query);
    if (const int failed = reportFailure(result, client, io))
        return failed;
    const QList<model::Member> members = membersFromBody(result.body);
    if (members.isEmpty())
        return 2;  // Consul exits 2 when no member matches
    io.out->write(formatMembers(members).toUtf8());
    return 0;
}

}  // namespace conclave::cli
