#include "core/state/fsm.h"

#include "core/state/catalog_ops.h"
#include "core/state/command.h"
#include "core/state/kv_ops.h"

#include <QCborMap>
#include <QCborStreamReader>

namespace conclave::state {

namespace {

// Fsm snapshot envelope: {Version: 1, LastApplied: n, Store: <StateStore::snapshot() bytes>}.
namespace snapkey { enum : int { Version = 0, LastApplied = 1, Store = 2 }; }
constexpr qint64 kSnapshotVersion = 1;

ApplyResult failed(const QString &error)
{
    return ApplyResult{false, error};
}

ApplyResult applyKv(WriteTxn &txn, const KvCommand &cmd)
{
    const model::KvEntry &e = cmd.entry;
    // Only delete-tree may address the empty key (= the whole store), as in Consul's KVS.Apply.
    if (e.key.isEmpty() && cmd.verb != KvVerb::DeleteTree)
        return failed(QStringLiteral("Missing key name"));
    switch (cmd.verb) {
    case KvVerb::Set:
        kvSet(txn, e);
        return {};
    case KvVerb::Cas:
        return ApplyResult{kvCas(txn, e), {}};
    case KvVerb::Delete:
        kvDelete(txn, e.key);
        return {};
    case KvVerb::DeleteTree:
        kvDeleteTree(txn, e.key);
        return {};
    case KvVerb::DeleteCas:
        return ApplyResult{kvDeleteCas(txn, e.key, e.index.modifyIndex), {}};
    case KvVerb::Lock:
    case KvVerb::Unlock:
        return failed(QStringLiteral("Sessions are not implemented yet"));
    }
    return failed(QStringLiteral("unknown KV verb"));
}

}  // namespace

ApplyResult Fsm::apply(quint64 index, const QByteArray &command)
{
    if (index <= m_lastApplied) {
        // Already part of the state (e.g. covered by a restored snapshot): applying it again
        // would double-apply, so it changes nothing.
        return failed(QStringLiteral("entry %1 already applied (lastApplied %2)")
                          .arg(index)
                          .arg(m_lastApplied));
    }
    QString error;
    const std::optional<Command> cmd = decodeCommand(command, &error);
    // One txn per entry even for an invalid command: the store's lastIndex follows the log.
    WriteTxn txn(m_store, index);
    ApplyResult result;
    if (!cmd) {
        result = failed(QStringLiteral("invalid command: ") + error);
    } else if (const auto *kv = std::get_if<KvCommand>(&cmd->body)) {
        result = applyKv(txn, *kv);
    } else if (const auto *reg = std::get_if<model::RegisterRequest>(&cmd->body)) {
        const QString err = catalogEnsureRegistration(txn, *reg);
        if (!err.isEmpty())
            result = failed(err);
    } else if (const auto *dereg = std::get_if<model::DeregisterRequest>(&cmd->body)) {
        const QString err = catalogDeregister(txn, *dereg);
        if (!err.isEmpty())
            result = failed(err);
    } else {
        // The store is replaced wholesale (its watches all fire); the txn's commit below then moves
        // the store's lastIndex on to this entry, whatever index the snapshot stood at.
        QString err;
        if (!replaceState(std::get<SnapshotRestoreCommand>(cmd->body).snapshot, index, &err))
            result = failed(QStringLiteral("the snapshot does not restore: ") + err);
    }
    m_lastApplied = index;
    txn.commit();
    return result;
}

namespace {

QByteArray encodeFsmSnapshot(quint64 lastApplied, const QByteArray &store)
{
    QCborMap m;
    m.insert(snapkey::Version, kSnapshotVersion);
    m.insert(snapkey::LastApplied, qint64(lastApplied));
    m.insert(snapkey::Store, store);
    return m.toCborValue().toCbor();
}

}  // namespace

QByteArray Fsm::snapshot() const
{
    return encodeFsmSnapshot(m_lastApplied, m_store.snapshot());
}

std::function<QByteArray()> Fsm::snapshotTask() const
{
    return [store = m_store.snapshotTask(), lastApplied = m_lastApplied] { return encodeFsmSnapshot(lastApplied, store()); };
}

bool Fsm::restore(const QByteArray &snapshot, QString *error)
{
    return replaceState(snapshot, std::nullopt, error);
}

bool Fsm::replaceState(const QByteArray &snapshot, std::optional<quint64> lastApplied, QString *error)
{
    auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    QCborStreamReader reader(snapshot);
    const QCborValue top = QCborValue::fromCbor(reader);
    if (reader.lastError() != QCborError::NoError)
        return fail(QStringLiteral("malformed snapshot: %1").arg(reader.lastError().toString()));
    if (reader.currentOffset() != snapshot.size())
        return fail(QStringLiteral("malformed snapshot: trailing bytes"));
    if (!top.isMap())
        return fail(QStringLiteral("malformed snapshot: expected a map"));
    const QCborMap m = top.toMap();
    const QCborValue version = m.value(snapkey::Version);
    if (!version.isInteger() || version.toInteger() != kSnapshotVersion)
        return fail(QStringLiteral("unsupported snapshot version"));
    const QCborValue last = m.value(snapkey::LastApplied);
    const QCborValue store = m.value(snapkey::Store);
    if (!last.isInteger() || !store.isByteArray())
        return fail(QStringLiteral("malformed snapshot: missing lastApplied or store"));
    // Set first so that watchers woken by the store's restore already see the new lastApplied.
    const quint64 previous = m_lastApplied;
    m_lastApplied = lastApplied.value_or(quint64(last.toInteger()));
    if (!m_store.restore(store.toByteArray(), error)) {
        m_lastApplied = previous;
        return false;
    }
    return true;
}

}  // namespace conclave::state
