#pragma once
// What a replicated log needs from the state it feeds: apply one committed command at its index,
// serialize everything, and restore from such a serialization. Keeps the log (and its tests)
// independent of the real FSM; FsmStateMachine adapts state::Fsm to it.
//
// Owned by whoever builds the log (the agent); the log only holds a reference. Event-loop thread.
// Caller duty (the log's): apply in strictly increasing index order, restore only before applying.

#include "core/state/fsm.h"

#include <QByteArray>
#include <QString>

#include <functional>

namespace conclave::server {

class StateMachine {
public:
    virtual ~StateMachine() = default;
    virtual state::ApplyResult apply(quint64 index, const QByteArray &command) = 0;
    /// An in-memory serialization of the whole state (cheap enough for the loop thread).
    virtual QByteArray snapshot() const = 0;
    /// The state as of now, to encode later on another thread: the log calls this on the loop
    /// and runs the callable on a worker. The default encodes at once (for small test machines).
    virtual std::function<QByteArray()> snapshotTask() const { return [bytes = snapshot()] { return bytes; }; }
    /// Replaces the whole state; false (state unchanged) on a malformed snapshot.
    virtual bool restore(const QByteArray &snapshot, QString *error) = 0;
};

}  // namespace conclave::server
