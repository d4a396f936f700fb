// Go time.ParseDuration / Duration.String() compatibility (cases from Go's time_test.go).
#include "shared/util/duration.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QTest>

#include <limits>

using conclave::util::durationFromJson;
using conclave::util::formatDuration;
using conclave::util::parseDuration;

namespace {
constexpr qint64 us = 1000;
constexpr qint64 ms = 1000 * us;
constexpr qint64 sec = 1000 * ms;
constexpr qint64 minute = 60 * sec;
constexpr qint64 hour = 60 * minute;
}  // namespace

class TestDuration : public QObject
{
    Q_OBJECT

private slots:
    void parsesGoSyntax_data();
    void parsesGoSyntax();
    void rejectsWhatGoRejects_data();
    void rejectsWhatGoRejects();
    void reportsGoErrorText_data();
    void reportsGoErrorText();
    void formatsAsGo_data();
    void formatsAsGo();
    void roundTripsFormatted_data();
    void roundTripsFormatted();
    void readsJsonStringsAndNumbers_data();
    void readsJsonStringsAndNumbers();
};

void TestDuration::parsesGoSyntax_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("ns");
    QTest::newRow("bare zero") << "0" << qint64(0);
    QTest::newRow("signed zero") << "-0" << qint64(0);
    QTest::newRow("plus zero") << "+0" << qint64(0);
    QTest::newRow("zero seconds") << "0s" << qint64(0);
    QTest::newRow("seconds") << "5s" << 5 * sec;
    QTest::newRow("thirty seconds") << "30s" << 30 * sec;
    QTest::newRow("big seconds") << "1478s" << 1478 * sec;
    QTest::newRow("negative") << "-5s" << -5 * sec;
    QTest::newRow("plus sign") << "+5s" << 5 * sec;
    QTest::newRow("fraction") << "1.5s" << 1500 * ms;
    QTest::newRow("fraction no leading digit") << ".5s" << 500 * ms;
    QTest::newRow("fraction no trailing digit") << "5.s" << 5 * sec;
    QTest::newRow("long fraction") << "1.004s" << 1004 * ms;
    QTest::newRow("fraction of hour") << "1.5h" << 90 * minute;
    QTest::newRow("nanoseconds") << "10ns" << qint64(10);
    QTest::newRow("us") << "10us" << 10 * us;
    QTest::newRow("micro sign") << QStringLiteral("10\u00b5s") << 10 * us;
    QTest::newRow("greek mu") << QStringLiteral("10\u03bcs") << 10 * us;
    QTest::newRow("milliseconds") << "300ms" << 300 * ms;
    QTest::newRow("minutes") << "5m" << 5 * minute;
    QTest::newRow("hours") << "2h" << 2 * hour;
    QTest::newRow("compound") << "1h2m3s" << hour + 2 * minute + 3 * sec;
    QTest::newRow("compound fractions") << "3h30m1.5s" << 3 * hour + 30 * minute + 1500 * ms;
    QTest::newRow("negative compound") << "-1m30s" << -(minute + 30 * sec);
    QTest::newRow("units any order") << "1s1m" << minute + sec;
    QTest::newRow("all units") << "1h1m1s1ms1us1ns" << hour + minute + sec + ms + us + 1;
    QTest::newRow("max int64") << "9223372036854775807ns" << std::numeric_limits<qint64>::max();
    QTest::newRow("min int64") << "-9223372036854775808ns" << std::numeric_limits<qint64>::min();
    QTest::newRow("excess fraction digits ignored")
        << "0.100000000000000000000h" << 6 * minute;
    QTest::newRow("go huge fraction") << "0.9223372036854775807ns" << qint64(0);
}

void TestDuration::parsesGoSyntax()
{
    QFETCH(QString, text);
    QFETCH(qint64, ns);
    const auto parsed = parseDuration(text);
    QVERIFY2(parsed.has_value(), qPrintable(text));
    QCOMPARE(*parsed, ns);
}

void TestDuration::rejectsWhatGoRejects_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << "";
    QTest::newRow("bare number") << "10";
    QTest::newRow("bare one") << "1";
    QTest::newRow("sign only") << "-";
    QTest::newRow("dot only") << ".";
    QTest::newRow("dot unit") << ".s";
    QTest::newRow("signed dot unit") << "-.s";
    QTest::newRow("unit only") << "s";
    QTest::newRow("unknown unit") << "3d";
    QTest::newRow("capital unit") << "3S";
    QTest::newRow("trailing number") << "1s2";
    QTest::newRow("space") << "1 s";
    QTest::newRow("double sign") << "--5s";
    QTest::newRow("overflow") << "9223372036854775808ns";
    QTest::newRow("overflow hours") << "3000000h";
    QTest::newRow("negative overflow") << "-9223372036854775809ns";
}

