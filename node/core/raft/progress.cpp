#include "core/raft/progress.h"

#include <algorithm>

namespace conclave::raft {

void Inflights::freeLE(LogIndex index)
{
    while (!m_items.empty() && m_items.front() <= index)
        m_items.pop_front();
}

void Inflights::freeFirstOne()
{
    if (!m_items.empty())
        m_items.pop_front();
}

const char *progressStateName(ProgressState state)
{
    switch (state) {
    case ProgressState::Probe: return "probe";
    case ProgressState::Replicate: return "replicate";
    case ProgressState::Snapshot: return "snapshot";
    }
    return "?";
}

void Progress::becomeProbe()
{
    // After a snapshot, the follower has at least the snapshot: probe right after it.
    if (state == ProgressState::Snapshot) {
        next = std::max(match, pendingSnapshot) + 1;
    } else {
        next = match + 1;
    }
    state = ProgressState::Probe;
    probeSent = false;
    pendingSnapshot = LogIndex{};
    inflights.reset();
}

void Progress::becomeReplicate()
{
    state = ProgressState::Replicate;
    next = match + 1;
    probeSent = false;
    pendingSnapshot = LogIndex{};
    inflights.reset();
}

void Progress::becomeSnapshot(LogIndex snapshotIndex)
{
    state = ProgressState::Snapshot;
    pendingSnapshot = snapshotIndex;
    snapshotTicks = 0;
    probeSent = false;
    inflights.reset();
}

bool Progress::maybeUpdate(LogIndex index)
{
    bool updated = false;
    if (match < index) {
        match = index;
        updated = true;
        probeSent = false;
    }
    next = std::max(next, index + 1);
    return updated;
}

bool Progress::maybeDecrTo(LogIndex rejected, LogIndex matchHint)
{
    if (state == ProgressState::Replicate) {
        // A rejection at or below match is stale (reordered or duplicated).
        if (rejected <= match)
            return false;
        next = match + 1;
        return true;
    }
    // Probe: only the answer to the append we sent (prev index = next-1) counts.
    if (next - 1 != rejected)
        return false;
    next = std::max(std::min(rejected, matchHint + 1), match + 1);
    probeSent = false;
    return true;
}

void Progress::sentEntries(std::size_t count, LogIndex lastIndex)
{
    switch (state) {
    case ProgressState::Replicate:
        if (count > 0) {
            next = lastIndex + 1;
            inflights.add(lastIndex);
        }
        break;
    case ProgressState::Probe:
        probeSent = true;
        break;
    case ProgressState::Snapshot:
        break;
    }
}

bool Progress::isPaused() const
{
    switch (state) {
    case ProgressState::Probe: return probeSent;
    case ProgressState::Replicate: return inflights.full();
    case ProgressState::Snapshot: return true;
    }
    return true;
}

}  // namespace conclave::raft
