#include "core/gossip/broadcast_queue.h"

#include "core/gossip/messages.h"

#include <algorithm>

namespace conclave::gossip {

void BroadcastQueue::queue(const QString &node, const QByteArray &msg)
{
    std::erase_if(m_items, [&](const Item &i) { return i.node == node; });
    m_items.push_back(Item{node, msg, 0, m_nextId++});
}

std::vector<QByteArray> BroadcastQueue::take(int overhead, int limit, int transmitLimit)
{
    std::vector<QByteArray> out;
    if (m_items.empty())
        return out;
    // Fewest transmits first (fresh news spreads fastest), newest first among equals.
    std::sort(m_items.begin(), m_items.end(), [](const Item &a, const Item &b) {
        return a.transmits != b.transmits ? a.transmits < b.transmits : a.id > b.id;
    });
    int used = 0;
    for (Item &item : m_items) {
        const int cost = overhead + compoundOverhead(int(item.msg.size()));
        if (used + cost > limit)
            continue;
        used += cost;
        out.push_back(item.msg);
        ++item.transmits;
    }
    std::erase_if(m_items, [&](const Item &i) { return i.transmits >= transmitLimit; });
    return out;
}

int BroadcastQueue::transmitsOf(const QString &node) const
{
    for (const Item &i : m_items) {
        if (i.node == node)
            return i.transmits;
    }
    return -1;
}

}  // namespace conclave::gossip
