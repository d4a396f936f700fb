// StreamHistory without a store or sockets: diffs between reads, eviction by count and by bytes,
// which indexes a client can resume from (exactly at the boundaries), several topics at one Raft
// index, and kv events filtered by prefix.
#include "api/stream_history.h"

#include <QtTest>

using namespace conclave;
using api::StreamHistory;
using api::StreamHistoryLimits;
using stream::Topic;

namespace {

QJsonObject kvRow(const QString &key, const QString &value)
{
    return QJsonObject{{QStringLiteral("Key"), key}, {QStringLiteral("Value"), value}};
}

QJsonObject nodeRow(const QString &node, const QString &address)
{
    return QJsonObject{{QStringLiteral("Node"), node}, {QStringLiteral("Address"), address}};
}

QJsonObject checkRow(const QString &node, const QString &id, const QString &status)
{
    return QJsonObject{{QStringLiteral("Node"), node}, {QStringLiteral("CheckID"), id}, {QStringLiteral("Status"), status}};
}

/// Keys of the rows, in order.
QStringList keys(const QJsonArray &rows)
{
    QStringList out;
    for (const QJsonValue &v : rows)
        out.append(v.toObject().value(QStringLiteral("Key")).toString());
    return out;
}

/// Indexes of the held events of `topic` after `from`, in the order next() gives them.
QList<quint64> eventsAfter(const StreamHistory &h, Topic topic, quint64 from)
{
    QList<quint64> out;
    for (const api::StreamEvent *e = h.next(topic, from); e; e = h.next(topic, e->index))
        out.append(e->index);
    return out;
}

}  // namespace

class TestStreamHistory : public QObject {
    Q_OBJECT

private slots:
    void firstReadStartsTheTopicAndLaterReadsBecomeEvents()
    {
        StreamHistory h;
        QVERIFY(!h.isRecording(Topic::Kv));
        QCOMPARE(h.record(Topic::Kv, 5, {kvRow(QStringLiteral("a"), QStringLiteral("1")), kvRow(QStringLiteral("b"), QStringLiteral("2"))}),
                 StreamHistory::Recorded::Started);
        QCOMPARE(h.head(Topic::Kv), quint64(5));
        QCOMPARE(h.base(Topic::Kv), quint64(5));
        QCOMPARE(h.size(), 0);

        QCOMPARE(h.record(Topic::Kv, 7, {kvRow(QStringLiteral("a"), QStringLiteral("1b")), kvRow(QStringLiteral("c"), QStringLiteral("3"))}),
                 StreamHistory::Recorded::Appended);
        QCOMPARE(h.head(Topic::Kv), quint64(7));
        QCOMPARE(h.base(Topic::Kv), quint64(5));
        QCOMPARE(h.size(), 1);
        const api::StreamEvent *e = h.next(Topic::Kv, 5);
        QVERIFY(e);
        QCOMPARE(e->index, quint64(7));
        QCOMPARE(keys(e->upserts), (QStringList{QStringLiteral("a"), QStringLiteral("c")}));
        QCOMPARE(e->deletes, QStringList{QStringLiteral("b")});
        QCOMPARE(e->bytes(), qint64(e->encoded.size()));
        QCOMPARE(h.bytes(), e->bytes());
        const auto decoded = stream::decode(e->encoded, nullptr);
        QVERIFY(decoded);
        QCOMPARE(decoded->change.index, quint64(7));
        QCOMPARE(decoded->change.deletes, QStringList{QStringLiteral("b")});
        QCOMPARE(h.next(Topic::Kv, 7), nullptr);
        QCOMPARE(keys(h.rows(Topic::Kv)), (QStringList{QStringLiteral("a"), QStringLiteral("c")}));
    }

    void readThatChangesNothingMovesOnlyTheLastRead()
    {
        StreamHistory h;
        h.record(Topic::Nodes, 3, {nodeRow(QStringLiteral("n1"), QStringLiteral("10.0.0.1"))});
        QCOMPARE(h.record(Topic::Nodes, 9, {nodeRow(QStringLiteral("n1"), QStringLiteral("10.0.0.1"))}),
                 StreamHistory::Recorded::Unchanged);
        QCOMPARE(h.head(Topic::Nodes), quint64(3));
        QCOMPARE(h.lastRead(Topic::Nodes), quint64(9));
        QCOMPARE(h.size(), 0);
    }

