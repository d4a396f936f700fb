#pragma once
// Column layout helpers reproducing the two formatters Consul's CLI prints with.
// Pure functions.

#include <QList>
#include <QString>
#include <QStringList>

namespace conclave::cli {

/// ryanuni/columnize as Consul configures it: every column padded to its widest cell, joined
/// by two spaces, trailing spaces trimmed. One "\n"-terminated line per row.
QString columnize(const QList<QStringList> &rows);

/// Go text/tabwriter(minwidth 0, padding 6, ' '): every cell but a row's last is padded to the
/// column's widest cell plus `padding` (even when the next cell is empty, as Go does). Rows
/// are joined by "\n"; no newline after the last.
QString tabulate(const QList<QStringList> &rows, int padding = 6);

}  // namespace conclave::cli
