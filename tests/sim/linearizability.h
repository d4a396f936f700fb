#pragma once
// Linearizability checker for key-value histories (Wing & Gong's search with Lowe's and
// Porcupine's improvements: depth-first over linearization points, memoizing (linearized set,
// state) pairs, one independent search per key). Pure; used by the simulator and its tests.

#include <QString>
#include <QtGlobal>

#include <limits>
#include <vector>

namespace conclave::sim {

enum class KvOp { Put, Get, Cas };

/// One client operation as the client saw it. Times are the client's send and receive times.
/// An operation whose outcome is unknown (timed out) has `ret` = kNever and any output.
struct Operation {
    static constexpr qint64 kNever = std::numeric_limits<qint64>::max();
    int client = 0;
    qint64 call = 0;
    qint64 ret = kNever;
    KvOp op = KvOp::Put;
    QString key;
    QString value;     // Put: value; Cas: new value
    QString expected;  // Cas: expected current value ("" = absent)
    QString output;    // Get: the value read ("" = absent)
    bool casOk = false;
    bool known() const { return ret != kNever; }
};

struct CheckResult {
    bool linearizable = true;
    QString key;     // the first key whose history is not linearizable
    QString detail;
    std::size_t statesExplored = 0;
};

/// Checks a whole KV history; absent keys read as "". Unknown Gets are ignored (they constrain
/// nothing); unknown writes may take effect at any point after their call, or never.
CheckResult checkKvHistory(const std::vector<Operation> &history);

QString describe(const Operation &op);

}  // namespace conclave::sim