    void evictsTheOldestEventsBeyondTheCount()
    {
        StreamHistory h(StreamHistoryLimits{3, 1 << 20});
        h.record(Topic::Kv, 10, {});
        for (quint64 i = 11; i <= 15; ++i)
            QCOMPARE(h.record(Topic::Kv, i, {kvRow(QStringLiteral("k"), QString::number(i))}), StreamHistory::Recorded::Appended);
        QCOMPARE(h.size(), 3);
        QCOMPARE(h.base(Topic::Kv), quint64(12));  // the event at 12 is gone: a client at 12 needs only 13..15
        QCOMPARE(eventsAfter(h, Topic::Kv, 12), (QList<quint64>{13, 14, 15}));
        QVERIFY(h.whyNotResumable(Topic::Kv, 12, h.identity(Topic::Kv), 15).isEmpty());
        QVERIFY(!h.whyNotResumable(Topic::Kv, 11, h.identity(Topic::Kv), 15).isEmpty());
    }

    void evictsTheOldestEventsBeyondTheBytes()
    {
        StreamHistory probe;
        probe.record(Topic::Kv, 1, {});
        probe.record(Topic::Kv, 2, {kvRow(QStringLiteral("k"), QString(1000, QLatin1Char('x')))});
        const qint64 one = probe.bytes();
        QVERIFY(one > 1000);

        StreamHistory h(StreamHistoryLimits{1000, 2 * one + one / 2});
        h.record(Topic::Kv, 1, {});
        for (quint64 i = 2; i <= 6; ++i)
            h.record(Topic::Kv, i, {kvRow(QStringLiteral("k"), QString(1000, QLatin1Char('a' + char(i))))});
        QCOMPARE(h.size(), 2);
        QVERIFY(h.bytes() <= h.limits().maxBytes);
        QCOMPARE(h.base(Topic::Kv), quint64(4));
        QCOMPARE(eventsAfter(h, Topic::Kv, 4), (QList<quint64>{5, 6}));

        // One event larger than the whole budget is not kept either; the topic stays resumable from it.
        h.record(Topic::Kv, 7, {kvRow(QStringLiteral("k"), QString(int(3 * one), QLatin1Char('z')))});
        QCOMPARE(h.size(), 0);
        QCOMPARE(h.bytes(), qint64(0));
        QCOMPARE(h.base(Topic::Kv), quint64(7));
        QVERIFY(h.whyNotResumable(Topic::Kv, 7, h.identity(Topic::Kv), 7).isEmpty());
        QVERIFY(!h.whyNotResumable(Topic::Kv, 6, h.identity(Topic::Kv), 7).isEmpty());
    }

    void resumePointsAreExactAtTheBoundaries_data()
    {
        // History of kv: first read at 20, events at 22 and 25 (the read at 25 took in the writes at 23,
        // 24 and 25 in one turn), a read without change at 27; the store has applied up to 30 (entries
        // that touched other tables).
        QTest::addColumn<quint64>("from");
        QTest::addColumn<bool>("resumable");
        QTest::addColumn<QList<quint64>>("missed");
        QTest::newRow("before the first read") << quint64(19) << false << QList<quint64>{};
        QTest::newRow("the first read (base)") << quint64(20) << true << QList<quint64>{22, 25};
        QTest::newRow("between base and the first event") << quint64(21) << false << QList<quint64>{};
        QTest::newRow("the first event") << quint64(22) << true << QList<quint64>{25};
        QTest::newRow("inside a coalesced read") << quint64(24) << false << QList<quint64>{};
        QTest::newRow("the last event (head)") << quint64(25) << true << QList<quint64>{};
        QTest::newRow("between head and the last read") << quint64(26) << false << QList<quint64>{};
        QTest::newRow("the last read") << quint64(27) << true << QList<quint64>{};
        QTest::newRow("after the last read, applied") << quint64(30) << true << QList<quint64>{};
        QTest::newRow("ahead of the store") << quint64(31) << false << QList<quint64>{};
    }
    void resumePointsAreExactAtTheBoundaries()
    {
        QFETCH(quint64, from);
        QFETCH(bool, resumable);
        QFETCH(QList<quint64>, missed);
        StreamHistory h;
        h.record(Topic::Kv, 20, {kvRow(QStringLiteral("a"), QStringLiteral("0"))});
        h.record(Topic::Kv, 22, {kvRow(QStringLiteral("a"), QStringLiteral("1"))});
        h.record(Topic::Kv, 25, {kvRow(QStringLiteral("a"), QStringLiteral("1")), kvRow(QStringLiteral("b"), QStringLiteral("2"))});
        h.record(Topic::Kv, 27, {kvRow(QStringLiteral("a"), QStringLiteral("1")), kvRow(QStringLiteral("b"), QStringLiteral("2"))});
        const QString why = h.whyNotResumable(Topic::Kv, from, h.identity(Topic::Kv), 30);
        QVERIFY2(why.isEmpty() == resumable, qPrintable(why));
        if (resumable)
            QCOMPARE(eventsAfter(h, Topic::Kv, from), missed);
    }

