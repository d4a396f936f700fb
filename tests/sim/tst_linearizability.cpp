// The linearizability checker on hand-made histories: it must accept linearizable ones and,
// above all, reject the classic anomalies (stale read, lost write, read of a never-written value,
// impossible cas outcome, real-time order violated).

#include "linearizability.h"

#include <QtTest>

using namespace conclave::sim;

namespace {

Operation put(int client, qint64 call, qint64 ret, const char *key, const char *value)
{
    Operation o;
    o.client = client;
    o.call = call;
    o.ret = ret;
    o.op = KvOp::Put;
    o.key = QString::fromLatin1(key);
    o.value = QString::fromLatin1(value);
    return o;
}

Operation get(int client, qint64 call, qint64 ret, const char *key, const char *out)
{
    Operation o = put(client, call, ret, key, "");
    o.op = KvOp::Get;
    o.output = QString::fromLatin1(out);
    return o;
}

Operation cas(int client, qint64 call, qint64 ret, const char *key, const char *expected,
              const char *value, bool ok)
{
    Operation o = put(client, call, ret, key, value);
    o.op = KvOp::Cas;
    o.expected = QString::fromLatin1(expected);
    o.casOk = ok;
    return o;
}

constexpr qint64 kNever = Operation::kNever;

}  // namespace

Q_DECLARE_METATYPE(std::vector<Operation>)

class TestLinearizability : public QObject {
    Q_OBJECT

private slots:
    void histories_data();
    void histories();
    void largeConcurrentHistoryIsFast();
};

void TestLinearizability::histories_data()
{
    QTest::addColumn<std::vector<Operation>>("history");
    QTest::addColumn<bool>("linearizable");

    QTest::newRow("empty") << std::vector<Operation>{} << true;
    QTest::newRow("sequential put then get")
        << std::vector<Operation>{put(1, 0, 10, "k", "a"), get(2, 20, 30, "k", "a")} << true;
    QTest::newRow("read of absent key is empty")
        << std::vector<Operation>{get(1, 0, 5, "k", ""), put(1, 6, 9, "k", "a")} << true;
    QTest::newRow("stale read after write returned")
        << std::vector<Operation>{put(1, 0, 10, "k", "a"), put(1, 11, 20, "k", "b"),
                                  get(2, 25, 30, "k", "a")}
        << false;
    QTest::newRow("concurrent read may see old or new")
        << std::vector<Operation>{put(1, 0, 10, "k", "a"), put(1, 11, 40, "k", "b"),
                                  get(2, 12, 20, "k", "a"), get(3, 21, 30, "k", "b")}
        << true;
    QTest::newRow("reads go back in time")
        << std::vector<Operation>{put(1, 0, 10, "k", "a"), put(1, 11, 40, "k", "b"),
                                  get(2, 12, 20, "k", "b"), get(3, 21, 30, "k", "a")}
        << false;
    QTest::newRow("value never written")
        << std::vector<Operation>{put(1, 0, 10, "k", "a"), get(2, 20, 30, "k", "z")} << false;
    QTest::newRow("cas success chain")
        << std::vector<Operation>{put(1, 0, 10, "k", "a"), cas(2, 11, 20, "k", "a", "b", true),
                                  get(3, 21, 30, "k", "b")}
        << true;
    QTest::newRow("two cas from same value both succeed")
        << std::vector<Operation>{put(1, 0, 10, "k", "a"), cas(2, 11, 30, "k", "a", "b", true),
                                  cas(3, 12, 31, "k", "a", "c", true)}
        << false;
    QTest::newRow("cas fails although value matched")
        << std::vector<Operation>{put(1, 0, 10, "k", "a"), cas(2, 11, 20, "k", "a", "b", false)}
        << false;
    QTest::newRow("timed-out write may apply later")
        << std::vector<Operation>{put(1, 0, kNever, "k", "a"), get(2, 50, 60, "k", ""),
                                  get(2, 70, 80, "k", "a")}
        << true;
    QTest::newRow("timed-out write may never apply")
        << std::vector<Operation>{put(1, 0, kNever, "k", "a"), get(2, 50, 60, "k", "")} << true;
    QTest::newRow("timed-out write cannot un-apply")
        << std::vector<Operation>{put(1, 0, kNever, "k", "a"), get(2, 50, 60, "k", "a"),
                                  get(2, 70, 80, "k", "")}
        << false;
    QTest::newRow("lost acknowledged write")
        << std::vector<Operation>{put(1, 0, 10, "k", "a"), put(2, 5, 15, "k", "b"),
                                  get(3, 20, 25, "k", "a"), get(3, 26, 30, "k", "b")}
        << false;
    QTest::newRow("keys are independent")
        << std::vector<Operation>{put(1, 0, 10, "x", "1"), put(2, 0, 10, "y", "2"),
                                  get(3, 11, 12, "x", "1"), get(3, 13, 14, "y", "2")}
        << true;
    QTest::newRow("one bad key among good ones")
        << std::vector<Operation>{put(1, 0, 10, "x", "1"), put(2, 0, 10, "y", "2"),
                                  get(3, 11, 12, "x", "1"), get(3, 13, 14, "y", "")}
        << false;
}

void TestLinearizability::histories()
{
    QFETCH(std::vector<Operation>, history);
    QFETCH(bool, linearizable);
    const CheckResult r = checkKvHistory(history);
    QVERIFY2(r.linearizable == linearizable, qPrintable(r.detail));
    if (!linearizable)
        QVERIFY(!r.key.isEmpty());
}

void TestLinearizability::largeConcurrentHistoryIsFast()
{
    // 8 clients, heavily overlapping operations on one key, all consistent with a serial order
    // put(v0), put(v1), ... where each get reads the latest value: must be found quickly thanks
    // to memoization.
    std::vector<Operation> h;
    qint64 t = 0;
    for (int i = 0; i < 200; ++i) {
        const QByteArray v = "v" + QByteArray::number(i);
        h.push_back(put(i % 8, t, t + 40, "k", v.constData()));
        h.push_back(get((i + 3) % 8, t + 41, t + 60, "k", v.constData()));
        t += 45;
    }
    const CheckResult r = checkKvHistory(h);
    QVERIFY2(r.linearizable, qPrintable(r.detail));
    QVERIFY(r.statesExplored < 100000);
}

QTEST_GUILESS_MAIN(TestLinearizability)
#include "tst_linearizability.moc"
