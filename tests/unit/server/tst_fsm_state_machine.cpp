// SingleNodeLog driving the real FSM through FsmStateMachine: a KV write lands in the store at its
// log index, and survives a restart both by log replay and by snapshot restore.

#include "core/state/command.h"
#include "core/state/fsm.h"
#include "core/state/state_store.h"
#include "server/fsm_state_machine.h"
#include "server/single_node_log.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace conclave;
using namespace conclave::server;

namespace {

QByteArray kvSet(const QString &key, const QByteArray &value)
{
    state::KvCommand kv;
    kv.verb = state::KvVerb::Set;
    kv.entry.key = key;
    kv.entry.value = value;
    state::Command cmd;
    cmd.type = state::CommandType::Kv;
    cmd.body = kv;
    return state::encodeCommand(cmd);
}

// The real pieces a server agent wires together.
struct Server {
    state::StateStore store;
    state::Fsm fsm{store};
    FsmStateMachine machine{fsm};
    SingleNodeLog log;
    explicit Server(SingleNodeLog::Config config) : log(machine, std::move(config)) {}
};

SingleNodeLog::Config config(quint64 snapshotThreshold)
{
    SingleNodeLog::Config c;
    c.advertiseAddress = QStringLiteral("127.0.0.1:8300");
    c.snapshotIntervalMs = 0;
    c.snapshotThreshold = snapshotThreshold;
    c.trailingLogs = 2;
    return c;
}

}  // namespace

class TestFsmStateMachine : public QObject {
    Q_OBJECT
private slots:
    void writesSurviveRestart_data();
    void writesSurviveRestart();
};

void TestFsmStateMachine::writesSurviveRestart_data()
{
    QTest::addColumn<quint64>("snapshotThreshold");
    QTest::addColumn<int>("restoresFromSnapshot");
    QTest::newRow("log replay only") << quint64(1000000) << 0;
    QTest::newRow("snapshot plus log tail") << quint64(5) << 1;
}

void TestFsmStateMachine::writesSurviveRestart()
{
    QFETCH(quint64, snapshotThreshold);
    QFETCH(int, restoresFromSnapshot);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QString error;
    {
        Server server(config(snapshotThreshold));
        QVERIFY2(server.log.open(dir.path(), &error), qPrintable(error));
        QList<ProposeResult> results;
        // One at a time, so that a threshold of 5 really yields snapshots before the last write.
        for (int i = 1; i <= 12; ++i) {
            server.log.propose(kvSet(QStringLiteral("k%1").arg(i % 4), QByteArray::number(i)),
                               [&results](const ProposeResult &r) { results.append(r); });
            QTRY_COMPARE_WITH_TIMEOUT(results.size(), i, 10000);
            QCOMPARE(results.last().error, LogError::None);
            QVERIFY2(results.last().result.ok && results.last().result.error.isEmpty(),
                     qPrintable(results.last().result.error));
            QCOMPARE(results.last().index, quint64(i));
        }
        const auto got = server.store.kvGet(QStringLiteral("k0"));
        QVERIFY(got.value);
        QCOMPARE(got.value->value, QByteArray("12"));
        QCOMPARE(got.value->index.modifyIndex, quint64(12));
        QCOMPARE(got.value->index.createIndex, quint64(4));
        if (restoresFromSnapshot)
            QTRY_VERIFY_WITH_TIMEOUT(server.log.lastSnapshotIndex() >= 10, 10000);
    }
    Server server(config(snapshotThreshold));
    QVERIFY2(server.log.open(dir.path(), &error), qPrintable(error));
    QCOMPARE(server.log.appliedIndex(), quint64(12));
    QCOMPARE(server.log.lastSnapshotIndex() > 0, restoresFromSnapshot == 1);
    for (int k = 0; k < 4; ++k) {
        const auto got = server.store.kvGet(QStringLiteral("k%1").arg(k));
        QVERIFY(got.value);
        const int last = 12 - (12 - k) % 4;  // the last of 1..12 with i % 4 == k
        QCOMPARE(got.value->value, QByteArray::number(last));
        QCOMPARE(got.value->index.modifyIndex, quint64(last));
    }
}

QTEST_GUILESS_MAIN(TestFsmStateMachine)
#include "tst_fsm_state_machine.moc"
