#pragma once
// CLI verbs (`conclave kv get …`, `conclave members`, …): HTTP clients of an agent.
// The agent address comes from -http-addr, else CONSUL_HTTP_ADDR, else http://127.0.0.1:8500.

#include <QStringList>

namespace conclave::cli {

/// Runs one verb; `args` starts with the verb ("kv", "catalog", "members", "version", …).
/// Returns the process exit code: 0 success, 1 an error the command reports, 2 bad usage.
int runCli(const QStringList &args);

}  // namespace conclave::cli
