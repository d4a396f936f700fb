#pragma once
// Command-line flag parsing for the CLI verbs, Go `flag` style as Consul's CLI uses it:
// `-name=value`, `-name value`, `--name`, bool flags without a value, `--` ends flags.
// Pure; used on the main thread of the short-lived CLI process.
//
// Unlike Go, flags may also follow positionals (`kv get foo -recurse`). After the first
// positional a token that is not a defined flag is kept as a positional, so `kv put k -5` works.

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace conclave::cli {

struct FlagSpec {
    QString name;
    bool isBool = false;
    QString defaultValue;  // as text; bool flags default to "false" when empty
};

class ParsedFlags
{
public:
    QStringList positional;
    bool help = false;  // -h / -help given

    QString value(const QString &name) const { return m_values.value(name); }
    bool isSet(const QString &name) const { return m_set.contains(name); }
    /// A bool flag's value ("true", "1", "t" … as Go's strconv.ParseBool).
    bool boolean(const QString &name) const;
    /// An unsigned flag; nullopt (and an error text) when not a decimal integer.
    std::optional<quint64> unsignedValue(const QString &name, QString *error) const;

    /// Every value given for a repeatable flag (`-tag a -tag b`), in order; empty if never given.
    QStringList values(const QString &name) const { return m_all.value(name); }

    void set(const QString &name, const QString &value, bool explicitly);

private:
    QMap<QString, QString> m_values;
    QMap<QString, QStringList> m_all;
    QStringList m_set;
};

/// Parses `args` (the verb's own arguments) against `specs`. Errors use Go's texts:
/// "flag provided but not defined: -x", "flag needs an argument: -flags",
/// `invalid boolean value "maybe" for -recurse: parse error`.
std::optional<ParsedFlags> parseFlags(const QStringList &args, const QList<FlagSpec> &specs,
                                      QString *error);

/// The flags every verb that talks to an agent accepts: -http-addr, -token, -datacenter, -stale.
QList<FlagSpec> httpFlags();

}  // namespace conclave::cli
