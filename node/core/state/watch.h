#pragma once
// Watch sets for blocking queries (Consul's memdb WatchSet, go-memdb watch.go).
//
// A read adds the keys it depended on to a WatchSet; a parked query registers the set with the
// WatchRegistry and is called back once, after the write transaction that touched any of those
// keys has committed. Owned by the StateStore; used on the event-loop thread only.

#include <QHash>
#include <QSet>
#include <QString>
#include <deque>
#include <functional>
#include <unordered_map>

namespace conclave::state {

/// What a read depended on. Keys are built only by the helpers below, never by hand.
class WatchSet {
public:
    void add(const QString &key) { m_keys.insert(key); }
    const QSet<QString> &keys() const { return m_keys; }
    bool isEmpty() const { return m_keys.isEmpty(); }

    static QString table(const QString &name) { return QStringLiteral("t:") + name; }
    static QString kvKey(const QString &key) { return QStringLiteral("kv:") + key; }
    static QString kvPrefix(const QString &prefix) { return QStringLiteral("kvp:") + prefix; }
    static QString serviceName(const QString &name) { return QStringLiteral("svc:") + name.toLower(); }
    static QString nodeName(const QString &name) { return QStringLiteral("node:") + name; }

private:
    QSet<QString> m_keys;
};

/// Registry of parked watchers. Each registration fires at most once, then is forgotten.
class WatchRegistry {
public:
    using Callback = std::function<void()>;
    using Handle = quint64;

    /// Registers `cb` to run once when any key in `ws` changes. Returns a handle for cancel().
    Handle watch(const WatchSet &ws, Callback cb);
    /// Forgets a registration (no-op if it already fired).
    void cancel(Handle h);
    /// Called by the store after commit with the keys the transaction changed (KV keys as
    /// kvKey(); prefix watchers match by prefix). Runs the callbacks after unregistering them,
    /// so a callback may register again.
    void notify(const QSet<QString> &changedKeys, const QSet<QString> &changedKvKeys);
    /// Fires every registration (snapshot restore: Consul's abandon channel).
    void fireAll();
    int size() const { return int(m_entries.size()); }

private:
    struct Entry {
        QSet<QString> keys;
        Callback cb;
    };
    void collectKvPrefixes(const QString &key, QSet<Handle> &out) const;
    void fire(const QSet<Handle> &handles);
    void unregister(Handle h);

    Handle m_next = 1;
    // Callbacks waiting to run. A callback may commit another write; its watchers are appended
    // here and run by the outermost notify(), so firing is never re-entrant.
    std::deque<std::pair<Handle, Callback>> m_queue;
    bool m_firing = false;
    std::unordered_map<Handle, Entry> m_entries;
    QHash<QString, QSet<Handle>> m_byKey;  // exact keys (tables, kv keys, services, nodes)
    QHash<QString, QSet<Handle>> m_byKvPrefix;  // prefix (without "kvp:") → handles
};

}  // namespace conclave::state
