#pragma once
// GossipPool: one running gossip pool (LAN or WAN) — the driver around the pure gossip::Swim core
// (core/gossip/README.md, "Caller duties"). It owns the Swim, a net::GossipTransport bound to the
// pool's port and one precise QTimer armed for Swim::nextDeadline(); the clock (a QElapsedTimer,
// monotonic, ms since the pool was made) lives here and never in the core. Every input — timer,
// datagram, stream request or reply, join, leave, setTags — is one call into Swim, after which the
// outbox is flushed: packets and streams go to the transport, member events become signals.
//
// Encryption: when the transport's keyring holds a key at start(), Swim packs packets for
// udpBufferSize − 29 bytes so that the sealed datagram still fits 1400. Keys may then be rotated
// through security() (install, use, remove); turning encryption on or off in a running pool is
// not supported (Consul neither).
//
// Owned by the agent (one per pool), or a test. Event-loop thread only; nothing blocks. Signals
// are emitted after the call that caused them has finished with Swim, in Swim's order; a slot
// may call back into the pool (its signals then queue behind the ones being emitted) and may
// destroy it with deleteLater(), never with delete.
//
// Also serf's reconnect to failed members (Options::reconnectIntervalMs), which the core lacks.
//
// Not here: the serf snapshot for rejoin, retry_join's retry loop (the agent calls join() again
// while joinedCount() is 0), user events and queries, coordinates, the catalog reconcile.

#include "core/gossip/swim.h"
#include "net/gossip_transport.h"

#include <QElapsedTimer>
#include <QObject>
#include <QStringList>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

class QTimer;

namespace conclave::gossip {

class GossipPool : public QObject {
    Q_OBJECT
public:
    struct Options {
        /// Name, tags and timings (Config::lan / wan / local). `addr` is what other members dial:
        /// empty means the bind address with the bound port, and a port of 0 becomes the bound one.
        Config swim;
        /// Bind address and port, security (keyring, label, verify flags), stream bounds.
        net::GossipTransport::Config transport;
        /// Seeds Swim's generator (and the reconnect draw); 0 takes one from the system CSPRNG.
        quint64 randomSeed = 0;
        /// serf's ReconnectInterval: this often, with probability failed ÷ alive, push-pull with
        /// one random failed member, so that the two sides of a healed partition find each other
        /// again (SWIM alone stops talking to the dead after GossipToTheDead). 0: never.
        qint64 reconnectIntervalMs = 30000;
    };

    explicit GossipPool(Options options, QObject *parent = nullptr);
    ~GossipPool() override;

    /// Binds the port and starts gossiping alone (memberJoined(self) follows). False with one
    /// sentence in `error` if the port is taken or the address cannot be advertised.
    bool start(QString *error);
    /// Stops at once, without telling anyone (others will find us failed). Idempotent.
    void stop();
    bool isRunning() const;

    /// Push-pull with each address ("ip:port", "host:port", or a host without a port: ours is
    /// used, as memberlist does). Returns how many were contacted; joinFinished follows once each
    /// answered or failed.
    int join(const QStringList &addresses);
    /// Graceful leave: broadcasts our leave and keeps gossiping until it is out (no broadcast
    /// pending, or nobody left to tell) or `timeoutMs` passed (−1: the pool's
    /// leavePropagateDelayMs), then stops and emits leaveFinished. Nothing is refuted meanwhile.
    void leave(qint64 timeoutMs = -1);
    /// New tags for ourselves (serf SetTags): false if they are too large or we are not running.
    bool setTags(const Tags &tags);
    /// Consul force-leave of a failed member (prune: forgotten at once).
    bool forceLeave(const QString &name, bool prune);

    // --- views ---------------------------------------------------------------------------------
    /// Every known member, ourselves included, by name (for /v1/agent/members).
    /// Our own record says leaving while leave() runs, and left once leaveFinished (serf).
    std::vector<Member> members() const;
    std::optional<Member> member(const QString &name) const;
    Member localMember() const;
    /// The advertised "ip:port" (known after start()).
    QString address() const;
    quint16 port() const;
    int joinedCount() const;
    int healthScore() const;
    int estNumNodes() const;
    SwimStats swimStats() const;
    const net::GossipTransport::Stats &transportStats() const;
    net::GossipSecurity &security();
    /// The milliseconds Swim sees.
    qint64 nowMs() const { return m_clock.elapsed(); }

signals:
    void memberJoined(const conclave::gossip::Member &member);
    void memberUpdated(const conclave::gossip::Member &member);
    void memberLeft(const conclave::gossip::Member &member);
    void memberFailed(const conclave::gossip::Member &member);
    void memberReaped(const conclave::gossip::Member &member);
    /// A join() is over: `contacted` of `attempted` addresses answered the push-pull.
    void joinFinished(int contacted, int attempted);
    /// leave() is over; the pool is stopped.
    void leaveFinished();

private:
    struct JoinBatch {
        int attempted = 0;
        int answered = 0;
        int pending = 0;
    };

    using MemberSignal = void (GossipPool::*)(const Member &);
    static MemberSignal signalFor(MemberEventType type);

    void onTimer();
    void onReconnectTimer();
    void onPacket(const QString &from, const QByteArray &bytes);
    QByteArray onStream(const QString &from, const QByteArray &request);
    void onStreamReplied(quint64 id, const QByteArray &reply);
    void onStreamFailed(quint64 id);
    void joinStreamDone(quint64 id, bool answered);
    /// Sends the outbox, re-arms the timer, finishes a leave, then emits what happened.
    void flush();
    void emitPending();
    void maybeFinishLeave();
    QString withPort(const QString &address) const;
    /// A member as the pool reports it (our own record is left, not leaving, once the leave is over).
    Member reported(Member m) const;

    Options m_options;
    QElapsedTimer m_clock;
    std::unique_ptr<Swim> m_swim;
    net::GossipTransport *m_transport = nullptr;
    QTimer *m_timer = nullptr;
    QTimer *m_reconnectTimer = nullptr;
    std::mt19937_64 m_rng;  // the reconnect draw only; Swim has its own
    bool m_running = false;
    bool m_leaving = false;
    qint64 m_leaveDeadline = 0;
    bool m_leaveDone = false;

    std::map<quint64, int> m_joinStreams;  // join stream id → batch
    std::map<int, JoinBatch> m_joinBatches;
    int m_nextBatch = 0;

    // Signals waiting to be emitted, in order (a slot may call back in: no nested emission).
    std::deque<std::function<void()>> m_pending;
    bool m_emitting = false;
};

}  // namespace conclave::gossip
