#pragma once
// SimNetwork: the fate of each simulated message, drawn from the simulation's one seeded PRNG
// (TigerBeetle's packet_simulator idea): delay (so messages reorder), loss, duplication, and
// partitions, symmetric or one-way, between numbered servers. Owned by SimCluster; one thread.

#include <QString>
#include <QStringList>

#include <random>
#include <set>
#include <vector>

namespace conclave::sim {

struct NetworkFaults {
    double drop = 0.02;
    double duplicate = 0.02;
    qint64 minDelay = 1;   // virtual ms
    qint64 maxDelay = 8;
    double tailProb = 0.05;  // a few messages are very late
    qint64 tailDelay = 40;
};

class SimNetwork {
public:
    SimNetwork(std::mt19937_64 &rng, NetworkFaults faults) : m_rng(rng), m_faults(faults) {}

    /// Delivery delays of one message from → to: empty if lost, two if duplicated.
    std::vector<qint64> fate(int from, int to)
    {
        std::vector<qint64> out;
        if (m_blocked.count({from, to}) || chance(m_faults.drop))
            return out;
        out.push_back(delay());
        if (chance(m_faults.duplicate))
            out.push_back(delay());
        return out;
    }

    void heal() { m_blocked.clear(); }
    /// Cuts every link between the two groups, both ways.
    void partition(const std::vector<int> &a, const std::vector<int> &b)
    {
        for (int x : a) {
            for (int y : b) {
                m_blocked.insert({x, y});
                m_blocked.insert({y, x});
            }
        }
    }
    /// Messages from → to are lost; to → from still arrive.
    void blockOneWay(int from, int to) { m_blocked.insert({from, to}); }
    bool isBlocked(int from, int to) const { return m_blocked.count({from, to}) != 0; }
    void setFaults(const NetworkFaults &f) { m_faults = f; }
    const NetworkFaults &faults() const { return m_faults; }

    QString describe() const
    {
        QStringList links;
        for (const auto &[a, b] : m_blocked)
            links << QStringLiteral("%1↛%2").arg(a).arg(b);
        return links.isEmpty() ? QStringLiteral("healed") : links.join(QLatin1Char(' '));
    }

private:
    bool chance(double p) { return double(m_rng() % 1000000) < p * 1000000.0; }
    qint64 delay()
    {
        if (chance(m_faults.tailProb))
            return m_faults.maxDelay + qint64(m_rng() % quint64(m_faults.tailDelay));
        return m_faults.minDelay
            + qint64(m_rng() % quint64(m_faults.maxDelay - m_faults.minDelay + 1));
    }

    std::mt19937_64 &m_rng;
    NetworkFaults m_faults;
    std::set<std::pair<int, int>> m_blocked;
};

}  // namespace conclave::sim
