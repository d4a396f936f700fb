#include "cli/keygen_command.h"

#include "cli/command.h"
#include "net/gossip_crypto.h"

namespace conclave::cli {

namespace {

const char kKeygenUsage[] =
    "Usage: conclave keygen\n"
    "\n"
    "  Generates a new encryption key that can be used to configure the\n"
    "  agent to encrypt traffic. The output of this command is already\n"
    "  in the proper format that the agent expects.";

}  // namespace

QString keygenText(const QByteArray &key)
{
    return net::encodeGossipKey(key);
}

int runKeygen(const QStringList &args, const CliIo &io)
{
    int exitCode = 0;
    if (!parseVerbFlags(args, {}, QString::fromLatin1(kKeygenUsage), io, &exitCode))
        return exitCode;
    const QByteArray key = net::generateGossipKey();
    if (key.size() != net::kGossipKeySize) {
        io.error(QStringLiteral("Error reading random data: the system CSPRNG failed"));
        return 1;
    }
    io.print(keygenText(key));
    return 0;
}

}  // namespace conclave::cli
