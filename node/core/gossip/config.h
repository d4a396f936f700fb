#pragma once
// Gossip pool configuration (memberlist's Config + the serf timeouts Consul sets) and the derived
// formulas of memberlist's util.go / suspicion.go. Plain values and pure functions; any thread.
// All durations are milliseconds of the caller's clock.

#include "core/gossip/messages.h"

#include <QString>

namespace conclave::gossip {

struct Config {
    QString name;  // unique node name (WAN: "<node>.<dc>")
    QString addr;  // "ip:port" other members reach us at (UDP and TCP)
    Tags tags;     // role, dc, port, build, vsn… (≤ kMaxMetaSize encoded)

    qint64 probeIntervalMs = 1000;
    qint64 probeTimeoutMs = 500;
    int indirectChecks = 3;
    int suspicionMult = 4;
    int suspicionMaxTimeoutMult = 6;
    int retransmitMult = 4;
    qint64 gossipIntervalMs = 200;
    int gossipNodes = 3;
    qint64 pushPullIntervalMs = 30000;
    qint64 tcpTimeoutMs = 10000;
    qint64 gossipToTheDeadMs = 30000;
    int awarenessMaxMultiplier = 8;
    bool disableTcpPings = false;
    int udpBufferSize = kMaxPacketSize;
    qint64 deadNodeReclaimMs = 30000;  // Consul's setting; memberlist's default is 0 (never)

    // serf layer (Consul values)
    qint64 reconnectTimeoutMs = 72LL * 3600 * 1000;
    qint64 tombstoneTimeoutMs = 24LL * 3600 * 1000;
    qint64 reapIntervalMs = 15000;
    qint64 leavePropagateDelayMs = 3000;

    /// memberlist DefaultLANConfig (+ Consul's DeadNodeReclaimTime and serf timeouts).
    static Config lan(const QString &name, const QString &addr);
    /// memberlist DefaultWANConfig. Consul copies gossip_nodes from the LAN value, hence 3 not 4.
    static Config wan(const QString &name, const QString &addr);
    /// memberlist DefaultLocalConfig (loopback tests).
    static Config local(const QString &name, const QString &addr);
};

/// SuspicionMult × max(1, log10(max(1, n))) × interval (memberlist suspicionTimeout).
qint64 suspicionTimeoutMs(int suspicionMult, int n, qint64 intervalMs);
/// RetransmitMult × ceil(log10(n + 1)) (memberlist retransmitLimit).
int retransmitLimit(int retransmitMult, int n);
/// interval × (ceil(log2(n) − log2(32)) + 1) once n > 32 (memberlist pushPullScale).
qint64 pushPullScaleMs(qint64 intervalMs, int n);
/// Lifeguard dynamic suspicion: total timeout after c independent confirmations out of k
/// expected, max − (max − min)·ln(c + 1)/ln(k + 1), never below min (memberlist
/// remainingSuspicionTime + elapsed). k < 1 means min.
qint64 suspicionDurationMs(int confirmations, int k, qint64 minMs, qint64 maxMs);

}  // namespace conclave::gossip
