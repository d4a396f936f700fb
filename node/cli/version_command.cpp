#include "cli/version_command.h"

#include "cli/command.h"

namespace conclave::cli {

QString versionText(const QString &version)
{
    // Consul's second line; Conclave speaks the same gossip protocol range.
    return QStringLiteral("Conclave v") + version
         + QStringLiteral("\nProtocol 2 spoken by default, understands 2 to 3 (agent will "
                          "automatically use protocol >2 when speaking to compatible agents)\n");
}

int runVersion(const QStringList &, const CliIo &io)
{
    io.out->write(versionText(QStringLiteral(CONCLAVE_VERSION)).toUtf8());
    return 0;
}

}  // namespace conclave::cli
