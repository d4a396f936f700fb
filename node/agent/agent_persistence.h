#pragma once
// Keeps the services and checks registered through the agent API in the data dir, so that a
// restarted agent registers them again (Consul's agent persistence, consul-agent.md §12):
//   services/<md5(id)>      one service definition
//   checks/<md5(id)>        one check as registered (maintenance checks included)
//   checks/state/<md5(id)>  the last status and output of a TTL check, with its expiry
// The file format is ours (JSON, every model field; durations as integer nanoseconds).
//
// Owned by LocalState; called on the event-loop thread. Writes are queued to one worker thread
// (QThreadPool with a single thread, so they happen in call order) and each file is replaced
// atomically with QSaveFile: the event loop never waits for the disk (LocalState delays its API
// answer with whenWritten() instead, so an acknowledged registration is on disk). load() reads
// synchronously and is meant for start-up only, before the agent serves requests.

#include "shared/model/types.h"

#include <QString>
#include <QStringList>
#include <functional>
#include <memory>
#include <optional>

class QObject;
class QThreadPool;

namespace conclave::agent {

class AgentPersistence {
public:
    /// An empty `dataDir` disables persistence: saves are dropped and load() finds nothing.
    explicit AgentPersistence(QString dataDir);
    /// Waits for the queued writes.
    ~AgentPersistence();

    struct Loaded {
        QList<model::Service> services;
        QList<model::Check> checks;  // TTL checks carry their saved status/output when not expired
        QStringList warnings;        // unreadable files, one sentence each (they are skipped)
    };
    Loaded load() const;

    void saveService(const model::Service &service);
    void removeService(const QString &serviceId);
    void saveCheck(const model::Check &check);
    /// Removes the check and its TTL state.
    void removeCheck(const QString &checkId);
    /// Records a TTL check's status and output; they are restored if the agent is back within `ttlMs`.
    void saveCheckState(const model::Check &check, qint64 ttlMs);
    /// Runs `then` on the thread of `context` once every write queued so far is done (at once
    /// when persistence is off). Dropped if `context` is destroyed first.
    void whenWritten(QObject *context, std::function<void()> then);
    /// Blocks until every queued write is on disk (shutdown and tests).
    void flush();

    bool enabled() const { return !m_dir.isEmpty(); }

    // The file contents, exposed for the unit tests' round trips.
    static QByteArray encodeService(const model::Service &service);
    static std::optional<model::Service> decodeService(const QByteArray &bytes);
    static QByteArray encodeCheck(const model::Check &check);
    static std::optional<model::Check> decodeCheck(const QByteArray &bytes);

private:
    QString pathFor(const QString &folder, const QString &id) const;
    void writeFile(const QString &path, const QByteArray &bytes);
    void removeFiles(const QStringList &paths);

    QString m_dir;
    std::unique_ptr<QThreadPool> m_pool;
};

}  // namespace conclave::agent
