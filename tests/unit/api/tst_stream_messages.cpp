// The viewer stream protocol codec: round trips, golden text, row ids and malformed input.
#include "shared/stream/messages.h"

#include <QtTest>

using namespace conclave::stream;

class TestStreamMessages : public QObject {
    Q_OBJECT

private slots:
    void topicNamesRoundTrip_data()
    {
        QTest::addColumn<int>("topic");
        QTest::addColumn<QString>("name");
        QTest::newRow("datacenters") << int(Topic::Datacenters) << QStringLiteral("datacenters");
        QTest::newRow("members") << int(Topic::Members) << QStringLiteral("members");
        QTest::newRow("nodes") << int(Topic::Nodes) << QStringLiteral("nodes");
        QTest::newRow("services") << int(Topic::Services) << QStringLiteral("services");
        QTest::newRow("checks") << int(Topic::Checks) << QStringLiteral("checks");
        QTest::newRow("kv") << int(Topic::Kv) << QStringLiteral("kv");
    }
    void topicNamesRoundTrip()
    {
        QFETCH(int, topic);
        QFETCH(QString, name);
        QCOMPARE(topicName(Topic(topic)), name);
        QCOMPARE(topicFromName(name), std::optional<Topic>(Topic(topic)));
    }

    void subscribeGolden()
    {
        const Subscribe s{{{Topic::Kv, QStringLiteral("app/"), 42}, {Topic::Nodes, {}, 0}}, QStringLiteral("t0k")};
        QCOMPARE(encode(s),
                 QByteArray(R"({"Token":"t0k","Topics":[{"FromIndex":42,"Prefix":"app/","Topic":"kv"},)"
                            R"({"FromIndex":0,"Topic":"nodes"}],"Type":"Subscribe"})"));
        const auto m = decode(encode(s), nullptr);
        QVERIFY(m);
        QCOMPARE(m->type, MessageType::Subscribe);
        QCOMPARE(m->subscribe, s);
    }

    void snapshotAndChangeRoundTrip()
    {
        const Snapshot snap{Topic::Kv, QStringLiteral("a/"), 7,
                            QJsonArray{QJsonObject{{QStringLiteral("Key"), QStringLiteral("a/b")}}}};
        auto m = decode(encode(snap), nullptr);
        QVERIFY(m);
        QCOMPARE(m->type, MessageType::Snapshot);
        QCOMPARE(m->snapshot, snap);

        const Change change{Topic::Checks, {}, 9,
                            QJsonArray{QJsonObject{{QStringLiteral("Node"), QStringLiteral("n1")}}},
                            {QStringLiteral("n1/old")}};
        QCOMPARE(encode(change),
                 QByteArray(R"({"Deletes":["n1/old"],"Index":9,"Topic":"checks","Type":"Change","Upserts":[{"Node":"n1"}]})"));
        m = decode(encode(change), nullptr);
        QVERIFY(m);
        QCOMPARE(m->change, change);

        m = decode(encode(Error{QStringLiteral("client too slow")}), nullptr);
        QVERIFY(m);
        QCOMPARE(m->type, MessageType::Error);
        QCOMPARE(m->error.reason, QStringLiteral("client too slow"));
    }

    void resumeGoldenAndSnapshotReason()
    {
        const Resume r{Topic::Kv, QStringLiteral("app/"), 12, 17};
        QCOMPARE(encode(r), QByteArray(R"({"FromIndex":12,"Index":17,"Prefix":"app/","Topic":"kv","Type":"Resume"})"));
        auto m = decode(encode(r), nullptr);
        QVERIFY(m);
        QCOMPARE(m->type, MessageType::Resume);
        QCOMPARE(m->resume, r);
        const Resume nodes{Topic::Nodes, {}, 3, 3};
        QCOMPARE(encode(nodes), QByteArray(R"({"FromIndex":3,"Index":3,"Topic":"nodes","Type":"Resume"})"));

        // A Snapshot says why only when it answers a resume it could not honour.
        const Snapshot plain{Topic::Nodes, {}, 5, {}};
        QVERIFY(!encode(plain).contains("Reason"));
        const Snapshot refused{Topic::Nodes, {}, 5, {}, QStringLiteral("index 9 is ahead of this agent (it has applied up to 5)")};
        QCOMPARE(encode(refused),
                 QByteArray(R"j({"Index":5,"Reason":"index 9 is ahead of this agent (it has applied up to 5)","Rows":[],"Topic":"nodes","Type":"Snapshot"})j"));
        m = decode(encode(refused), nullptr);
        QVERIFY(m);
        QCOMPARE(m->snapshot, refused);
    }

