#pragma once
// Swim: one member of a gossip pool as a deterministic state machine: SWIM failure detection
// with Lifeguard (memberlist's state.go + net.go, minus sockets, goroutines and clocks).
// Inputs: tick(now), handlePacket(from, bytes, now), handleStream(...), join(addrs, now),
// leave(now), setTags(tags, now). Output: an Outbox of UDP packets, TCP stream requests and member
// events, taken with takeOutbox(). Time is only the `nowMs` argument (monotonic milliseconds,
// never decreasing); randomness only the seed. Same config, seed and calls → same outboxes.
//
// Owner: the driver (agent/gossip_pool in the product, GossipSim in tests). Not thread-safe: one
// thread calls everything. Caller duties, the state diagram and constants are in README.md.

#include "core/gossip/broadcast_queue.h"
#include "core/gossip/config.h"
#include "core/gossip/membership.h"
#include "core/gossip/messages.h"

#include <QStringList>

#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

namespace conclave::gossip {

struct Packet {
    QString to;  // "ip:port"
    QByteArray bytes;  // ≤ Config::udpBufferSize
};

enum class StreamKind { Join, PushPull, Ping };

/// A TCP exchange: connect to `to`, write `bytes` (framed as the transport likes), read one reply
/// and hand it to handleStreamResponse(id, …), or call streamFailed(id, …) on error or after
/// timeoutMs. The peer passes the request to its handleStream() and writes back what it returns.
struct StreamRequest {
    quint64 id = 0;
    StreamKind kind = StreamKind::PushPull;
    QString to;
    QByteArray bytes;
    qint64 timeoutMs = 0;
};

struct Outbox {
    std::vector<Packet> packets;
    std::vector<StreamRequest> streams;
    std::vector<MemberEvent> events;
    bool isEmpty() const { return packets.empty() && streams.empty() && events.empty(); }
};

struct SwimStats {
    quint64 packetsIn = 0;
    quint64 packetsOut = 0;
    quint64 malformed = 0;       // undecodable packets or streams, dropped
    quint64 addrConflicts = 0;   // alive for a known name from another address, refused
    quint64 refutes = 0;
    quint64 probes = 0;
    quint64 failedProbes = 0;
};

class Swim {
public:
    /// Starts alive at incarnation 1, alone (the Join event for ourselves is in the first outbox).
    Swim(const Config &config, quint64 randomSeed, qint64 nowMs);

    // --- inputs -------------------------------------------------------------------------------
    /// Runs every timer due at nowMs (probes, gossip, push-pull, suspicion, reaping).
    void tick(qint64 nowMs);
    /// The earliest time tick() has something to do; the driver arms one timer for it.
    qint64 nextDeadline() const;
    /// A UDP packet from `from` ("ip:port"). Malformed ones are counted and dropped.
    void handlePacket(const QString &from, const QByteArray &bytes, qint64 nowMs);
    /// A TCP request from a peer; returns the reply to write back (empty: close without reply).
    QByteArray handleStream(const QString &from, const QByteArray &bytes, qint64 nowMs);
    void handleStreamResponse(quint64 id, const QByteArray &bytes, qint64 nowMs);
    void streamFailed(quint64 id, qint64 nowMs);
    /// Push-pull with each seed address. Returns the stream ids; a join succeeded for each id
    /// answered (joinedCount()).
    std::vector<quint64> join(const QStringList &addrs, qint64 nowMs);
    /// Graceful leave: broadcasts our leave intent (Dead from ourselves); we become left and
    /// refute nothing anymore. The driver keeps ticking for leavePropagateDelayMs (or until
    /// pendingBroadcasts() is 0), then stops.
    void leave(qint64 nowMs);
    /// New tags for ourselves: bumps our incarnation and broadcasts them. False if too large.
    bool setTags(const Tags &tags, qint64 nowMs);
    /// Consul force-leave: a failed member becomes left (prune: forgotten now). False if the
    /// member is unknown or not failed.
    bool forceLeave(const QString &name, bool prune, qint64 nowMs);

    // --- output -------------------------------------------------------------------------------
    Outbox takeOutbox();
    bool hasOutput() const { return !m_out.isEmpty(); }

