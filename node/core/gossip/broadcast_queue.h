#pragma once
// BroadcastQueue: memberlist's TransmitLimitedQueue. Holds encoded membership messages to
// piggyback on pings, acks and gossip packets; each goes out at most retransmitLimit(n) times,
// least-sent first, and a newer message about a member replaces any older one about it.
// Owned by Swim; one thread.

#include <QByteArray>
#include <QString>

#include <vector>

namespace conclave::gossip {

class BroadcastQueue {
public:
    /// Queues `msg` about member `node`, dropping queued messages about the same member.
    void queue(const QString &node, const QByteArray &msg);
    /// Messages fitting in `limit` bytes when each costs compoundOverhead(size) + `overhead`;
    /// each returned message counts one transmit and is dropped after `transmitLimit`.
    std::vector<QByteArray> take(int overhead, int limit, int transmitLimit);
    int size() const { return int(m_items.size()); }
    bool isEmpty() const { return m_items.empty(); }
    void clear() { m_items.clear(); }
    /// Transmits so far of the message queued about `node` (-1 if none): tests.
    int transmitsOf(const QString &node) const;

private:
    struct Item {
        QString node;
        QByteArray msg;
        int transmits = 0;
        quint64 id = 0;  // insertion order: newer first among equal transmit counts
    };
    std::vector<Item> m_items;
    quint64 m_nextId = 0;
};

}  // namespace conclave::gossip
