#pragma once
// The finite state machine fed by the replicated log (Consul agent/consul/fsm). Decodes one
// committed command and applies it to the StateStore at the entry's index. Deterministic: the same
// entries in the same order give the same store on every server.
//
// Event-loop thread only. Caller duty: apply entries in strictly increasing index order.

#include "core/state/state_store.h"

#include <QByteArray>
#include <QString>

namespace conclave::state {

/// The outcome of applying one command, handed back to the proposer.
struct ApplyResult {
    bool ok = true;      // false: a cas/lock precondition failed (the HTTP answer is `false`)
    QString error;       // non-empty: the command was invalid (an HTTP 4xx/5xx with this text)
};

class Fsm {
public:
    explicit Fsm(StateStore &store) : m_store(store) {}

    ApplyResult apply(quint64 index, const QByteArray &command);
    quint64 lastApplied() const { return m_lastApplied; }

    /// Snapshot of the store plus lastApplied, CBOR.
    QByteArray snapshot() const;
    /// Replaces the store; false (and nothing changed) on a malformed snapshot.
    bool restore(const QByteArray &snapshot, QString *error);

    StateStore &store() { return m_store; }

private:
    StateStore &m_store;
    quint64 m_lastApplied = 0;
};

}  // namespace conclave::state
