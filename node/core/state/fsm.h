#pragma once
// The finite state machine fed by the replicated log (Consul agent/consul/fsm). Decodes one
// committed command and applies it to the StateStore at the entry's index. Deterministic: the same
// entries in the same order give the same store on every server.
//
// Event-loop thread only. Caller duty: apply entries in strictly increasing index order.
//
// Two ways replace the whole state, both all-or-nothing and both firing every watch (Consul's
// abandon channel): restore() when Raft installs a snapshot (the state then stands at the
// snapshot's lastApplied), and a SnapshotRestore command applied like any other entry (the state
// then stands at that entry's index, on every server).

#include "core/state/state_store.h"

#include <QByteArray>
#include <QString>
#include <optional>

namespace conclave::state {

/// The outcome of applying one command, handed back to the proposer.
struct ApplyResult {
    bool ok = true;      // false: a cas/lock precondition failed (the HTTP answer is `false`)
    QString error;       // non-empty: the command was invalid (an HTTP 4xx/5xx with this text)
};

class Fsm {
public:
    explicit Fsm(StateStore &store) : m_store(store) {}

    /// Applies one committed entry. A SnapshotRestore whose snapshot does not decode changes nothing
    /// but lastApplied and answers the reason in ApplyResult::error.
    ApplyResult apply(quint64 index, const QByteArray &command);
    quint64 lastApplied() const { return m_lastApplied; }

    /// Snapshot of the store plus lastApplied, CBOR.
    QByteArray snapshot() const;
    /// snapshot() for another thread (StateStore::snapshotTask): the state as of now, encoded
    /// when the returned callable runs.
    std::function<QByteArray()> snapshotTask() const;
    /// Replaces the store; false (and nothing changed) on a malformed snapshot.
    bool restore(const QByteArray &snapshot, QString *error);

    StateStore &store() { return m_store; }

private:
    /// Replaces the store with the one in `snapshot` and sets lastApplied to `lastApplied`, or to the
    /// snapshot's own when nullopt; false with `error` and nothing changed on a malformed snapshot.
    bool replaceState(const QByteArray &snapshot, std::optional<quint64> lastApplied, QString *error);

    StateStore &m_store;
    quint64 m_lastApplied = 0;
};

}  // namespace conclave::state
