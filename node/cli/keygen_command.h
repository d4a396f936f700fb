#pragma once
// `conclave keygen`, as Consul's `consul keygen`: prints a new gossip encryption key (32 bytes
// from OpenSSL's CSPRNG, standard base64) for the agent's `encrypt` / `-encrypt`. Needs no agent.

#include <QString>

namespace conclave::cli {

/// The line keygen prints for `key` (its base64, without the newline).
QString keygenText(const QByteArray &key);

}  // namespace conclave::cli
