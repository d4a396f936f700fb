// Reads the config files and dirs named on the command line; everything else is config.cpp's pure
// parsing. Kept apart so that config.cpp stays free of file I/O (STYLE.md §2).
#include "agent/config.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>

namespace conclave::agent {

std::optional<AgentConfig> loadConfig(const QStringList &args, QString *error, bool *help)
{
    auto flags = parseAgentFlags(args, error);
    if (!flags)
        return std::nullopt;
    *help = flags->help;
    AgentConfig cfg;
    // -dev defaults go first so that files and flags can still override them.
    for (const auto &f : flags->overrides) {
        if (f.first == QLatin1String("dev")) {
            cfg.dev = true;
            cfg.bindAddr = QStringLiteral("127.0.0.1");
            cfg.logLevel = QStringLiteral("DEBUG");
        }
    }
    QStringList files = flags->configFiles;
    for (const QString &dir : flags->configDirs) {
        QDir d(dir);
        if (!d.exists()) {
            *error = QStringLiteral("config dir '%1' does not exist").arg(dir);
            return std::nullopt;
        }
        for (const QString &f : d.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name))
            files.append(d.filePath(f));
    }
    for (const QString &path : files) {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("cannot read config file '%1': %2").arg(path, f.errorString());
            return std::nullopt;
        }
        QJsonParseError perr{};
        const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &perr);
        if (perr.error != QJsonParseError::NoError || !doc.isObject()) {
            *error = QStringLiteral("config file '%1' is not a valid JSON object: %2")
                         .arg(path, perr.error != QJsonParseError::NoError ? perr.errorString()
                                                                           : QStringLiteral("not an object"));
            return std::nullopt;
        }
        if (!applyJsonConfig(cfg, doc.object(), path, error))
            return std::nullopt;
    }
    if (!applyFlags(cfg, *flags, error))
        return std::nullopt;
    if (*help)
        return cfg;
    if (!finalizeConfig(cfg, error))
        return std::nullopt;
    return cfg;
}

}  // namespace conclave::agent
