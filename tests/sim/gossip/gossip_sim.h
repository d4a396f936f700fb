#pragma once
// GossipSim: many gossip::Swim cores in one process over a seeded fake network and a virtual
// clock (memberlist's mock_transport idea, TigerBeetle's packet simulator). UDP packets are lost
// with a configurable probability and delayed 1–5 ms; TCP streams are reliable but slower and
// time out against dead hosts. Members can be killed (stop sending and receiving), added, made to
// leave, or CPU-starved (frozen periodically: on thaw their late timers fire before the packets
// that queued up). Records member events to measure detection and convergence times and to count
// false positives (a live member declared failed anywhere). Owned by the test; one thread.

#include "core/gossip/swim.h"

#include <QString>

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <vector>

namespace conclave::sim {

struct GossipSimConfig {
    quint64 seed = 1;
    double loss = 0.0;         // UDP loss probability per packet
    qint64 minDelayMs = 1;
    qint64 maxDelayMs = 5;
    qint64 tcpMinDelayMs = 2;  // per direction
    qint64 tcpMaxDelayMs = 10;
    bool wan = false;
    /// Lifeguard off (memberlist's own knobs): no health score, fixed suspicion timeout.
    bool lifeguard = true;
};

class GossipSim {
public:
    explicit GossipSim(const GossipSimConfig &config);

    /// A new member (index returned) joining through `seeds` (other member indexes) at now().
    int addMember(const std::vector<int> &seeds);
    /// The member stops sending and receiving (kill -9, machine gone).
    void kill(int i);
    void leave(int i);
    /// From now on member i is frozen for `frozenMs` out of every `periodMs`.
    void starve(int i, qint64 periodMs, qint64 frozenMs);
    /// From now on every packet member i receives waits a random 0…maxLagMs in its input
    /// backlog before it is processed (a starved receive loop); its timers stay on time.
    void lagInput(int i, qint64 maxLagMs);
    /// Runs the simulation until virtual time `t`.
    void runUntil(qint64 t);
    void runFor(qint64 ms) { runUntil(m_now + ms); }
    /// Runs until pred() holds (checked after each event) or `deadline`; true if it held.
    template <typename Pred>
    bool runUntilTrue(Pred pred, qint64 deadline)
    {
        while (!pred()) {
            if (!step(deadline))
                return pred();
        }
        return true;
    }

    qint64 now() const { return m_now; }
    int size() const { return int(m_nodes.size()); }
    bool isUp(int i) const { return m_nodes[std::size_t(i)].up; }
    const gossip::Swim &core(int i) const { return *m_nodes[std::size_t(i)].core; }
    static QString nameOf(int i);
    static QString addrOf(int i);

    /// True if every other up member sees member `j` in `state` (Alive includes suspect), as
    /// told by the member events each one emitted. O(1).
    bool allSee(int j, gossip::NodeState state) const;
    /// True if every up member knows every up member as alive. O(n).
    bool converged() const;
    /// The same, asked of the cores themselves (slow; final checks).
    bool coresConverged() const;

    /// Per observer, when it first reported `type` about member j (up observers only).
    std::vector<qint64> eventTimes(int j, gossip::MemberEventType type) const;
    /// Failed events about members that were up when reported, at any member.
    int falsePositives() const { return m_falsePositives; }
    QString firstFalsePositive() const { return m_firstFalsePositive; }
    /// (observer, subject) of each false positive.
    const std::vector<std::pair<int, int>> &falseFailures() const { return m_falseFailures; }
    quint64 packets() const { return m_packets; }
    quint64 events() const { return m_events; }

private:
    enum class Kind { Wake, Packet, Stream, StreamReply, StreamFail };
    struct Event {
        qint64 at = 0;
        int prio = 1;  // 0 before 1 at the same time: a thawed member's timers run first
        quint64 seq = 0;
        Kind kind = Kind::Wake;
        int to = 0;
        int from = 0;
        QByteArray bytes;
        quint64 streamId = 0;
        bool lagged = false;
        bool operator>(const Event &o) const
        {
            if (at != o.at)
                return at > o.at;
            if (prio != o.prio)
                return prio > o.prio;
            return seq > o.seq;
        }
    };
    struct Node {
        std::unique_ptr<gossip::Swim> core;
        bool up = true;
        qint64 wakeAt = -1;  // the pending Wake event's time (-1 none)
        qint64 starvePeriod = 0;
        qint64 starveFrozen = 0;
        qint64 starveFrom = 0;
        qint64 inputLag = 0;
    };

    bool step(qint64 deadline);
    void push(Event e);
    void drain(int i);
    void scheduleWake(int i);
    std::optional<qint64> thawTime(int i, qint64 t) const;
    qint64 udpDelay();
    qint64 tcpDelay();
    int indexOf(const QString &addr) const;

    GossipSimConfig m_config;
    std::mt19937_64 m_rng;
    std::priority_queue<Event, std::vector<Event>, std::greater<Event>> m_queue;
    std::vector<Node> m_nodes;
    qint64 m_now = 0;
    quint64 m_seq = 0;
    quint64 m_packets = 0;
    quint64 m_events = 0;
    int m_falsePositives = 0;
    QString m_firstFalsePositive;
    std::vector<std::pair<int, int>> m_falseFailures;
    // Views from member events: m_view[observer][subject] (a NodeState + 1, 0 = unknown) and,
    // per subject and state, how many other up observers hold it.
    std::vector<std::vector<quint8>> m_view;
    std::vector<std::array<int, 5>> m_viewCount;
    int m_up = 0;
    void setView(int observer, int subject, quint8 v);
    // (observer, subject, type) → first time
    std::map<std::tuple<int, int, int>, qint64> m_eventTimes;
};

}  // namespace conclave::sim
