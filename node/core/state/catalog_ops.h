#pragma once
// Catalog write operations (Consul agent/consul/state/catalog.go, the ...Txn twins): register and
// deregister nodes, services and checks at txn.index(). Every op validates the whole request
// before touching anything (the FSM has no rollback), keeps CreateIndex, and moves ModifyIndex
// only when a row really changed, so no-op re-registrations (anti-entropy) do not wake watchers.
// The catalog and health reads live on StateStore (catalog_ops.cpp, health_ops.cpp).
//
// Event-loop thread only, like the store. Node names and service IDs match exactly; service names
// and tags match case-insensitively (as Consul's indexes do).

#include "core/state/state_store.h"

namespace conclave::state {

/// PUT /v1/catalog/register. Returns "" on success, else the error text (and nothing changed):
/// "Must provide node", "Must provide address", "Must provide service name",
/// "Unknown service ID '<id>' for check ID '<checkid>'", …
QString catalogEnsureRegistration(WriteTxn &txn, const model::RegisterRequest &req);
/// PUT /v1/catalog/deregister: ServiceID ⇒ that service and its checks; else CheckID ⇒ that
/// check; else the node with all its services and checks. Missing rows are not an error.
/// Returns "" or "Must provide node".
QString catalogDeregister(WriteTxn &txn, const model::DeregisterRequest &req);

void catalogDeleteNode(WriteTxn &txn, const QString &node);
void catalogDeleteService(WriteTxn &txn, const QString &node, const QString &serviceId);
void catalogDeleteCheck(WriteTxn &txn, const QString &node, const QString &checkId);

}  // namespace conclave::state
