#pragma once
// Adapts the real FSM (state::Fsm) to the StateMachine interface the replicated log drives.
//
// Owned by the agent next to the Fsm it wraps (which must outlive it). Event-loop thread.

#include "server/state_machine.h"

namespace conclave::server {

class FsmStateMachine final : public StateMachine {
public:
    explicit FsmStateMachine(state::Fsm &fsm) : m_fsm(fsm) {}

    state::ApplyResult apply(quint64 index, const QByteArray &command) override { return m_fsm.apply(index, command); }
    QByteArray snapshot() const override { return m_fsm.snapshot(); }
    std::function<QByteArray()> snapshotTask() const override { return m_fsm.snapshotTask(); }
    bool restore(const QByteArray &snapshot, QString *error) override { return m_fsm.restore(snapshot, error); }

private:
    state::Fsm &m_fsm;
};

}  // namespace conclave::server
