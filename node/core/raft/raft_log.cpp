#include "core/raft/raft_log.h"

#include <algorithm>

namespace conclave::raft {

RaftLog::RaftLog(const SnapshotMeta &snapshot, std::vector<Entry> entries)
    : m_snapshot(snapshot), m_entries(std::move(entries))
{
    m_committed = m_snapshot.index;
    m_applied = m_snapshot.index;
    m_applying = m_snapshot.index;
    m_unstableFrom = lastIndex() + 1;
    for (const Entry &e : m_entries)
        trackConf(e);
}

Term RaftLog::lastTerm() const
{
    return m_entries.empty() ? m_snapshot.term : m_entries.back().term;
}

std::optional<Term> RaftLog::term(LogIndex index) const
{
    if (index == m_snapshot.index)
        return m_snapshot.term;
    if (index < m_snapshot.index || index > lastIndex())
        return std::nullopt;
    return m_entries[index.value - m_snapshot.index.value - 1].term;
}

const Entry *RaftLog::entry(LogIndex index) const
{
    if (index <= m_snapshot.index || index > lastIndex())
        return nullptr;
    return &m_entries[index.value - m_snapshot.index.value - 1];
}

std::vector<Entry> RaftLog::entries(LogIndex lo, std::size_t maxCount, qint64 maxBytes) const
{
    std::vector<Entry> out;
    if (lo <= m_snapshot.index)
        return out;
    qint64 bytes = 0;
    for (LogIndex i = lo; i <= lastIndex() && out.size() < maxCount; i = i + 1) {
        const Entry *e = entry(i);
        bytes += e->data.size();
        if (!out.empty() && bytes > maxBytes)
            break;
        out.push_back(*e);
    }
    return out;
}

bool RaftLog::isUpToDate(LogIndex lastIdx, Term lastTrm) const
{
    return lastTrm > lastTerm() || (lastTrm == lastTerm() && lastIdx >= lastIndex());
}

std::optional<LogIndex> RaftLog::maybeAppend(LogIndex prevIndex, Term prevTerm, LogIndex commit,
                                             const std::vector<Entry> &ents,
                                             bool *conflictBelowCommit)
{
    if (!matchTerm(prevIndex, prevTerm))
        return std::nullopt;
    const LogIndex lastNew = prevIndex + ents.size();
    // The first entry that is new or differs; entries already present are left alone so that a
    // stale, reordered append never truncates newer entries (Raft §5.3 step 3).
    std::size_t from = ents.size();
    for (std::size_t i = 0; i < ents.size(); ++i) {
        if (!matchTerm(ents[i].index, ents[i].term)) {
            from = i;
            break;
        }
    }
    if (from < ents.size()) {
        const LogIndex conflict = ents[from].index;
        if (conflict <= m_committed) {
            if (conflictBelowCommit)
                *conflictBelowCommit = true;
            return std::nullopt;
        }
        if (conflict <= lastIndex())
            truncateFrom(conflict);
        for (std::size_t i = from; i < ents.size(); ++i) {
            m_entries.push_back(ents[i]);
            trackConf(ents[i]);
        }
    }
    commitTo(std::min(commit, lastNew));
    return lastNew;
}

void RaftLog::append(const std::vector<Entry> &ents)
{
    for (const Entry &e : ents) {
        m_entries.push_back(e);
        trackConf(e);
    }
}

std::pair<LogIndex, Term> RaftLog::findConflictByTerm(LogIndex index, Term t) const
{
    if (index > lastIndex())
        index = lastIndex();
    for (;;) {
        const std::optional<Term> ourTerm = term(index);
        if (!ourTerm)
            return {index, Term{}};
        if (*ourTerm <= t)
            return {index, *ourTerm};
        if (index.value == 0)
            return {index, Term{}};
        index = index - 1;
    }
}

void RaftLog::commitTo(LogIndex index)
{
    index = std::min(index, lastIndex());
    if (index > m_committed)
        m_committed = index;
}

bool RaftLog::maybeCommit(LogIndex index, Term currentTerm)
{
    // Raft §5.4.2: only entries of the current term are committed by counting replicas.
    if (index > m_committed && term(index) == currentTerm) {
        commitTo(index);
        return true;
    }
    return false;
}

void RaftLog::restore(const SnapshotMeta &snapshot)
{
    m_snapshot = snapshot;
    m_entries.clear();
    m_confHistory.clear();
    m_committed = snapshot.index;
    m_applied = snapshot.index;
    m_applying = snapshot.index;
    m_unstableFrom = snapshot.index + 1;
    m_pendingSnapshot = true;
}

bool RaftLog::compact(const SnapshotMeta &snapshot)
{
    if (snapshot.index <= m_snapshot.index)
        return true;  // already compacted past it
    if (snapshot.index > m_applied || term(snapshot.index) != snapshot.term)
        return false;
    const std::size_t drop = snapshot.index.value - m_snapshot.index.value;
    m_entries.erase(m_entries.begin(), m_entries.begin() + static_cast<std::ptrdiff_t>(drop));
    m_snapshot = snapshot;
    m_confHistory.erase(std::remove_if(m_confHistory.begin(), m_confHistory.end(),
                                       [&](const auto &h) { return h.first <= snapshot.index; }),
                        m_confHistory.end());
    return true;
}

Membership RaftLog::membershipAt(LogIndex index) const
{
    const Membership *m = &m_snapshot.membership;
    for (const auto &h : m_confHistory) {
        if (h.first > index)
            break;
        m = &h.second;
    }
    return *m;
}

const Membership &RaftLog::membership() const
{
    return m_confHistory.empty() ? m_snapshot.membership : m_confHistory.back().second;
}

LogIndex RaftLog::lastConfIndex() const
{
    return m_confHistory.empty() ? LogIndex{} : m_confHistory.back().first;
}

std::vector<Entry> RaftLog::takeUnstable()
{
    std::vector<Entry> out;
    for (LogIndex i = std::max(m_unstableFrom, firstIndex()); i <= lastIndex(); i = i + 1)
        out.push_back(*entry(i));
    m_unstableFrom = lastIndex() + 1;
    return out;
}

SnapshotMeta RaftLog::takePendingSnapshot()
{
    m_pendingSnapshot = false;
    return m_snapshot;
}

std::vector<Entry> RaftLog::takeNextCommitted(std::size_t maxCount)
{
    std::vector<Entry> out;
    while (m_applying < m_committed && out.size() < maxCount) {
        m_applying = m_applying + 1;
        out.push_back(*entry(m_applying));
    }
    return out;
}

void RaftLog::appliedTo(LogIndex index)
{
    m_applied = std::max(m_applied, std::min(index, m_applying));
}

void RaftLog::truncateFrom(LogIndex index)
{
    const std::size_t keep = index.value - m_snapshot.index.value - 1;
    m_entries.resize(keep);
    m_unstableFrom = std::min(m_unstableFrom, index);
    while (!m_confHistory.empty() && m_confHistory.back().first >= index)
        m_confHistory.pop_back();
}

void RaftLog::trackConf(const Entry &e)
{
    if (e.type != EntryType::ConfChange)
        return;
    const std::optional<ConfChange> cc = ConfChange::decode(e.data);
    Membership next = membership();
    // An undecodable or ill-fitting change is kept in the log but changes nothing, identically
    // on every server, so memberships never diverge.
    if (cc && cc->applyTo(next))
        m_confHistory.emplace_back(e.index, std::move(next));
}

}  // namespace conclave::raft
