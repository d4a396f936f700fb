#pragma once
// Test harness for RaftCore unit tests, after etcd's raft_test.go `network`: cores exchange
// messages synchronously (breadth first) until quiet; links can be cut, nodes isolated and
// message types dropped. Each node persists its Ready batches into a MemoryLog and records what
// it applied. No timers or sockets: time is tick().

#include "core/raft/memory_log.h"
#include "core/raft/raft_core.h"

#include <deque>
#include <functional>
#include <map>
#include <memory>

namespace conclave::raft::test {

inline NodeId nid(const char *s) { return NodeId{QString::fromLatin1(s)}; }
inline NodeId nid(int i) { return NodeId{QStringLiteral("n%1").arg(i)}; }

inline Membership voters(int n)
{
    Membership m;
    for (int i = 1; i <= n; ++i)
        m.voters.insert(nid(i));
    return m;
}

inline Config testConfig(const NodeId &id, bool preVote = false, bool checkQuorum = false)
{
    Config c;
    c.id = id;
    c.electionTicks = 10;
    c.heartbeatTicks = 1;
    c.preVote = preVote;
    c.checkQuorum = checkQuorum;
    return c;
}

struct TestNode {
    std::unique_ptr<RaftCore> core;
    MemoryLog storage;
    std::vector<Entry> applied;
    std::vector<ReadState> reads;
    int snapshotsRestored = 0;
};

class TestNetwork {
public:
    /// n voters n1..nN, identical configs apart from the id.
    explicit TestNetwork(int n, bool preVote = false, bool checkQuorum = false, quint64 seed = 1)
    {
        const Membership m = voters(n);
        for (int i = 1; i <= n; ++i)
            add(testConfig(nid(i), preVote, checkQuorum), MemoryLog(m), seed + i);
    }
    TestNetwork() = default;

    void add(const Config &config, const MemoryLog &storage, quint64 seed)
    {
        TestNode &node = m_nodes[config.id];
        node.storage = storage;
        node.core = std::make_unique<RaftCore>(config, storage.initialState(), seed);
    }

    RaftCore &core(const NodeId &id) { return *m_nodes.at(id).core; }
    RaftCore &core(int i) { return core(nid(i)); }
    TestNode &node(int i) { return m_nodes.at(nid(i)); }
    TestNode &node(const NodeId &id) { return m_nodes.at(id); }

    /// Restarts a node from its MemoryLog (what was persisted), losing everything else.
    void restart(const NodeId &id, quint64 seed)
    {
        TestNode &n = m_nodes.at(id);
        const Config cfg = n.core->config();
        n.core = std::make_unique<RaftCore>(cfg, n.storage.initialState(), seed);
        n.applied.clear();
    }

    /// Handles every pending Ready of `id` like a driver, returning the messages to send.
    std::vector<Message> drain(const NodeId &id)
    {
        std::vector<Message> out;
        TestNode &n = m_nodes.at(id);
        while (n.core->hasReady()) {
            Ready rd = n.core->ready();
            n.storage.persist(rd);
            if (rd.snapshot)
                ++n.snapshotsRestored;
            for (const Entry &e : rd.committedEntries)
                n.applied.push_back(e);
            for (const ReadState &r : rd.readStates)
                n.reads.push_back(r);
            for (Message &m : rd.messages)
                out.push_back(std::move(m));
            n.core->advance(rd);
        }
        return out;
    }

    /// Delivers `msgs` and everything they cause until the network is quiet.
    void deliver(std::vector<Message> msgs)
    {
        std::deque<Message> queue(msgs.begin(), msgs.end());
        int guard = 0;
        while (!queue.empty() && ++guard < 100000) {
            Message m = std::move(queue.front());
            queue.pop_front();
            if (!passes(m))
                continue;
            auto it = m_nodes.find(m.to);
            if (it == m_nodes.end())
                continue;
            it->second.core->step(m);
            for (Message &out : drain(m.to))
                queue.push_back(std::move(out));
        }
    }

    /// Lets every node's pending output flow.
    void settle()
    {
        std::vector<Message> all;
        for (auto &[id, n] : m_nodes) {
            for (Message &m : drain(id))
                all.push_back(std::move(m));
        }
        deliver(std::move(all));
    }

    void tick(const NodeId &id, int times = 1)
    {
        for (int i = 0; i < times; ++i) {
            core(id).tick();
            deliver(drain(id));
        }
    }
    void tickAll(int times = 1)
    {
        for (int i = 0; i < times; ++i) {
            for (auto &[id, n] : m_nodes)
                n.core->tick();
            settle();
        }
    }

    void campaign(const NodeId &id)
    {
        core(id).campaign();
        deliver(drain(id));
    }

    void propose(const NodeId &id, const QByteArray &data)
    {
        core(id).propose(data);
        deliver(drain(id));
    }

    void cut(const NodeId &a, const NodeId &b)
    {
        m_cut.insert({a, b});
        m_cut.insert({b, a});
    }
    void isolate(const NodeId &id)
    {
        for (auto &[other, n] : m_nodes) {
            if (other != id)
                cut(id, other);
        }
    }
    void recover()
    {
        m_cut.clear();
        m_dropTypes.clear();
    }
    void dropType(MessageType t) { m_dropTypes.insert(t); }

    /// Every message that was delivered (after filters), for assertions.
    std::vector<Message> delivered;

private:
    bool passes(const Message &m)
    {
        if (m_cut.count({m.from, m.to}) || m_dropTypes.count(m.type))
            return false;
        delivered.push_back(m);
        return true;
    }

    std::map<NodeId, TestNode> m_nodes;
    std::set<std::pair<NodeId, NodeId>> m_cut;
    std::set<MessageType> m_dropTypes;
};

}  // namespace conclave::raft::test
