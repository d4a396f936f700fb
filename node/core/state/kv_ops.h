#pragma once
// KV write operations (Consul agent/consul/state/kvs.go, the ...Txn twins). Each takes an open
// WriteTxn, sets the row indexes to txn.index(), records which tables and keys changed, and
// leaves a tombstone for every key it removes so prefix indexes never go backwards.
// The reads live on StateStore (kvGet, kvList, kvKeys) and are implemented in kv_ops.cpp.
//
// Event-loop thread only, like the store. Deliberately no session/lock logic yet.

#include "core/state/state_store.h"

namespace conclave::state {

/// Unconditional write. CreateIndex, LockIndex and Session of an existing entry are kept;
/// ModifyIndex becomes the txn index.
void kvSet(WriteTxn &txn, const model::KvEntry &entry);
/// Check-and-set on entry.index.modifyIndex: 0 writes only if the key is absent, N only if the
/// current ModifyIndex is N. Returns whether it wrote.
bool kvCas(WriteTxn &txn, const model::KvEntry &entry);
/// Deletes one key; a no-op (no index change) if it does not exist.
void kvDelete(WriteTxn &txn, const QString &key);
/// Deletes every key starting with prefix ("" = everything), one tombstone per removed key.
void kvDeleteTree(WriteTxn &txn, const QString &prefix);
/// Deletes key iff its ModifyIndex == modifyIndex. Returns false on a mismatch (so 0 never
/// deletes an existing key); like Consul it returns true when the key does not exist.
bool kvDeleteCas(WriteTxn &txn, const QString &key, quint64 modifyIndex);
/// Forgets tombstones whose delete index is <= uptoIndex (for the leader's future reaper).
void kvReapTombstones(WriteTxn &txn, quint64 uptoIndex);

}  // namespace conclave::state
