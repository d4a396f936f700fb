#pragma once
// The replicated-log interface every write goes through: propose(command) → (index, result),
// delivered asynchronously once the entry is durable (fsync'd on a quorum) and applied to the FSM.
// Issue #2 implements it with one voter (SingleNodeLog); the Raft issue implements it with RaftNode.
//
// Event-loop thread only.

#include "core/state/fsm.h"

#include <QMetaObject>
#include <QObject>
#include <QString>
#include <QStringList>
#include <functional>

namespace conclave::server {

enum class LogError {
    None = 0,
    NoLeader,      // "No cluster leader"
    Rejected,      // the command did not decode (a bug in the proposer)
    StorageFailed, // the write could not be made durable; the agent stops accepting writes
    ShuttingDown,
    LeaderLost,    // a forwarded write went to a leader that was lost before it answered: unknown outcome
};

struct ProposeResult {
    quint64 index = 0;          // log index of the entry (0 on error)
    state::ApplyResult result;  // what the FSM said
    LogError error = LogError::None;
    QString errorText;
};

class ReplicatedLog : public QObject {
    Q_OBJECT
public:
    using Done = std::function<void(const ProposeResult &)>;
    using QObject::QObject;
    ~ReplicatedLog() override = default;

    /// Appends `command` (see core/state/command.h). `done` runs on the event loop after the entry
    /// is durable and applied, or with an error. It is always called exactly once.
    virtual void propose(const QByteArray &command, Done done) = 0;

    virtual bool isLeader() const = 0;
    virtual bool hasLeader() const = 0;
    /// "ip:port" of the leader's server port, "" if none is known.
    virtual QString leaderAddress() const = 0;
    /// "ip:port" of every voter.
    virtual QStringList peers() const = 0;
    /// Milliseconds since this server last heard from the leader (0 on the leader).
    virtual qint64 lastContactMs() const = 0;
    virtual quint64 appliedIndex() const = 0;
    virtual quint64 commitIndex() const = 0;
    /// This server's current Raft term (0 when the log keeps none).
    virtual quint64 currentTerm() const { return 0; }
    /// Linearizable read barrier: `done(true)` (on the event loop, never inside the call) once
    /// this server applied every entry committed before the call, confirmed with a quorum;
    /// `done(false)` when no leader answers in time. A single voter is its own quorum.
    virtual void readBarrier(std::function<void(bool ok)> done)
    {
        QMetaObject::invokeMethod(this, [done = std::move(done)] { done(true); }, Qt::QueuedConnection);
    }

signals:
    /// Entries up to `index` were applied to the FSM.
    void applied(quint64 index);
    /// Storage failed; text says why. The agent logs it and refuses further writes.
    void fatalError(const QString &text);
};

}  // namespace conclave::server
