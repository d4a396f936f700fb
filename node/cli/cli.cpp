#include "cli/cli.h"

#include "cli/command.h"

#include <QFile>
#include <QProcessEnvironment>

namespace conclave::cli {

namespace {

const char kUsage[] =
    "Usage: conclave [--version] [--help] <command> [<args>]\n"
    "\n"
    "Available commands are:\n"
    "    agent      Runs a Conclave agent\n"
    "    catalog    Interact with the catalog\n"
    "    keygen     Generates a new encryption key\n"
    "    kv         Interact with the key-value store\n"
    "    members    Lists the members of a Conclave cluster\n"
    "    operator   Provides cluster-level tools (raft list-peers, remove-peer)\n"
    "    services   Interact with services\n"
    "    snapshot   Saves, restores and inspects snapshots of the servers' state\n"
    "    version    Prints the Conclave version\n"
    "\n"
    "Commands talk to the agent at -http-addr, CONSUL_HTTP_ADDR or http://127.0.0.1:8500.\n";

}  // namespace

void CliIo::print(const QString &text) const
{
    out->write(text.toUtf8());
    out->write("\n");
}

void CliIo::error(const QString &text) const
{
    err->write(text.toUtf8());
    err->write("\n");
}

AgentClient makeClient(const ParsedFlags &flags, const CliIo &io)
{
    const QString token = flags.isSet(QStringLiteral("token")) ? flags.value(QStringLiteral("token"))
                                                               : io.envToken;
    return AgentClient(agentUrl(flags.value(QStringLiteral("http-addr")), io.envHttpAddr), token,
                       io.timeoutMs);
}

int reportFailure(const HttpResult &result, const AgentClient &client, const CliIo &io)
{
    if (!result.reached) {
        io.error(QStringLiteral("Error querying agent: %1 to %2")
                     .arg(result.error, client.baseText()));
        return 1;
    }
    if (result.status >= 200 && result.status < 300)
        return 0;
    io.error(QStringLiteral("Error! %1: %2")
                 .arg(result.status)
                 .arg(QString::fromUtf8(result.body).trimmed()));
    return 1;
}

std::optional<ParsedFlags> parseVerbFlags(const QStringList &args, const QList<FlagSpec> &specs,
                                          const QString &usage, const CliIo &io, int *exitCode)
{
    QString error;
    auto flags = parseFlags(args, specs, &error);
    if (!flags) {
        io.error(error);
        io.error(usage);
        *exitCode = 1;
        return std::nullopt;
    }
    if (flags->help) {
        io.print(usage);
        *exitCode = 0;
        return std::nullopt;
    }
    return flags;
}

int runCli(const QStringList &args, const CliIo &io)
{
    if (args.isEmpty()) {
        io.err->write(kUsage);
        return 2;
    }
    const QString verb = args.first();
    const QStringList rest = args.mid(1);
    if (verb == u"kv")
        return runKv(rest, io);
    if (verb == u"keygen")
        return runKeygen(rest, io);
    if (verb == u"catalog")
        return runCatalog(rest, io);
    if (verb == u"members")
        return runMembers(rest, io);
    if (verb == u"operator")
        return runOperator(rest, io);
    if (verb == u"services")
        return runServices(rest, io);
    if (verb == u"snapshot")
        return runSnapshot(rest, io);
    if (verb == u"version" || verb == u"-version" || verb == u"--version" || verb == u"-v")
        return runVersion(rest, io);
    if (verb != u"help" && verb != u"-h" && verb != u"--help" && verb != u"-help")
        io.error(QStringLiteral("Unknown command: ") + verb + u'\n');
    io.err->write(kUsage);
    return 2;
}

int runCli(const QStringList &args)
{
    QFile out;
    QFile err;
    QFile in;
    out.open(stdout, QIODevice::WriteOnly | QIODevice::Unbuffered);
    err.open(stderr, QIODevice::WriteOnly | QIODevice::Unbuffered);
    in.open(stdin, QIODevice::ReadOnly);
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    CliIo io;
    io.out = &out;
    io.err = &err;
    io.in = &in;
    io.envHttpAddr = env.value(QStringLiteral("CONSUL_HTTP_ADDR"));
    io.envToken = env.value(QStringLiteral("CONSUL_HTTP_TOKEN"));
    return runCli(args, io);
}

}  // namespace conclave::cli
