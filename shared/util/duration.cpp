#include "shared/util/duration.h"

#include <QJsonValue>

#include <cmath>

namespace conclave::util {

namespace {

constexpr quint64 kNanosecond = 1;
constexpr quint64 kMicrosecond = 1000 * kNanosecond;
constexpr quint64 kMillisecond = 1000 * kMicrosecond;
constexpr quint64 kSecond = 1000 * kMillisecond;
constexpr quint64 kMinute = 60 * kSecond;
constexpr quint64 kHour = 60 * kMinute;
constexpr quint64 kLimit = quint64(1) << 63;  // |min int64|

bool isDigit(QChar c) { return c >= u'0' && c <= u'9'; }

QString quoted(const QString &s) { return u'"' + s + u'"'; }

std::optional<quint64> unitFor(const QString &u)
{
    // U+00B5 (micro sign) and U+03BC (Greek mu) both mean micro, as in Go.
    if (u == u"ns") return kNanosecond;
    if (u == u"us" || u == u"\u00b5s" || u == u"\u03bcs") return kMicrosecond;
    if (u == u"ms") return kMillisecond;
    if (u == u"s") return kSecond;
    if (u == u"m") return kMinute;
    if (u == u"h") return kHour;
    return std::nullopt;
}

std::optional<qint64> fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return std::nullopt;
}

// Writes v/10^prec's fraction (".123", trailing zeros dropped, nothing if zero) in front of
// `out` and returns v/10^prec. Mirrors Go's fmtFrac.
quint64 prependFraction(QString &out, quint64 v, int prec)
{
    QString digits;
    bool print = false;
    for (int i = 0; i < prec; ++i) {
        const quint64 digit = v % 10;
        print = print || digit != 0;
        if (print)
            digits.prepend(QChar(u'0' + int(digit)));
        v /= 10;
    }
    if (print)
        out.prepend(u'.' + digits);
    return v;
}

}  // namespace

std::optional<qint64> parseDuration(const QString &text)
{
    return parseDuration(text, nullptr);
}

// Transcribed from Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+
std::optional<qint64> parseDuration(const QString &orig, QString *error)
{
    const QString invalid = QStringLiteral("time: invalid duration ") + quoted(orig);
    qsizetype pos = 0;
    const qsizetype n = orig.size();
    bool neg = false;
    if (n > 0 && (orig[0] == u'-' || orig[0] == u'+')) {
        neg = orig[0] == u'-';
        pos = 1;
    }
    if (orig.mid(pos) == u"0")
        return 0;
    if (pos == n)
        return fail(error, invalid);

    quint64 total = 0;
    while (pos < n) {
        if (!(orig[pos] == u'.' || isDigit(orig[pos])))
            return fail(error, invalid);

        // Integer part; overflow is an error.
        quint64 v = 0;
        const qsizetype intStart = pos;
        for (; pos < n && isDigit(orig[pos]); ++pos) {
            if (v > kLimit / 10)
                return fail(error, invalid);
            v = v * 10 + quint64(orig[pos].unicode() - u'0');
            if (v > kLimit)
                return fail(error, invalid);
        }
        const bool pre = pos != intStart;

        // Fraction; digits past what fits are ignored, as Go does.
        quint64 f = 0;
        double scale = 1;
        bool post = false;
        if (pos < n && orig[pos] == u'.') {
            ++pos;
            const qsizetype fracStart = pos;
            bool overflow = false;
            for (; pos < n && isDigit(orig[pos]); ++pos) {
                if (overflow)
                    continue;
                if (f > (kLimit - 1) / 10) {
                    overflow = true;
                    continue;
                }
                const quint64 y = f * 10 + quint64(orig[pos].unicode() - u'0');
                if (y > kLimit) {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10;
            }
            post = pos != fracStart;
        }
        if (!pre && !post)
            return fail(error, invalid);

        const qsizetype unitStart = pos;
        while (pos < n && !(orig[pos] == u'.' || isDigit(orig[pos])))
            ++pos;
        if (pos == unitStart)
            return fail(error, QStringLiteral("time: missing unit in duration ") + quoted(orig));
        const QString unitText = orig.mid(unitStart, pos - unitStart);
        const auto unit = unitFor(unitText);
        if (!unit) {
            return fail(error, QStringLiteral("time: unknown unit ") + quoted(unitText)
                                   + QStringLiteral(" in duration ") + quoted(orig));
        }
        if (v > kLimit / *unit)
            return fail(error, invalid);
        v *= *unit;
        if (f > 0) {
            // Go uses float64 here too, which is nanosecond-exact up to hours.
            v += quint64(double(f) * (double(*unit) / scale));
            if (v > kLimit)
                return fail(error, invalid);
        }
        total += v;
        if (total > kLimit)
            return fail(error, invalid);
    }
    if (neg)
        return qint64(0 - total);  // two's complement: 2^63 maps to min int64
    if (total > kLimit - 1)
        return fail(error, invalid);
    return qint64(total);
}

// Transcribed from Go's Duration.format.
QString formatDuration(qint64 ns)
{
    const bool neg = ns < 0;
    quint64 u = neg ? 0 - quint64(ns) : quint64(ns);
    QString out;
    if (u < kSecond) {
        if (u == 0)
            return QStringLiteral("0s");
        int prec = 0;
        if (u < kMicrosecond) {
            out = QStringLiteral("ns");
        } else if (u < kMillisecond) {
            prec = 3;
            out = QStringLiteral("\u00b5s");
        } else {
            prec = 6;
            out = QStringLiteral("ms");
        }
        u = prependFraction(out, u, prec);
        out.prepend(QString::number(u));
    } else {
        out = QStringLiteral("s");
        u = prependFraction(out, u, 9);
        out.prepend(QString::number(u % 60));
        u /= 60;
        if (u > 0) {
            out.prepend(QString::number(u % 60) + u'm');
            u /= 60;
            if (u > 0)
                out.prepend(QString::number(u) + u'h');
        }
    }
    if (neg)
        out.prepend(u'-');
    return out;
}

std::optional<qint64> durationFromJson(const QJsonValue &value)
{
    return durationFromJson(value, nullptr);
}

std::optional<qint64> durationFromJson(const QJsonValue &value, QString *error)
{
    if (value.isString())
        return parseDuration(value.toString(), error);
    if (value.isDouble()) {
        const double d = value.toDouble();
        // Integral and inside int64 (2^63 itself is out of range).
        if (std::isfinite(d) && d == std::floor(d) && d >= -9223372036854775808.0
            && d < 9223372036854775808.0) {
            return value.toInteger(qint64(d));
        }
    }
    return fail(error, QStringLiteral("invalid duration value"));
}

}  // namespace conclave::util
