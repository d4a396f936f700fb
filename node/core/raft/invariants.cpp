#include "core/raft/invariants.h"

namespace conclave::raft {

namespace {
QString who(const RaftCore &core)
{
    return QStringLiteral("%1 (term %2)").arg(core.id().value).arg(core.term().value);
}
}  // namespace

QStringList Invariants::check(const RaftCore &core)
{
    QStringList out;
    NodeView &v = m_nodes[core.id()];
    const RaftLog &log = core.log();

    if (!core.safetyViolation().isEmpty())
        out << who(core) + QStringLiteral(": ") + core.safetyViolation();
    if (v.seen) {
        if (core.term() < v.term)
            out << QStringLiteral("%1: term fell from %2").arg(who(core)).arg(v.term.value);
        if (core.commitIndex() < v.commit)
            out << QStringLiteral("%1: commit fell from %2 to %3")
                       .arg(who(core)).arg(v.commit.value).arg(core.commitIndex().value);
        if (core.term() == v.term && !v.vote.isNone() && core.vote() != v.vote)
            out << QStringLiteral("%1: vote changed from %2 to %3 within a term")
                       .arg(who(core), v.vote.value, core.vote().value);
    }
    if (core.commitIndex() > log.lastIndex())
        out << QStringLiteral("%1: commit %2 beyond last index %3")
                   .arg(who(core)).arg(core.commitIndex().value).arg(log.lastIndex().value);
    if (core.appliedIndex() > core.commitIndex())
        out << QStringLiteral("%1: applied %2 beyond commit %3")
                   .arg(who(core)).arg(core.appliedIndex().value).arg(core.commitIndex().value);

    // Election Safety (§5.2): at most one leader per term.
    if (core.isLeader()) {
        auto [it, added] = m_leaders.emplace(core.term().value, core.id());
        if (!added && it->second != core.id())
            out << QStringLiteral("two leaders in term %1: %2 and %3")
                       .arg(core.term().value).arg(it->second.value, core.id().value);
    }

    // Log Matching (§5.3): an (index, term) pair identifies one entry and the term before it;
    // by induction, equal (index, term) means equal prefixes. Only entries not checked before
    // (or rewritten since) are looked at.
    const quint64 first = log.firstIndex().value;
    const quint64 last = log.lastIndex().value;
    quint64 start = std::min<quint64>(v.checkedTerms.empty() ? 0 : v.checkedTerms.size() - 1, last);
    while (start >= first) {
        const std::optional<Term> t = log.term(LogIndex{start});
        if (t && v.checkedTerms[start] == t->value)
            break;
        --start;
    }
    start = std::max<quint64>(start + 1, first);
    v.checkedTerms.resize(start, 0);
    for (quint64 i = start; i <= last; ++i) {
        const Entry *e = log.entry(LogIndex{i});
        const Term prev = log.term(LogIndex{i - 1}).value_or(Term{});
        auto [it, added] = m_entries.try_emplace({i, e->term.value}, Seen{prev, e->type, e->data});
        if (!added && (it->second.prevTerm != prev || it->second.data != e->data
                       || it->second.type != e->type))
            out << QStringLiteral("log matching: %1 holds a different entry (or predecessor) at "
                                  "index %2 term %3")
                       .arg(who(core)).arg(i).arg(e->term.value);
        v.checkedTerms.push_back(e->term.value);
    }

    // Committed entries never change (State Machine Safety on commits).
    for (quint64 i = std::max(v.commit.value, log.snapshot().index.value) + 1;
         i <= core.commitIndex().value; ++i) {
        const Entry *e = log.entry(LogIndex{i});
        if (!e)
            continue;
        auto [it, added] = m_committed.try_emplace(i, Committed{*e, core.term()});
        if (!added && !(it->second.entry == *e))
            out << QStringLiteral("%1 committed index %2 term %3, but term %4 was committed there")
                       .arg(who(core)).arg(i).arg(e->term.value)
                       .arg(it->second.entry.term.value);
    }

    v.term = core.term();
    v.vote = core.vote();
    v.commit = std::max(v.commit, core.commitIndex());
    v.seen = true;
    return out;
}

QStringList Invariants::checkLeaderCompleteness(const RaftCore &core)
{
    // Leader Completeness (§5.4): a leader of term T holds every entry committed before T.
    QStringList out;
    const RaftLog &log = core.log();
    // Incremental: per leader and term, only entries committed since the last look.
    auto &[checkedTerm, checkedUpTo] = m_leaderChecked[core.id()];
    quint64 from = log.snapshot().index.value;
    if (checkedTerm == core.term())
        from = std::max(from, checkedUpTo);
    checkedTerm = core.term();
    checkedUpTo = m_committed.empty() ? 0 : m_committed.rbegin()->first;
    for (auto it = m_committed.upper_bound(from); it != m_committed.end(); ++it) {
        if (it->second.termBound >= core.term())
            continue;
        const Entry *e = log.entry(LogIndex{it->first});
        if (!e || !(*e == it->second.entry)) {
            out << QStringLiteral("leader completeness: leader %1 lacks committed index %2 (term %3)")
                       .arg(who(core)).arg(it->first).arg(it->second.entry.term.value);
            break;
        }
    }
    return out;
}

QStringList Invariants::checkCluster(const std::vector<const RaftCore *> &cores)
{
    QStringList out;
    for (const RaftCore *c : cores)
        out << check(*c);
    for (const RaftCore *c : cores) {
        if (c->isLeader())
            out << checkLeaderCompleteness(*c);
    }
    return out;
}

void Invariants::nodeRestarted(const NodeId &id)
{
    NodeView &v = m_nodes[id];
    v.seen = false;
    v.commit = LogIndex{};
    v.vote = NodeId{};
    v.checkedTerms.clear();
    v.appliedKnown = false;
}

QStringList Invariants::recordApplied(const NodeId &id, const Entry &entry)
{
    QStringList out;
    NodeView &v = m_nodes[id];
    if (v.appliedKnown && entry.index != v.lastApplied + 1)
        out << QStringLiteral("%1 applied index %2 after %3")
                   .arg(id.value).arg(entry.index.value).arg(v.lastApplied.value);
    v.lastApplied = entry.index;
    v.appliedKnown = true;
    auto [it, added] = m_applied.try_emplace(entry.index.value, entry);
    if (!added && !(it->second == entry))
        out << QStringLiteral("state machine safety: %1 applied term %2 at index %3, another "
                              "server applied term %4")
                   .arg(id.value).arg(entry.term.value).arg(entry.index.value)
                   .arg(it->second.term.value);
    return out;
}

void Invariants::recordRestored(const NodeId &id, LogIndex index)
{
    NodeView &v = m_nodes[id];
    v.lastApplied = index;
    v.appliedKnown = true;
}

}  // namespace conclave::raft
