#include "core/state/watch.h"

#include <algorithm>
#include <vector>

namespace conclave::state {

namespace {
const QString kKvPrefixTag = QStringLiteral("kvp:");
}

WatchRegistry::Handle WatchRegistry::watch(const WatchSet &ws, Callback cb)
{
    const Handle h = m_next++;
    for (const QString &key : ws.keys()) {
        if (key.startsWith(kKvPrefixTag))
            m_byKvPrefix[key.mid(kKvPrefixTag.size())].insert(h);
        else
            m_byKey[key].insert(h);
    }
    m_entries.emplace(h, Entry{ws.keys(), std::move(cb)});
    return h;
}

void WatchRegistry::unregister(Handle h)
{
    auto it = m_entries.find(h);
    if (it == m_entries.end())
        return;
    for (const QString &key : std::as_const(it->second.keys)) {
        const bool isPrefix = key.startsWith(kKvPrefixTag);
        auto &index = isPrefix ? m_byKvPrefix : m_byKey;
        auto slot = index.find(isPrefix ? key.mid(kKvPrefixTag.size()) : key);
        if (slot == index.end())
            continue;
        slot->remove(h);
        if (slot->isEmpty())
            index.erase(slot);
    }
    m_entries.erase(it);
}

void WatchRegistry::cancel(Handle h)
{
    if (m_entries.count(h)) {
        unregister(h);
        return;
    }
    // Already triggered but still queued behind a running callback: drop it too.
    auto it = std::find_if(m_queue.begin(), m_queue.end(),
                           [h](const auto &item) { return item.first == h; });
    if (it != m_queue.end())
        m_queue.erase(it);
}

void WatchRegistry::collectKvPrefixes(const QString &key, QSet<Handle> &out) const
{
    // Either walk the registered prefixes or probe every prefix of the key, whichever is fewer.
    if (m_byKvPrefix.size() <= key.size() + 1) {
        for (auto it = m_byKvPrefix.cbegin(); it != m_byKvPrefix.cend(); ++it) {
            if (key.startsWith(it.key()))
                out.unite(it.value());
        }
        return;
    }
    for (qsizetype len = 0; len <= key.size(); ++len) {
        auto it = m_byKvPrefix.constFind(key.left(len));
        if (it != m_byKvPrefix.cend())
            out.unite(it.value());
    }
}

void WatchRegistry::notify(const QSet<QString> &changedKeys, const QSet<QString> &changedKvKeys)
{
    if (m_entries.empty())
        return;
    QSet<Handle> hit;
    for (const QString &key : changedKeys) {
        auto it = m_byKey.constFind(key);
        if (it != m_byKey.cend())
            hit.unite(it.value());
    }
    for (const QString &key : changedKvKeys) {
        auto it = m_byKey.constFind(WatchSet::kvKey(key));
        if (it != m_byKey.cend())
            hit.unite(it.value());
        if (!m_byKvPrefix.isEmpty())
            collectKvPrefixes(key, hit);
    }
    fire(hit);
}

void WatchRegistry::fireAll()
{
    QSet<Handle> all;
    all.reserve(qsizetype(m_entries.size()));
    for (const auto &[h, entry] : m_entries)
        all.insert(h);
    fire(all);
}

void WatchRegistry::fire(const QSet<Handle> &handles)
{
    if (!handles.isEmpty()) {
        // Registration order, so that callbacks run deterministically.
        std::vector<Handle> ordered(handles.cbegin(), handles.cend());
        std::sort(ordered.begin(), ordered.end());
        for (Handle h : ordered) {
            auto it = m_entries.find(h);
            if (it == m_entries.end())
                continue;
            Callback cb = std::move(it->second.cb);
            unregister(h);
            m_queue.emplace_back(h, std::move(cb));
        }
    }
    if (m_firing)
        return;
    m_firing = true;
    while (!m_queue.empty()) {
        Callback cb = std::move(m_queue.front().second);
        m_queue.pop_front();
        if (cb)
            cb();
    }
    m_firing = false;
}

}  // namespace conclave::state
