#include "linearizability.h"

#include <QHash>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

namespace conclave::sim {

namespace {

// The sequential specification of one key: apply `op` to `state` if its output fits.
bool stepModel(const Operation &op, const QString &state, QString *next)
{
    switch (op.op) {
    case KvOp::Put:
        *next = op.value;
        return true;
    case KvOp::Get:
        *next = state;
        return !op.known() || op.output == state;
    case KvOp::Cas: {
        const bool matches = state == op.expected;
        if (op.known() && op.casOk != matches)
            return false;
        *next = matches ? op.value : state;
        return true;
    }
    }
    return false;
}

struct Event {
    bool isCall;
    std::size_t op;
    qint64 time;
    int prev = -1;
    int next = -1;
    int match = -1;  // call ↔ return
};

struct CacheKey {
    std::vector<quint64> bits;
    QString state;
    bool operator==(const CacheKey &o) const { return bits == o.bits && state == o.state; }
};
struct CacheHash {
    std::size_t operator()(const CacheKey &k) const
    {
        std::size_t h = qHash(k.state);
        for (quint64 b : k.bits)
            h = h * 1099511628211ULL ^ std::hash<quint64>()(b);
        return h;
    }
};

CheckResult checkKey(const std::vector<Operation> &ops, const QString &key)
{
    CheckResult res;
    const std::size_t n = ops.size();
    std::vector<Event> events;
    events.reserve(2 * n);
    for (std::size_t i = 0; i < n; ++i) {
        events.push_back(Event{true, i, ops[i].call});
        events.push_back(Event{false, i, ops[i].ret});
    }
    // Time order; at equal times calls first, which only admits more orders (conservative).
    std::vector<int> order(events.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = int(i);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        if (events[a].time != events[b].time)
            return events[a].time < events[b].time;
        return events[a].isCall && !events[b].isCall;
    });
    for (std::size_t i = 0; i < events.size(); i += 2) {
        events[i].match = int(i + 1);
        events[i + 1].match = int(i);
    }
    int head = order.empty() ? -1 : order[0];
    for (std::size_t k = 0; k < order.size(); ++k) {
        events[order[k]].prev = k == 0 ? -1 : order[k - 1];
        events[order[k]].next = k + 1 < order.size() ? order[k + 1] : -1;
    }
    auto unlinkOne = [&](int e) {
        const int p = events[e].prev;
        const int x = events[e].next;
        if (p >= 0)
            events[p].next = x;
        else
            head = x;
        if (x >= 0)
            events[x].prev = p;
    };
    auto relinkOne = [&](int e) {
        const int p = events[e].prev;
        const int x = events[e].next;
        if (p >= 0)
            events[p].next = e;
        else
            head = e;
        if (x >= 0)
            events[x].prev = e;
    };
    // Lift a call and its return out of the list (return first), and put them back in reverse.
    auto lift = [&](int call) {
        unlinkOne(call);
        unlinkOne(events[call].match);
    };
    auto unlift = [&](int call) {
        relinkOne(events[call].match);
        relinkOne(call);
    };

    std::vector<quint64> linearized((n + 63) / 64, 0);
    std::unordered_set<CacheKey, CacheHash> cache;
    struct Frame {
        int call;
        QString state;
    };
    std::vector<Frame> stack;
    QString state;
    int entry = head;
    while (head >= 0) {
        if (entry < 0) {
            // Every remaining call was tried from here: backtrack.
            if (stack.empty())
                break;
            Frame f = std::move(stack.back());
            stack.pop_back();
            const std::size_t op = events[f.call].op;
            linearized[op / 64] &= ~(quint64(1) << (op % 64));
            state = f.state;
            unlift(f.call);
            entry = events[f.call].next;
            continue;
        }
        const Event &ev = events[entry];
        if (ev.isCall) {
            QString next;
            if (stepModel(ops[ev.op], state, &next)) {
                CacheKey ck{linearized, next};
                ck.bits[ev.op / 64] |= quint64(1) << (ev.op % 64);
                if (cache.insert(ck).second) {
                    ++res.statesExplored;
                    stack.push_back(Frame{entry, state});
                    linearized = std::move(ck.bits);
                    state = next;
                    lift(entry);
                    entry = head;
                    continue;
                }
            }
            entry = ev.next;
        } else {
            // A return reached before its operation was linearized: nothing fits here.
            if (stack.empty()) {
                res.linearizable = false;
                break;
            }
            Frame f = std::move(stack.back());
            stack.pop_back();
            const std::size_t op = events[f.call].op;
            linearized[op / 64] &= ~(quint64(1) << (op % 64));
            state = f.state;
            unlift(f.call);
            entry = events[f.call].next;
        }
    }
    if (head >= 0)
        res.linearizable = false;
    if (!res.linearizable) {
        res.key = key;
        QStringList lines;
        for (const Operation &op : ops)
            lines << describe(op);
        res.detail = lines.join(QLatin1Char('\n'));
    }
    return res;
}

}  // namespace

QString describe(const Operation &op)
{
    const QString ret = op.known() ? QString::number(op.ret) : QStringLiteral("?");
    QString what;
    switch (op.op) {
    case KvOp::Put:
        what = QStringLiteral("put(%1, %2)").arg(op.key, op.value);
        break;
    case KvOp::Get:
        what = QStringLiteral("get(%1) -> '%2'").arg(op.key, op.known() ? op.output : QStringLiteral("?"));
        break;
    case KvOp::Cas:
        what = QStringLiteral("cas(%1, '%2' -> %3) -> %4")
                   .arg(op.key, op.expected, op.value,
                        op.known() ? (op.casOk ? QStringLiteral("ok") : QStringLiteral("fail"))
                                   : QStringLiteral("?"));
        break;
    }
    return QStringLiteral("client %1 [%2, %3] %4").arg(op.client).arg(op.call).arg(ret, what);
}

CheckResult checkKvHistory(const std::vector<Operation> &history)
{
    std::map<QString, std::vector<Operation>> byKey;
    for (const Operation &op : history) {
        if (op.op == KvOp::Get && !op.known())
            continue;
        byKey[op.key].push_back(op);
    }
    CheckResult total;
    for (const auto &[key, ops] : byKey) {
        CheckResult r = checkKey(ops, key);
        total.statesExplored += r.statesExplored;
        if (!r.linearizable) {
            r.statesExplored = total.statesExplored;
            return r;
        }
    }
    return total;
}

}  // namespace conclave::sim
