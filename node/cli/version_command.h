#pragma once
// `conclave version`: needs no agent. Pure text builder for tests.

#include <QString>

namespace conclave::cli {

/// "Conclave v<version>\nProtocol 2 spoken by default, …\n"
QString versionText(const QString &version);

}  // namespace conclave::cli