    void anIndexOfAnotherHistoryIsNotResumed()
    {
        // Two agent processes (or one before and after a restart): the same indexes name other
        // states, so an index is resumed only with the identity of the history it came from.
        StreamHistory first, second;
        for (StreamHistory *h : {&first, &second}) {
            h->record(Topic::Kv, 5, {kvRow(QStringLiteral("a"), QStringLiteral("0"))});
            h->record(Topic::Kv, 9, {kvRow(QStringLiteral("a"), QStringLiteral("1"))});
        }
        QVERIFY(!first.identity(Topic::Kv).isEmpty());
        QVERIFY(first.identity(Topic::Kv) != second.identity(Topic::Kv));
        QVERIFY(first.whyNotResumable(Topic::Kv, 9, first.identity(Topic::Kv), 9).isEmpty());
        QCOMPARE(second.whyNotResumable(Topic::Kv, 9, first.identity(Topic::Kv), 9),
                 QStringLiteral("index 9 is from another history of kv (another agent, a restart, or a restored snapshot)"));
        QVERIFY(!second.whyNotResumable(Topic::Kv, 9, QString(), 9).isEmpty());  // a client that sends none

        // A store restored from a snapshot: the topic starts again, under another identity.
        const QString before = first.identity(Topic::Kv);
        first.restart(Topic::Kv, 9, {kvRow(QStringLiteral("b"), QStringLiteral("2"))});
        QVERIFY(first.identity(Topic::Kv) != before);
        QVERIFY(!first.whyNotResumable(Topic::Kv, 9, before, 9).isEmpty());
        QVERIFY(first.whyNotResumable(Topic::Kv, 9, first.identity(Topic::Kv), 9).isEmpty());
        QCOMPARE(first.rows(Topic::Kv).size(), 1);
        QCOMPARE(first.size(), 0);
    }

    void refusalsSayWhy()
    {
        StreamHistory h;
        QCOMPARE(h.whyNotResumable(Topic::Checks, 3, h.identity(Topic::Checks), 10), QStringLiteral("this agent keeps no history of checks yet"));
        h.record(Topic::Checks, 5, {});
        h.record(Topic::Checks, 8, {checkRow(QStringLiteral("n1"), QStringLiteral("c"), QStringLiteral("passing"))});
        QCOMPARE(h.whyNotResumable(Topic::Checks, 4, h.identity(Topic::Checks), 10), QStringLiteral("this agent's history of checks starts at index 5, after 4"));
        QCOMPARE(h.whyNotResumable(Topic::Checks, 11, h.identity(Topic::Checks), 10), QStringLiteral("index 11 is ahead of this agent (it has applied up to 10)"));
        QCOMPARE(h.whyNotResumable(Topic::Checks, 6, h.identity(Topic::Checks), 10), QStringLiteral("index 6 is not one this agent recorded for checks"));
    }