    // --- views --------------------------------------------------------------------------------
    const Config &config() const { return m_config; }
    const Member &self() const;
    const Member *member(const QString &name) const;
    std::vector<Member> members() const;
    /// memberlist's estNumNodes: members not left and not dead longer than GossipToTheDead.
    int estNumNodes() const { return m_numNodes; }
    /// Lifeguard health score, 0 … AwarenessMaxMultiplier − 1 (`health_score`).
    int healthScore() const { return m_awareness; }
    /// ProbeInterval / ProbeTimeout scaled by the health score.
    qint64 scaledMs(qint64 ms) const { return ms * (m_awareness + 1); }
    int pendingBroadcasts() const { return m_broadcasts.size(); }
    int joinedCount() const { return m_joined; }
    const SwimStats &stats() const { return m_stats; }
    /// Deadline of the suspicion timer on `name` (nullopt if none) and its confirmations: tests.
    std::optional<qint64> suspicionDeadline(const QString &name) const;
    int suspicionConfirmations(const QString &name) const;
    const BroadcastQueue &broadcasts() const { return m_broadcasts; }

private:
    struct Suspicion {
        qint64 startMs = 0;
        qint64 deadlineMs = 0;
        qint64 minMs = 0;
        qint64 maxMs = 0;
        int k = 0;
        QString initiator;             // the first suspector: not a confirmation
        std::set<QString> confirmers;  // independent suspectors beyond the initiator
        qint64 stateChangeMs = 0;      // the suspect episode this timer belongs to
    };
    struct Probe {
        QString target;
        quint32 seqNo = 0;
        qint64 startMs = 0;
        qint64 timeoutAt = 0;  // direct ping given up: go indirect
        qint64 endAt = 0;      // probe over: suspect if nothing acked
        bool indirectSent = false;
        bool acked = false;
        int expectedNacks = 0;
        int nacks = 0;
    };
    struct Relay {  // an indirect ping we do on behalf of a prober
        quint32 requesterSeq = 0;
        QString requesterAddr;
        bool wantNack = false;
        qint64 deadline = 0;
    };
    struct PendingStream {
        StreamKind kind;
        quint32 seqNo = 0;  // Ping: the probe it belongs to
    };

    // membership (memberlist aliveNode / suspectNode / deadNode rules)
    void aliveNode(const Alive &a, qint64 now, bool bootstrap = false);
    void suspectNode(const Suspect &s, qint64 now);
    void deadNode(const Dead &d, qint64 now);
    void refute(Member &me, quint32 accusedInc, qint64 now);
    void mergeRemoteState(const PushPull &pp, qint64 now);
    void notify(MemberEventType type, const Member &m);
    void recountNodes(qint64 now);
    void applyAwareness(int delta);

    // probing
    void startProbe(qint64 now);
    void probeTimedOut(qint64 now);
    void finishProbe(qint64 now);
    void gossip(qint64 now);
    void pushPull(qint64 now);
    void reap(qint64 now);
    void handleMessage(const QString &from, const Message &m, qint64 now);
    void handleAck(quint32 seqNo, qint64 now);

    // output helpers
    void sendUdp(const QString &to, const QByteArray &msg);
    void sendUdp(const QString &to, const std::vector<QByteArray> &msgs);
    void broadcast(const QString &node, const QByteArray &msg);
    quint64 requestStream(StreamKind kind, const QString &to, const QByteArray &bytes,
                          qint64 timeoutMs, quint32 seqNo = 0);
    PushPull localState(bool join) const;
    std::vector<const Member *> randomMembers(int k, const std::set<QString> &exclude,
                                              bool includeRecentDead, qint64 now);
    quint32 nextSeq() { return ++m_seqNo; }

    Config m_config;
    std::mt19937_64 m_rng;
    std::map<QString, Member> m_members;  // ordered: iteration must not depend on a hash seed
    std::vector<QString> m_probeOrder;
    std::size_t m_probeIndex = 0;
    std::map<QString, Suspicion> m_suspicions;
    std::map<quint32, Relay> m_relays;
    std::map<quint64, PendingStream> m_streams;
    std::optional<Probe> m_probe;
    BroadcastQueue m_broadcasts;
    Outbox m_out;
    SwimStats m_stats;

    quint32 m_seqNo = 0;
    quint64 m_nextStreamId = 0;
    int m_awareness = 0;
    int m_numNodes = 1;
    int m_joined = 0;
    qint64 m_nextProbeAt = 0;
    qint64 m_nextGossipAt = 0;
    qint64 m_nextPushPullAt = 0;
    qint64 m_nextReapAt = 0;
};

}  // namespace conclave::gossip
