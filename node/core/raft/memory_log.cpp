#include "core/raft/memory_log.h"

#include <algorithm>

namespace conclave::raft {

void MemoryLog::persist(const Ready &rd, const QByteArray &snapshotPayload)
{
    if (rd.snapshot) {
        // The core discarded its whole log for the snapshot; so do we.
        m_snapshot = *rd.snapshot;
        m_payload = snapshotPayload;
        m_entries.clear();
    }
    if (!rd.entries.empty()) {
        const LogIndex first = rd.entries.front().index;
        const auto keep = std::min<quint64>(m_entries.size(),
                                            first.value - m_snapshot.index.value - 1);
        m_entries.resize(keep);
        m_entries.insert(m_entries.end(), rd.entries.begin(), rd.entries.end());
    }
    if (rd.hardStateChanged)
        m_hardState = rd.hardState;
}

void MemoryLog::compact(const SnapshotMeta &meta, const QByteArray &payload)
{
    if (meta.index <= m_snapshot.index)
        return;
    const auto drop = std::min<quint64>(m_entries.size(), meta.index.value - m_snapshot.index.value);
    m_entries.erase(m_entries.begin(), m_entries.begin() + static_cast<std::ptrdiff_t>(drop));
    m_snapshot = meta;
    m_payload = payload;
}

InitialState MemoryLog::initialState() const
{
    InitialState s;
    s.hardState = m_hardState;
    s.snapshot = m_snapshot;
    s.entries = m_entries;
    s.applied = m_snapshot.index;
    return s;
}

LogIndex MemoryLog::lastIndex() const
{
    return m_snapshot.index + m_entries.size();
}

}  // namespace conclave::raft
