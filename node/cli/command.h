#pragma once
// What every verb needs: where to write, what to read, and the environment's agent settings.
// runCli (cli.h) fills it from the real process; tests pass buffers. Main thread only.

#include "cli/flags.h"
#include "cli/http_client.h"

#include <QIODevice>
#include <QString>
#include <QStringList>

namespace conclave::cli {

struct CliIo {
    QIODevice *out = nullptr;  // stdout: results
    QIODevice *err = nullptr;  // stderr: errors, usage
    QIODevice *in = nullptr;   // stdin: `kv put k -`, `kv import -`
    QString envHttpAddr;       // CONSUL_HTTP_ADDR
    QString envToken;          // CONSUL_HTTP_TOKEN
    int timeoutMs = 30000;

    void print(const QString &text) const;  // text + "\n" on out
    void error(const QString &text) const;  // text + "\n" on err
};

/// Runs a verb with explicit I/O (runCli(args) calls this with stdin/stdout/stderr).
int runCli(const QStringList &args, const CliIo &io);

// Verb groups; `args` starts after the verb ("get", "k", …) or is the verb's own arguments.
int runKv(const QStringList &args, const CliIo &io);
int runKeygen(const QStringList &args, const CliIo &io);
int runCatalog(const QStringList &args, const CliIo &io);
int runMembers(const QStringList &args, const CliIo &io);
int runOperator(const QStringList &args, const CliIo &io);
int runServices(const QStringList &args, const CliIo &io);
int runSnapshot(const QStringList &args, const CliIo &io);
int runVersion(const QStringList &args, const CliIo &io);

/// Builds a client from the -http-addr/-token flags (see httpFlags) and the environment.
AgentClient makeClient(const ParsedFlags &flags, const CliIo &io);

/// Prints the one-line error for a failed call and returns 1; returns 0 if it was a 2xx.
/// `acceptedStatus` (e.g. 404) is also treated as a success by the caller.
int reportFailure(const HttpResult &result, const AgentClient &client, const CliIo &io);

/// Parses a verb's flags; on error prints it with the usage and returns the exit code via
/// *exitCode (1), on -h prints usage and sets 0. Returns nullopt in both cases.
std::optional<ParsedFlags> parseVerbFlags(const QStringList &args, const QList<FlagSpec> &specs,
                                          const QString &usage, const CliIo &io, int *exitCode);

}  // namespace conclave::cli
