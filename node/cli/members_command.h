#pragma once
// `conclave members`, as Consul's `consul members` (from /v1/agent/members).

#include "shared/model/types.h"

#include <QList>
#include <QString>

namespace conclave::cli {

/// serf status number → "none", "alive", "leaving", "left", "failed" ("unknown" otherwise).
QString memberStatusText(int status);

/// The table: Node, Address (ip:port), Status, Type, Build, Protocol, DC, Partition, Segment;
/// rows sorted by name (columnize).
QString formatMembers(QList<model::Member> members);

/// The `/v1/agent/members` body.
QList<model::Member> membersFromBody(const QByteArray &body);

}  // namespace conclave::cli
