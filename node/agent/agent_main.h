#pragma once
#include <QCoreApplication>
#include <QStringList>

namespace conclave::agent {

/// `conclave agent <flags>`: parses config, starts the agent, runs the event loop until SIGINT or
/// SIGTERM. Returns the exit code; a bad flag, a taken port or an unwritable data dir prints one
/// sentence on stderr and returns 1.
int runAgent(QCoreApplication &app, const QStringList &args);

}  // namespace conclave::agent
