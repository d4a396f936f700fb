#include "core/gossip/config.h"

#include <algorithm>
#include <cmath>

namespace conclave::gossip {

Config Config::lan(const QString &name, const QString &addr)
{
    Config c;
    c.name = name;
    c.addr = addr;
    return c;
}

Config Config::wan(const QString &name, const QString &addr)
{
    Config c = lan(name, addr);
    c.probeIntervalMs = 5000;
    c.probeTimeoutMs = 3000;
    c.suspicionMult = 6;
    c.gossipIntervalMs = 500;
    c.gossipNodes = 3;  // memberlist says 4; Consul's gossip_wan.gossip_nodes default is the LAN 3
    c.pushPullIntervalMs = 60000;
    c.tcpTimeoutMs = 30000;
    c.gossipToTheDeadMs = 60000;
    return c;
}

Config Config::local(const QString &name, const QString &addr)
{
    Config c = lan(name, addr);
    c.probeTimeoutMs = 200;
    c.indirectChecks = 1;
    c.suspicionMult = 3;
    c.retransmitMult = 2;
    c.gossipIntervalMs = 100;
    c.pushPullIntervalMs = 15000;
    c.tcpTimeoutMs = 1000;
    c.gossipToTheDeadMs = 15000;
    return c;
}

qint64 suspicionTimeoutMs(int suspicionMult, int n, qint64 intervalMs)
{
    const double nodeScale = std::max(1.0, std::log10(std::max(1.0, double(n))));
    // Same rounding as memberlist: the scale is truncated to thousandths.
    return qint64(suspicionMult) * qint64(nodeScale * 1000.0) * intervalMs / 1000;
}

int retransmitLimit(int retransmitMult, int n)
{
    const int nodeScale = int(std::ceil(std::log10(double(n) + 1.0)));
    return retransmitMult * nodeScale;
}

qint64 pushPullScaleMs(qint64 intervalMs, int n)
{
    constexpr int kThreshold = 32;
    if (n <= kThreshold)
        return intervalMs;
    const double mult = std::ceil(std::log2(double(n)) - std::log2(double(kThreshold))) + 1.0;
    return qint64(mult) * intervalMs;
}

qint64 suspicionDurationMs(int confirmations, int k, qint64 minMs, qint64 maxMs)
{
    if (k < 1)
        return minMs;
    const double frac = std::log(double(confirmations) + 1.0) / std::log(double(k) + 1.0);
    const double raw = double(maxMs) - frac * double(maxMs - minMs);
    const qint64 timeout = qint64(std::floor(raw));
    return std::max(timeout, minMs);
}

}  // namespace conclave::gossip