    void historyGoesOutInSnapshotAndResumeAndComesBackInSubscribe()
    {
        const Snapshot snap{Topic::Nodes, {}, 5, {}, {}, QStringLiteral("9f0c.0")};
        QCOMPARE(encode(snap), QByteArray(R"({"History":"9f0c.0","Index":5,"Rows":[],"Topic":"nodes","Type":"Snapshot"})"));
        QCOMPARE(decode(encode(snap), nullptr)->snapshot, snap);
        const Resume r{Topic::Kv, QStringLiteral("app/"), 12, 17, QStringLiteral("9f0c.1")};
        QCOMPARE(encode(r), QByteArray(R"({"FromIndex":12,"History":"9f0c.1","Index":17,"Prefix":"app/","Topic":"kv","Type":"Resume"})"));
        QCOMPARE(decode(encode(r), nullptr)->resume, r);
        const Subscribe s{{{Topic::Kv, QStringLiteral("app/"), 17, QStringLiteral("9f0c.1")}, {Topic::Nodes, {}, 0}}, {}};
        QCOMPARE(encode(s), QByteArray(R"({"Topics":[{"FromIndex":17,"History":"9f0c.1","Prefix":"app/","Topic":"kv"},)"
                                       R"({"FromIndex":0,"Topic":"nodes"}],"Type":"Subscribe"})"));
        QCOMPARE(decode(encode(s), nullptr)->subscribe, s);
    }

    void indexesUpTo2Pow53AreTakenExactly()
    {
        const auto m = decode(R"({"Type":"Subscribe","Topics":[{"Topic":"kv","FromIndex":9007199254740992,"Prefix":null}]})", nullptr);
        QVERIFY(m);
        QCOMPARE(m->subscribe.topics[0].fromIndex, quint64(1) << 53);
        QCOMPARE(m->subscribe.topics[0].prefix, QString());
    }

    void rowIds_data()
    {
        QTest::addColumn<int>("topic");
        QTest::addColumn<QByteArray>("row");
        QTest::addColumn<QString>("id");
        QTest::newRow("kv by key") << int(Topic::Kv) << QByteArray(R"({"Key":"a/b","Flags":0})") << QStringLiteral("a/b");
        QTest::newRow("node by name") << int(Topic::Nodes) << QByteArray(R"({"Node":"n1","ID":"x"})") << QStringLiteral("n1");
        QTest::newRow("service by node and id")
            << int(Topic::Services) << QByteArray(R"({"Node":"n1","Service":{"ID":"web-1","Service":"web"}})")
            << QStringLiteral("n1/web-1");
        QTest::newRow("check by node and id")
            << int(Topic::Checks) << QByteArray(R"({"Node":"n1","CheckID":"serfHealth"})") << QStringLiteral("n1/serfHealth");
        QTest::newRow("datacenter by name") << int(Topic::Datacenters) << QByteArray(R"({"Datacenter":"dc2"})") << QStringLiteral("dc2");
        QTest::newRow("member by name") << int(Topic::Members) << QByteArray(R"({"Name":"m"})") << QStringLiteral("m");
    }
    void rowIds()
    {
        QFETCH(int, topic);
        QFETCH(QByteArray, row);
        QFETCH(QString, id);
        QCOMPARE(rowId(Topic(topic), QJsonDocument::fromJson(row).object()), id);
    }

