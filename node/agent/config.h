#pragma once
// Agent configuration: Consul's JSON config files (key names as Consul's) and command-line flags
// (Consul's spellings) merged into one validated struct. Files are applied in order, then flags
// override them, as Consul does. Parsing is pure; loadConfig() (config_loader.cpp) alone reads files.

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>
#include <optional>

namespace conclave::agent {

struct AgentConfig {
    bool dev = false;
    bool server = false;
    bool bootstrap = false;
    int bootstrapExpect = 0;
    QString dataDir;           // required unless dev (dev: a fresh temporary dir when not given)
    QString nodeName;          // default: host name
    QString datacenter = QStringLiteral("dc1");
    QString bindAddr = QStringLiteral("0.0.0.0");
    QString advertiseAddr;     // default: bind address (127.0.0.1 when bind is 0.0.0.0)
    QString clientAddr = QStringLiteral("127.0.0.1");
    int httpPort = 8500;       // 0 = pick a free port; -1 = disabled
    int dnsPort = 8600;
    int serverPort = 8300;
    int serfLanPort = 8301;
    int serfWanPort = 8302;
    QString pidFile;
    QString logLevel = QStringLiteral("INFO");
    QMap<QString, QString> nodeMeta;
    QStringList retryJoin;
    bool enableScriptChecks = false;
    qint64 checkUpdateIntervalMs = 300000;  // check_update_interval; 0 = write every output change
    qint64 checkOutputMaxSize = 4096;       // check_output_max_size
    qint64 kvMaxValueSize = 524288;
    qint64 defaultQueryTimeMs = 300000;
    qint64 maxQueryTimeMs = 600000;
    int raftSnapshotThreshold = 16384;
    qint64 raftSnapshotIntervalMs = 30000;
    int raftTrailingLogs = 10240;
    // DNS: `domain`, `alt_domain`, `recursors` and `dns_config` (Consul's defaults).
    QString domain = QStringLiteral("consul.");
    QString altDomain;
    QStringList recursors;             // "ip" or "ip:port"
    qint64 dnsNodeTtlMs = 0;
    QMap<QString, qint64> dnsServiceTtlMs;  // service name, "prefix*" or "*"
    int dnsUdpAnswerLimit = 3;
    bool dnsOnlyPassing = false;
    bool dnsAllowStale = true;
    bool dnsEnableTruncate = false;
};

/// Applies one JSON config object (a config file's content) onto cfg. Unknown keys and wrongly
/// typed values are errors naming the key, as Consul's config loader does.
bool applyJsonConfig(AgentConfig &cfg, const QJsonObject &obj, const QString &source, QString *error);

/// The flags of `conclave agent`, split out of args: config files/dirs and the flag overrides.
struct ParsedFlags {
    QStringList configFiles;  // -config-file, in order
    QStringList configDirs;   // -config-dir, in order (every *.json inside, sorted by name)
    QList<QPair<QString, QString>> overrides;  // flag name → value ("" for booleans), in order
    bool help = false;
};
std::optional<ParsedFlags> parseAgentFlags(const QStringList &args, QString *error);

/// Applies the flag overrides (after the files). -dev also sets the dev defaults first.
bool applyFlags(AgentConfig &cfg, const ParsedFlags &flags, QString *error);

/// Checks cross-field rules (bootstrap vs bootstrap_expect, ports in range, data_dir present…)
/// and fills defaults that depend on other fields.
bool finalizeConfig(AgentConfig &cfg, QString *error);

/// The whole pipeline: flags → files → flags → finalize. Reads the config files and dirs.
std::optional<AgentConfig> loadConfig(const QStringList &args, QString *error, bool *help);

QString agentUsage();

}  // namespace conclave::agent