    void severalTopicsAtOneIndexAreEvictedAndResumedEachOnItsOwn()
    {
        // One catalog registration at index 20 touches nodes, services and checks: three events at 20.
        StreamHistory h(StreamHistoryLimits{3, 1 << 20});
        h.record(Topic::Nodes, 10, {});
        h.record(Topic::Services, 10, {});
        h.record(Topic::Checks, 10, {});
        h.record(Topic::Nodes, 20, {nodeRow(QStringLiteral("n1"), QStringLiteral("10.0.0.1"))});
        h.record(Topic::Services, 20, {QJsonObject{{QStringLiteral("Node"), QStringLiteral("n1")},
                                                    {QStringLiteral("Service"), QJsonObject{{QStringLiteral("ID"), QStringLiteral("web")}}}}});
        h.record(Topic::Checks, 20, {checkRow(QStringLiteral("n1"), QStringLiteral("serfHealth"), QStringLiteral("passing"))});
        QCOMPARE(h.size(), 3);
        for (Topic t : {Topic::Nodes, Topic::Services, Topic::Checks}) {
            QVERIFY(h.whyNotResumable(t, 10, h.identity(t), 20).isEmpty());
            QCOMPARE(eventsAfter(h, t, 10), QList<quint64>{20});
            QVERIFY(h.whyNotResumable(t, 20, h.identity(t), 20).isEmpty());
            QCOMPARE(eventsAfter(h, t, 20), QList<quint64>{});
        }

        // A fourth event pushes out the oldest one, the nodes event at 20, and only that one.
        h.record(Topic::Checks, 21, {checkRow(QStringLiteral("n1"), QStringLiteral("serfHealth"), QStringLiteral("critical"))});
        QCOMPARE(h.size(), 3);
        QCOMPARE(h.base(Topic::Nodes), quint64(20));
        QVERIFY(!h.whyNotResumable(Topic::Nodes, 10, h.identity(Topic::Nodes), 21).isEmpty());
        QVERIFY(h.whyNotResumable(Topic::Nodes, 20, h.identity(Topic::Nodes), 21).isEmpty());
        QCOMPARE(eventsAfter(h, Topic::Nodes, 20), QList<quint64>{});
        QVERIFY(h.whyNotResumable(Topic::Services, 10, h.identity(Topic::Services), 21).isEmpty());
        QCOMPARE(eventsAfter(h, Topic::Services, 10), QList<quint64>{20});
        QVERIFY(h.whyNotResumable(Topic::Checks, 10, h.identity(Topic::Checks), 21).isEmpty());
        QCOMPARE(eventsAfter(h, Topic::Checks, 10), (QList<quint64>{20, 21}));
    }

    void kvEventsAreFilteredByPrefix()
    {
        StreamHistory h;
        h.record(Topic::Kv, 1, {kvRow(QStringLiteral("app/x/c"), QStringLiteral("0")), kvRow(QStringLiteral("other/b"), QStringLiteral("0"))});
        h.record(Topic::Kv, 2, {kvRow(QStringLiteral("app/a"), QStringLiteral("1")), kvRow(QStringLiteral("other/b"), QStringLiteral("2"))});
        const api::StreamEvent *e = h.next(Topic::Kv, 1);
        QVERIFY(e);

        const auto app = e->changeFor(QStringLiteral("app/"));
        QVERIFY(app);
        QCOMPARE(app->prefix, QStringLiteral("app/"));
        QCOMPARE(app->index, quint64(2));
        QCOMPARE(keys(app->upserts), QStringList{QStringLiteral("app/a")});
        QCOMPARE(app->deletes, QStringList{QStringLiteral("app/x/c")});

        const auto deep = e->changeFor(QStringLiteral("app/x/"));
        QVERIFY(deep);
        QVERIFY(deep->upserts.isEmpty());
        QCOMPARE(deep->deletes, QStringList{QStringLiteral("app/x/c")});

        const auto other = e->changeFor(QStringLiteral("other/"));
        QVERIFY(other);
        QCOMPARE(keys(other->upserts), QStringList{QStringLiteral("other/b")});
        QVERIFY(other->deletes.isEmpty());

        QVERIFY(!e->changeFor(QStringLiteral("db/")));
        QVERIFY(e->encodedFor(QStringLiteral("db/")).isEmpty());
        QCOMPARE(e->encodedFor(QString()), e->encoded);
        QCOMPARE(stream::decode(e->encodedFor(QStringLiteral("app/")), nullptr)->change, *app);

        QCOMPARE(keys(h.rows(Topic::Kv, QStringLiteral("app/"))), QStringList{QStringLiteral("app/a")});
        QCOMPARE(keys(h.rows(Topic::Kv, QStringLiteral("o"))), QStringList{QStringLiteral("other/b")});
        QCOMPARE(h.rows(Topic::Kv).size(), 2);
    }