    void malformed_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("error");
        QTest::newRow("not json") << QByteArray("hello") << QStringLiteral("message is not a JSON object");
        QTest::newRow("array") << QByteArray("[]") << QStringLiteral("message is not a JSON object");
        QTest::newRow("unknown type") << QByteArray(R"({"Type":"Hello"})") << QStringLiteral("unknown message Type 'Hello'");
        QTest::newRow("no topics") << QByteArray(R"({"Type":"Subscribe","Topics":[]})")
                                   << QStringLiteral("Subscribe needs a non-empty Topics array");
        QTest::newRow("unknown topic") << QByteArray(R"({"Type":"Subscribe","Topics":[{"Topic":"x"}]})")
                                       << QStringLiteral("unknown topic 'x'");
        const QString badIndex = QStringLiteral("FromIndex must be a whole number from 0 to 2^53");
        QTest::newRow("negative index") << QByteArray(R"({"Type":"Subscribe","Topics":[{"Topic":"kv","FromIndex":-1}]})") << badIndex;
        QTest::newRow("huge index") << QByteArray(R"({"Type":"Subscribe","Topics":[{"Topic":"kv","FromIndex":1e300}]})") << badIndex;
        QTest::newRow("uint64 max index")
            << QByteArray(R"({"Type":"Subscribe","Topics":[{"Topic":"kv","FromIndex":18446744073709551615}]})") << badIndex;
        QTest::newRow("index past 2^53")
            << QByteArray(R"({"Type":"Subscribe","Topics":[{"Topic":"kv","FromIndex":18014398509481984}]})") << badIndex;
        QTest::newRow("fractional index") << QByteArray(R"({"Type":"Subscribe","Topics":[{"Topic":"kv","FromIndex":1.5}]})") << badIndex;
        QTest::newRow("index as a string") << QByteArray(R"({"Type":"Subscribe","Topics":[{"Topic":"kv","FromIndex":"7"}]})") << badIndex;
        QTest::newRow("prefix not a string") << QByteArray(R"({"Type":"Subscribe","Topics":[{"Topic":"kv","Prefix":5}]})")
                                             << QStringLiteral("Prefix must be a string");
        QTest::newRow("history not a string") << QByteArray(R"({"Type":"Subscribe","Topics":[{"Topic":"kv","History":1}]})")
                                              << QStringLiteral("History must be a string");
        QTest::newRow("token not a string") << QByteArray(R"({"Type":"Subscribe","Token":[],"Topics":[{"Topic":"kv"}]})")
                                            << QStringLiteral("Token must be a string");
        QTest::newRow("topics of numbers") << QByteArray(R"({"Type":"Subscribe","Topics":[1,2]})")
                                           << QStringLiteral("each entry of Topics must be an object such as {\"Topic\":\"kv\"}");
        QTest::newRow("topic not a string") << QByteArray(R"({"Type":"Subscribe","Topics":[{"Topic":3}]})")
                                            << QStringLiteral("Topic must be a string naming a topic");
        QTest::newRow("topic listed twice")
            << QByteArray(R"({"Type":"Subscribe","Topics":[{"Topic":"kv","Prefix":"a/"},{"Topic":"nodes"},{"Topic":"kv","Prefix":"b/"}]})")
            << QStringLiteral("topic 'kv' is listed more than once");
        {
            QByteArray many = R"({"Type":"Subscribe","Topics":[)";
            for (int i = 0; i <= kMaxSubscribeTopics; ++i)
                many += QByteArray(i ? "," : "") + R"({"Topic":"kv"})";
            many += "]}";
            QTest::newRow("too many topics") << many << QStringLiteral("Subscribe lists at most 16 topics");
        }
        QTest::newRow("change without index") << QByteArray(R"({"Type":"Change","Topic":"kv"})")
                                              << QStringLiteral("Change needs a positive Index");
        QTest::newRow("resume from nothing") << QByteArray(R"({"Type":"Resume","Topic":"kv","FromIndex":0,"Index":4})")
                                             << QStringLiteral("Resume needs a positive FromIndex and Index");
    }
    void malformed()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, error);
        QString got;
        QVERIFY(!decode(text, &got));
        QCOMPARE(got, error);
    }
};

QTEST_GUILESS_MAIN(TestStreamMessages)
#include "tst_stream_messages.moc"