void TestDuration::rejectsWhatGoRejects()
{
    QFETCH(QString, text);
    QVERIFY2(!parseDuration(text).has_value(), qPrintable(text));
}

void TestDuration::reportsGoErrorText_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");
    QTest::newRow("missing unit") << "10" << R"(time: missing unit in duration "10")";
    QTest::newRow("unknown unit") << "3d" << R"(time: unknown unit "d" in duration "3d")";
    QTest::newRow("invalid") << "abc" << R"(time: invalid duration "abc")";
    QTest::newRow("empty") << "" << R"(time: invalid duration "")";
}

void TestDuration::reportsGoErrorText()
{
    QFETCH(QString, text);
    QFETCH(QString, error);
    QString actual;
    QVERIFY(!parseDuration(text, &actual).has_value());
    QCOMPARE(actual, error);
}

void TestDuration::formatsAsGo_data()
{
    QTest::addColumn<qint64>("ns");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << qint64(0) << "0s";
    QTest::newRow("1ns") << qint64(1) << "1ns";
    QTest::newRow("1.1us") << qint64(1100) << QStringLiteral("1.1\u00b5s");
    QTest::newRow("1us") << us << QStringLiteral("1\u00b5s");
    QTest::newRow("2.2ms") << 2200 * us << "2.2ms";
    QTest::newRow("500ms") << 500 * ms << "500ms";
    QTest::newRow("1.5s") << 1500 * ms << "1.5s";
    QTest::newRow("10s") << 10 * sec << "10s";
    QTest::newRow("1m30s") << 90 * sec << "1m30s";
    QTest::newRow("4m5.001s") << 4 * minute + 5001 * ms << "4m5.001s";
    QTest::newRow("1h0m0s") << hour << "1h0m0s";
    QTest::newRow("5h6m7.001s") << 5 * hour + 6 * minute + 7001 * ms << "5h6m7.001s";
    QTest::newRow("8m0.000000001s") << 8 * minute + 1 << "8m0.000000001s";
    QTest::newRow("negative") << -5 * sec << "-5s";
    QTest::newRow("negative small") << qint64(-1) << "-1ns";
    QTest::newRow("max") << std::numeric_limits<qint64>::max() << "2562047h47m16.854775807s";
    QTest::newRow("min") << std::numeric_limits<qint64>::min() << "-2562047h47m16.854775808s";
}

void TestDuration::formatsAsGo()
{
    QFETCH(qint64, ns);
    QFETCH(QString, text);
    QCOMPARE(formatDuration(ns), text);
}

void TestDuration::roundTripsFormatted_data()
{
    QTest::addColumn<qint64>("ns");
    QTest::newRow("ns") << qint64(7);
    QTest::newRow("us") << 1234 * us / 1000 * 1000 + 5;
    QTest::newRow("ms") << 999 * ms;
    QTest::newRow("compound") << 26 * hour + 3 * minute + 7 * sec + 9;
    QTest::newRow("negative") << -(90 * minute);
}

void TestDuration::roundTripsFormatted()
{
    QFETCH(qint64, ns);
    QCOMPARE(parseDuration(formatDuration(ns)), std::optional<qint64>(ns));
}

void TestDuration::readsJsonStringsAndNumbers_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<qint64>("ns");
    QTest::newRow("string") << QJsonValue(QStringLiteral("10s")) << true << 10 * sec;
    QTest::newRow("nanoseconds") << QJsonValue(qint64(10 * sec)) << true << 10 * sec;
    QTest::newRow("zero number") << QJsonValue(0) << true << qint64(0);
    QTest::newRow("negative number") << QJsonValue(-5) << true << qint64(-5);
    QTest::newRow("large exact") << QJsonValue(qint64(90061001002003)) << true
                                 << qint64(90061001002003);
    QTest::newRow("bad string") << QJsonValue(QStringLiteral("ten")) << false << qint64(0);
    QTest::newRow("unitless string") << QJsonValue(QStringLiteral("10")) << false << qint64(0);
    QTest::newRow("fractional number") << QJsonValue(1.5) << false << qint64(0);
    QTest::newRow("bool") << QJsonValue(true) << false << qint64(0);
    QTest::newRow("null") << QJsonValue(QJsonValue::Null) << false << qint64(0);
    QTest::newRow("object") << QJsonValue(QJsonObject()) << false << qint64(0);
    QTest::newRow("too big") << QJsonValue(1e19) << false << qint64(0);
}

void TestDuration::readsJsonStringsAndNumbers()
{
    QFETCH(QJsonValue, value);
    QFETCH(bool, valid);
    QFETCH(qint64, ns);
    const auto d = durationFromJson(value);
    QCOMPARE(d.has_value(), valid);
    if (valid)
        QCOMPARE(*d, ns);
}

QTEST_APPLESS_MAIN(TestDuration)
#include "tst_duration.moc"
