#include "cli/output.h"

#include <algorithm>

namespace conclave::cli {

namespace {

QList<qsizetype> columnWidths(const QList<QStringList> &rows, bool includeLast)
{
    QList<qsizetype> widths;
    for (const QStringList &row : rows) {
        const qsizetype cells = includeLast ? row.size() : row.size() - 1;
        for (qsizetype c = 0; c < cells; ++c) {
            if (widths.size() <= c)
                widths.append(0);
            widths[c] = std::max(widths[c], row[c].size());
        }
    }
    return widths;
}

QString trimRight(const QString &s)
{
    qsizetype end = s.size();
    while (end > 0 && s[end - 1] == u' ')
        --end;
    return s.left(end);
}

}  // namespace

QString columnize(const QList<QStringList> &rows)
{
    const QList<qsizetype> widths = columnWidths(rows, true);
    QString out;
    for (const QStringList &row : rows) {
        QString line;
        for (qsizetype c = 0; c < row.size(); ++c) {
            if (c > 0)
                line += QStringLiteral("  ");
            line += row[c].leftJustified(widths[c], u' ');
        }
        out += trimRight(line) + u'\n';
    }
    return out;
}

QString tabulate(const QList<QStringList> &rows, int padding)
{
    const QList<qsizetype> widths = columnWidths(rows, false);
    QString out;
    for (qsizetype r = 0; r < rows.size(); ++r) {
        const QStringList &row = rows[r];
        QString line;
        for (qsizetype c = 0; c < row.size(); ++c) {
            if (c + 1 < row.size())
                line += row[c].leftJustified(widths[c] + padding, u' ');
            else
                line += row[c];
        }
        out += line;
        if (r + 1 < rows.size())
            out += u'\n';
    }
    return out;
}

}  // namespace conclave::cli
