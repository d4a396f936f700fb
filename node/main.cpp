// `conclave agent …` runs the daemon; every other verb is a CLI client of an agent's HTTP API.
#include "agent/agent_main.h"
#include "cli/cli.h"

#include <QCoreApplication>
#include <QStringList>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("conclave"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CONCLAVE_VERSION));
    QStringList args = app.arguments();
    args.removeFirst();
    if (!args.isEmpty() && args.first() == QLatin1String("agent")) {
        args.removeFirst();
        return conclave::agent::runAgent(app, args);
    }
    return conclave::cli::runCli(args);
}