    void missedEventsFoldIntoOneChange()
    {
        // What a viewer that could not read from index 1 on gets once it drains.
        StreamHistory h;
        h.record(Topic::Kv, 1, {kvRow(QStringLiteral("app/keep"), QStringLiteral("0")), kvRow(QStringLiteral("app/gone"), QStringLiteral("0"))});
        h.record(Topic::Kv, 2, {kvRow(QStringLiteral("app/keep"), QStringLiteral("1")), kvRow(QStringLiteral("app/gone"), QStringLiteral("0")),
                                kvRow(QStringLiteral("app/brief"), QStringLiteral("x")), kvRow(QStringLiteral("other/o"), QStringLiteral("1"))});
        h.record(Topic::Kv, 3, {kvRow(QStringLiteral("app/keep"), QStringLiteral("2")), kvRow(QStringLiteral("app/back"), QStringLiteral("y")),
                                kvRow(QStringLiteral("other/o"), QStringLiteral("1"))});
        h.record(Topic::Kv, 4, {kvRow(QStringLiteral("app/keep"), QStringLiteral("2")), kvRow(QStringLiteral("app/back"), QStringLiteral("y")),
                                kvRow(QStringLiteral("app/gone"), QStringLiteral("again")), kvRow(QStringLiteral("other/o"), QStringLiteral("1"))});

        const auto all = h.changeSince(Topic::Kv, 1, QStringLiteral("app/"));
        QVERIFY(all);
        QCOMPARE(all->index, quint64(4));
        // app/brief came and went in between: not mentioned; app/gone was deleted and came back: an upsert.
        QCOMPARE(keys(all->upserts), (QStringList{QStringLiteral("app/back"), QStringLiteral("app/gone"), QStringLiteral("app/keep")}));
        QCOMPARE(all->upserts[2].toObject().value(QStringLiteral("Value")).toString(), QStringLiteral("2"));
        QVERIFY(all->deletes.isEmpty());

        // From 2, app/brief existed: its delete is news.
        const auto late = h.changeSince(Topic::Kv, 2, QStringLiteral("app/"));
        QVERIFY(late);
        QCOMPARE(keys(late->upserts), (QStringList{QStringLiteral("app/back"), QStringLiteral("app/gone"), QStringLiteral("app/keep")}));
        QCOMPARE(late->deletes, QStringList{QStringLiteral("app/brief")});
        const auto narrow = h.changeSince(Topic::Kv, 2, QStringLiteral("app/b"));
        QVERIFY(narrow);
        QCOMPARE(narrow->prefix, QStringLiteral("app/b"));
        QCOMPARE(keys(narrow->upserts), QStringList{QStringLiteral("app/back")});
        QCOMPARE(narrow->deletes, QStringList{QStringLiteral("app/brief")});

        QVERIFY(!h.changeSince(Topic::Kv, 2, QStringLiteral("other/")));  // other/o last changed at 2
        QVERIFY(!h.changeSince(Topic::Kv, 4, QString()));
    }

    void otherTopicsIgnoreThePrefix()
    {
        StreamHistory h;
        h.record(Topic::Nodes, 1, {});
        h.record(Topic::Nodes, 2, {nodeRow(QStringLiteral("n1"), QStringLiteral("10.0.0.1"))});
        const api::StreamEvent *e = h.next(Topic::Nodes, 1);
        QVERIFY(e);
        QCOMPARE(e->encodedFor(QStringLiteral("app/")), e->encoded);
        QCOMPARE(h.rows(Topic::Nodes, QStringLiteral("zzz")).size(), 1);
    }

    void rowsChangingWithoutTheIndexRestartTheTopic()
    {
        // Members are gossip, not store rows: they can move while the nodes index does not.
        StreamHistory h;
        h.record(Topic::Members, 4, {QJsonObject{{QStringLiteral("Name"), QStringLiteral("m1")}}});
        h.record(Topic::Members, 6, {QJsonObject{{QStringLiteral("Name"), QStringLiteral("m1")}},
                                     QJsonObject{{QStringLiteral("Name"), QStringLiteral("m2")}}});
        QCOMPARE(h.size(), 1);
        QCOMPARE(h.epoch(Topic::Members), quint64(0));
        QCOMPARE(h.record(Topic::Members, 6, {QJsonObject{{QStringLiteral("Name"), QStringLiteral("m2")}}}),
                 StreamHistory::Recorded::Restarted);
        QCOMPARE(h.epoch(Topic::Members), quint64(1));
        QCOMPARE(h.size(), 0);
        QCOMPARE(h.bytes(), qint64(0));
        QCOMPARE(h.base(Topic::Members), quint64(6));
        QVERIFY(!h.whyNotResumable(Topic::Members, 4, h.identity(Topic::Members), 6).isEmpty());
        QCOMPARE(h.rows(Topic::Members).size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestStreamHistory)
#include "tst_stream_history.moc"
