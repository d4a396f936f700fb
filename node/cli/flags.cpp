#include "cli/flags.h"

namespace conclave::cli {

namespace {

std::optional<bool> parseGoBool(const QString &s)
{
    static const QStringList yes{QStringLiteral("1"), QStringLiteral("t"), QStringLiteral("T"),
                                 QStringLiteral("true"), QStringLiteral("TRUE"),
                                 QStringLiteral("True")};
    static const QStringList no{QStringLiteral("0"), QStringLiteral("f"), QStringLiteral("F"),
                                QStringLiteral("false"), QStringLiteral("FALSE"),
                                QStringLiteral("False")};
    if (yes.contains(s))
        return true;
    if (no.contains(s))
        return false;
    return std::nullopt;
}

const FlagSpec *findSpec(const QList<FlagSpec> &specs, const QString &name)
{
    for (const FlagSpec &s : specs) {
        if (s.name == name)
            return &s;
    }
    return nullptr;
}

}  // namespace

bool ParsedFlags::boolean(const QString &name) const
{
    return parseGoBool(m_values.value(name)).value_or(false);
}

std::optional<quint64> ParsedFlags::unsignedValue(const QString &name, QString *error) const
{
    bool ok = false;
    const quint64 v = m_values.value(name).toULongLong(&ok);
    if (!ok) {
        if (error) {
            *error = QStringLiteral("invalid value \"%1\" for flag -%2: parse error")
                         .arg(m_values.value(name), name);
        }
        return std::nullopt;
    }
    return v;
}

void ParsedFlags::set(const QString &name, const QString &value, bool explicitly)
{
    m_values.insert(name, value);
    if (explicitly)
        m_all[name].append(value);
    if (explicitly && !m_set.contains(name))
        m_set.append(name);
}

std::optional<ParsedFlags> parseFlags(const QStringList &args, const QList<FlagSpec> &specs,
                                      QString *error)
{
    auto fail = [error](const QString &text) -> std::optional<ParsedFlags> {
        if (error)
            *error = text;
        return std::nullopt;
    };
    ParsedFlags parsed;
    for (const FlagSpec &s : specs)
        parsed.set(s.name, s.isBool && s.defaultValue.isEmpty() ? QStringLiteral("false")
                                                                 : s.defaultValue, false);
    bool flagsDone = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &arg = args[i];
        if (flagsDone || arg.size() < 2 || !arg.startsWith(u'-')) {
            parsed.positional.append(arg);
            continue;
        }
        if (arg == u"--") {
            flagsDone = true;
            continue;
        }
        QString body = arg.mid(arg.startsWith(u"--") ? 2 : 1);
        QString name = body;
        std::optional<QString> inlineValue;
        if (const qsizetype eq = body.indexOf(u'='); eq >= 0) {
            name = body.left(eq);
            inlineValue = body.mid(eq + 1);
        }
        if (name == u"h" || name == u"help") {
            parsed.help = true;
            continue;
        }
        const FlagSpec *spec = findSpec(specs, name);
        if (!spec) {
            if (!parsed.positional.isEmpty()) {  // e.g. data "-5" after the key
                parsed.positional.append(arg);
                continue;
            }
            return fail(QStringLiteral("flag provided but not defined: -") + name);
        }
        if (spec->isBool) {
            const QString text = inlineValue.value_or(QStringLiteral("true"));
            const auto b = parseGoBool(text);
            if (!b) {
                return fail(QStringLiteral("invalid boolean value \"%1\" for -%2: parse error")
                                .arg(text, name));
            }
            parsed.set(name, *b ? QStringLiteral("true") : QStringLiteral("false"), true);
            continue;
        }
        if (inlineValue) {
            parsed.set(name, *inlineValue, true);
        } else if (i + 1 < args.size()) {
            parsed.set(name, args[++i], true);
        } else {
            return fail(QStringLiteral("flag needs an argument: -") + name);
        }
    }
    return parsed;
}

QList<FlagSpec> httpFlags()
{
    return {{QStringLiteral("http-addr"), false, QString()},
            {QStringLiteral("token"), false, QString()},
            {QStringLiteral("datacenter"), false, QString()},
            {QStringLiteral("stale"), true, QString()}};
}

}  // namespace conclave::cli
