#include "agent/config.h"

#include "shared/util/duration.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QSysInfo>

#include <algorithm>

namespace conclave::agent {

namespace {

const QStringList kBoolFlags = {QStringLiteral("dev"), QStringLiteral("server"), QStringLiteral("bootstrap"),
                                QStringLiteral("enable-script-checks")};
const QStringList kValueFlags = {
    QStringLiteral("data-dir"),    QStringLiteral("node"),        QStringLiteral("datacenter"),
    QStringLiteral("bind"),        QStringLiteral("advertise"),   QStringLiteral("client"),
    QStringLiteral("http-port"),   QStringLiteral("dns-port"),    QStringLiteral("server-port"),
    QStringLiteral("serf-lan-port"), QStringLiteral("serf-wan-port"), QStringLiteral("pid-file"),
    QStringLiteral("log-level"),   QStringLiteral("bootstrap-expect"), QStringLiteral("retry-join"),
    QStringLiteral("node-meta"),   QStringLiteral("config-file"), QStringLiteral("config-dir"),
    QStringLiteral("domain"),      QStringLiteral("alt-domain"),  QStringLiteral("recursor"),
};

bool parsePort(const QString &text, const QString &what, int *out, QString *error)
{
    bool ok = false;
    const int v = text.toInt(&ok);
    if (!ok || v < -1 || v > 65535) {
        *error = QStringLiteral("invalid %1 '%2': expected a port number from 0 to 65535 (0 picks a free port, -1 disables)")
                     .arg(what, text);
        return false;
    }
    *out = v;
    return true;
}

bool jsonPort(const QJsonValue &v, const QString &key, int *out, QString *error)
{
    if (!v.isDouble()) {
        *error = QStringLiteral("ports.%1 must be a number").arg(key);
        return false;
    }
    return parsePort(QString::number(v.toInt()), QStringLiteral("ports.") + key, out, error);
}

bool jsonString(const QJsonValue &v, const QString &key, QString *out, QString *error)
{
    if (!v.isString()) {
        *error = QStringLiteral("%1 must be a string").arg(key);
        return false;
    }
    *out = v.toString();
    return true;
}

bool jsonBool(const QJsonValue &v, const QString &key, bool *out, QString *error)
{
    if (!v.isBool()) {
        *error = QStringLiteral("%1 must be true or false").arg(key);
        return false;
    }
    *out = v.toBool();
    return true;
}

bool jsonDurationMs(const QJsonValue &v, const QString &key, qint64 *out, QString *error)
{
    const auto ns = util::durationFromJson(v);
    if (!ns || *ns < 0) {
        *error = QStringLiteral("%1 must be a duration such as \"30s\"").arg(key);
        return false;
    }
    *out = *ns / 1000000;
    return true;
}

bool jsonInt(const QJsonValue &v, const QString &key, qint64 min, qint64 *out, QString *error)
{
    if (!v.isDouble() || v.toDouble() != double(qint64(v.toDouble())) || qint64(v.toDouble()) < min) {
        *error = QStringLiteral("%1 must be a whole number of at least %2").arg(key).arg(min);
        return false;
    }
    *out = qint64(v.toDouble());
    return true;
}

bool validDatacenter(const QString &dc)
{
    if (dc.isEmpty())
        return false;
    for (QChar c : dc)
        if (!(c.isLower() || c.isDigit() || c == QLatin1Char('-') || c == QLatin1Char('_')) || c.unicode() > 127)
            return false;
    return true;
}

// Consul's dns_config block (reference consul-dns.md §13); keys we do not serve yet are errors.
bool applyDnsConfig(AgentConfig &cfg, const QJsonValue &v, QString *error)
{
    if (!v.isObject()) {
        *error = QStringLiteral("dns_config must be an object");
        return false;
    }
    const QJsonObject o = v.toObject();
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString k = it.key();
        const QString full = QStringLiteral("dns_config.") + k;
        qint64 n = 0;
        if (k == QLatin1String("node_ttl")) {
            if (!jsonDurationMs(it.value(), full, &cfg.dnsNodeTtlMs, error))
                return false;
        } else if (k == QLatin1String("service_ttl")) {
            if (!it.value().isObject()) {
                *error = QStringLiteral("%1 must be an object of durations").arg(full);
                return false;
            }
            const QJsonObject m = it.value().toObject();
            for (auto mit = m.begin(); mit != m.end(); ++mit) {
                qint64 ms = 0;
                if (!jsonDurationMs(mit.value(), full + QLatin1Char('.') + mit.key(), &ms, error))
                    return false;
                cfg.dnsServiceTtlMs.insert(mit.key(), ms);
            }
        } else if (k == QLatin1String("udp_answer_limit")) {
            if (!jsonInt(it.value(), full, 1, &n, error))
                return false;
            cfg.dnsUdpAnswerLimit = int(std::min<qint64>(n, 1 << 20));
        } else if (k == QLatin1String("only_passing")) {
            if (!jsonBool(it.value(), full, &cfg.dnsOnlyPassing, error))
                return false;
        } else if (k == QLatin1String("allow_stale")) {
            if (!jsonBool(it.value(), full, &cfg.dnsAllowStale, error))
                return false;
        } else if (k == QLatin1String("enable_truncate")) {
            if (!jsonBool(it.value(), full, &cfg.dnsEnableTruncate, error))
                return false;
        } else {
            *error = QStringLiteral("unknown key %1").arg(full);
            return false;
        }
    }
    return true;
}

}  // namespace

bool applyJsonConfig(AgentConfig &cfg, const QJsonObject &obj, const QString &source, QString *error)
{
    QString err;
    auto fail = [&](const QString &text) {
        *error = QStringLiteral("%1: %2").arg(source, text);
        return false;
    };
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        const QString key = it.key();
        const QJsonValue v = it.value();
        qint64 n = 0;
        if (key == QLatin1String("datacenter")) {
            if (!jsonString(v, key, &cfg.datacenter, &err))
                return fail(err);
        } else if (key == QLatin1String("data_dir")) {
            if (!jsonString(v, key, &cfg.dataDir, &err))
                return fail(err);
        } else if (key == QLatin1String("node_name")) {
            if (!jsonString(v, key, &cfg.nodeName, &err))
                return fail(err);
        } else if (key == QLatin1String("server")) {
            if (!jsonBool(v, key, &cfg.server, &err))
                return fail(err);
        } else if (key == QLatin1String("bootstrap")) {
            if (!jsonBool(v, key, &cfg.bootstrap, &err))
                return fail(err);
        } else if (key == QLatin1String("bootstrap_expect")) {
            if (!jsonInt(v, key, 0, &n, &err))
                return fail(err);
            cfg.bootstrapExpect = int(n);
        } else if (key == QLatin1String("bind_addr")) {
            if (!jsonString(v, key, &cfg.bindAddr, &err))
                return fail(err);
        } else if (key == QLatin1String("advertise_addr")) {
            if (!jsonString(v, key, &cfg.advertiseAddr, &err))
                return fail(err);
        } else if (key == QLatin1String("client_addr")) {
            if (!jsonString(v, key, &cfg.clientAddr, &err))
                return fail(err);
        } else if (key == QLatin1String("pid_file")) {
            if (!jsonString(v, key, &cfg.pidFile, &err))
                return fail(err);
        } else if (key == QLatin1String("log_level")) {
            if (!jsonString(v, key, &cfg.logLevel, &err))
                return fail(err);
        } else if (key == QLatin1String("enable_script_checks")) {
            if (!jsonBool(v, key, &cfg.enableScriptChecks, &err))
                return fail(err);
        } else if (key == QLatin1String("check_update_interval")) {
            if (!jsonDurationMs(v, key, &cfg.checkUpdateIntervalMs, &err))
                return fail(err);
        } else if (key == QLatin1String("check_output_max_size")) {
            if (!jsonInt(v, key, 1, &cfg.checkOutputMaxSize, &err))
                return fail(err);
        } else if (key == QLatin1String("ports")) {
            if (!v.isObject())
                return fail(QStringLiteral("ports must be an object"));
            const QJsonObject p = v.toObject();
            for (auto pit = p.begin(); pit != p.end(); ++pit) {
                const QString pk = pit.key();
                int *target = pk == QLatin1String("http")       ? &cfg.httpPort
                              : pk == QLatin1String("dns")      ? &cfg.dnsPort
                              : pk == QLatin1String("server")   ? &cfg.serverPort
                              : pk == QLatin1String("serf_lan") ? &cfg.serfLanPort
                              : pk == QLatin1String("serf_wan") ? &cfg.serfWanPort
                                                                : nullptr;
                if (!target)
                    return fail(QStringLiteral("unknown key ports.%1").arg(pk));
                if (!jsonPort(pit.value(), pk, target, &err))
                    return fail(err);
            }
        } else if (key == QLatin1String("node_meta")) {
            if (!v.isObject())
                return fail(QStringLiteral("node_meta must be an object of strings"));
            const QJsonObject m = v.toObject();
            for (auto mit = m.begin(); mit != m.end(); ++mit) {
                if (!mit.value().isString())
                    return fail(QStringLiteral("node_meta.%1 must be a string").arg(mit.key()));
                cfg.nodeMeta.insert(mit.key(), mit.value().toString());
            }
        } else if (key == QLatin1String("retry_join")) {
            if (!v.isArray())
                return fail(QStringLiteral("retry_join must be an array of addresses"));
            for (const QJsonValue &a : v.toArray()) {
                if (!a.isString())
                    return fail(QStringLiteral("retry_join entries must be strings"));
                cfg.retryJoin.append(a.toString());
            }
        } else if (key == QLatin1String("limits")) {
            if (!v.isObject())
                return fail(QStringLiteral("limits must be an object"));
            const QJsonObject l = v.toObject();
            for (auto lit = l.begin(); lit != l.end(); ++lit) {
                if (lit.key() != QLatin1String("kv_max_value_size"))
                    return fail(QStringLiteral("unknown key limits.%1").arg(lit.key()));
                if (!jsonInt(lit.value(), QStringLiteral("limits.kv_max_value_size"), 1, &cfg.kvMaxValueSize, &err))
                    return fail(err);
            }
        } else if (key == QLatin1String("default_query_time")) {
            if (!jsonDurationMs(v, key, &cfg.defaultQueryTimeMs, &err))
                return fail(err);
        } else if (key == QLatin1String("max_query_time")) {
            if (!jsonDurationMs(v, key, &cfg.maxQueryTimeMs, &err))
                return fail(err);
        } else if (key == QLatin1String("raft_snapshot_threshold")) {
            if (!jsonInt(v, key, 1, &n, &err))
                return fail(err);
            cfg.raftSnapshotThreshold = int(n);
        } else if (key == QLatin1String("raft_snapshot_interval")) {
            if (!jsonDurationMs(v, key, &cfg.raftSnapshotIntervalMs, &err))
                return fail(err);
        } else if (key == QLatin1String("raft_trailing_logs")) {
            if (!jsonInt(v, key, 0, &n, &err))
                return fail(err);
            cfg.raftTrailingLogs = int(n);
        } else if (key == QLatin1String("domain")) {
            if (!jsonString(v, key, &cfg.domain, &err))
                return fail(err);
        } else if (key == QLatin1String("alt_domain")) {
            if (!jsonString(v, key, &cfg.altDomain, &err))
                return fail(err);
        } else if (key == QLatin1String("recursors")) {
            if (!v.isArray())
                return fail(QStringLiteral("recursors must be an array of addresses"));
            for (const QJsonValue &a : v.toArray()) {
                if (!a.isString())
                    return fail(QStringLiteral("recursors entries must be strings"));
                cfg.recursors.append(a.toString());
            }
        } else if (key == QLatin1String("dns_config")) {
            if (!applyDnsConfig(cfg, v, &err))
                return fail(err);
        } else {
            return fail(QStringLiteral("unknown configuration key '%1'").arg(key));
        }
    }
    return true;
}

std::optional<ParsedFlags> parseAgentFlags(const QStringList &args, QString *error)
{
    ParsedFlags out;
    for (int i = 0; i < args.size(); ++i) {
        QString a = args[i];
        if (a == QLatin1String("-h") || a == QLatin1String("-help") || a == QLatin1String("--help")) {
            out.help = true;
            continue;
        }
        if (!a.startsWith(QLatin1Char('-')) || a == QLatin1String("-") || a == QLatin1String("--")) {
            *error = QStringLiteral("unexpected argument '%1'").arg(a);
            return std::nullopt;
        }
        a = a.mid(a.startsWith(QLatin1String("--")) ? 2 : 1);
        QString name = a, value;
        bool hasValue = false;
        const int eq = a.indexOf(QLatin1Char('='));
        if (eq >= 0) {
            name = a.left(eq);
            value = a.mid(eq + 1);
            hasValue = true;
        }
        if (kBoolFlags.contains(name)) {
            if (hasValue && value != QLatin1String("true") && value != QLatin1String("false")) {
                *error = QStringLiteral("invalid value '%1' for flag -%2: expected true or false").arg(value, name);
                return std::nullopt;
            }
            if (!hasValue || value == QLatin1String("true"))
                out.overrides.append({name, QString()});
            continue;
        }
        if (!kValueFlags.contains(name)) {
            *error = QStringLiteral("flag provided but not defined: -%1").arg(name);
            return std::nullopt;
        }
        if (!hasValue) {
            if (i + 1 >= args.size()) {
                *error = QStringLiteral("flag needs an argument: -%1").arg(name);
                return std::nullopt;
            }
            value = args[++i];
        }
        if (name == QLatin1String("config-file"))
            out.configFiles.append(value);
        else if (name == QLatin1String("config-dir"))
            out.configDirs.append(value);
        else
            out.overrides.append({name, value});
    }
    return out;
}

bool applyFlags(AgentConfig &cfg, const ParsedFlags &flags, QString *error)
{
    for (const auto &[name, value] : flags.overrides) {
        if (name == QLatin1String("dev"))
            cfg.dev = true;
        else if (name == QLatin1String("server"))
            cfg.server = true;
        else if (name == QLatin1String("bootstrap"))
            cfg.bootstrap = true;
        else if (name == QLatin1String("enable-script-checks"))
            cfg.enableScriptChecks = true;
        else if (name == QLatin1String("data-dir"))
            cfg.dataDir = value;
        else if (name == QLatin1String("node"))
            cfg.nodeName = value;
        else if (name == QLatin1String("datacenter"))
            cfg.datacenter = value;
        else if (name == QLatin1String("bind"))
            cfg.bindAddr = value;
        else if (name == QLatin1String("advertise"))
            cfg.advertiseAddr = value;
        else if (name == QLatin1String("client"))
            cfg.clientAddr = value;
        else if (name == QLatin1String("pid-file"))
            cfg.pidFile = value;
        else if (name == QLatin1String("log-level"))
            cfg.logLevel = value;
        else if (name == QLatin1String("retry-join"))
            cfg.retryJoin.append(value);
        else if (name == QLatin1String("domain"))
            cfg.domain = value;
        else if (name == QLatin1String("alt-domain"))
            cfg.altDomain = value;
        else if (name == QLatin1String("recursor"))
            cfg.recursors.append(value);
        else if (name == QLatin1String("node-meta")) {
            const int colon = value.indexOf(QLatin1Char(':'));
            if (colon <= 0) {
                *error = QStringLiteral("invalid -node-meta '%1': expected key:value").arg(value);
                return false;
            }
            cfg.nodeMeta.insert(value.left(colon), value.mid(colon + 1));
        } else if (name == QLatin1String("bootstrap-expect")) {
            bool ok = false;
            cfg.bootstrapExpect = value.toInt(&ok);
            if (!ok || cfg.bootstrapExpect < 0) {
                *error = QStringLiteral("invalid -bootstrap-expect '%1': expected a whole number").arg(value);
                return false;
            }
        } else {
            int *port = name == QLatin1String("http-port")       ? &cfg.httpPort
                        : name == QLatin1String("dns-port")      ? &cfg.dnsPort
                        : name == QLatin1String("server-port")   ? &cfg.serverPort
                        : name == QLatin1String("serf-lan-port") ? &cfg.serfLanPort
                        : name == QLatin1String("serf-wan-port") ? &cfg.serfWanPort
                                                                 : nullptr;
            if (!port || !parsePort(value, QStringLiteral("-") + name, port, error))
                return false;
        }
    }
    return true;
}

bool finalizeConfig(AgentConfig &cfg, QString *error)
{
    if (cfg.dev) {
        cfg.server = true;
        cfg.bootstrap = true;
    }
    if (cfg.bootstrap && cfg.bootstrapExpect > 1) {
        *error = QStringLiteral("'bootstrap' and 'bootstrap_expect' are mutually exclusive");
        return false;
    }
    if (cfg.bootstrapExpect > 0 && !cfg.server) {
        *error = QStringLiteral("'bootstrap_expect' requires server mode (-server)");
        return false;
    }
    if (!cfg.server) {
        *error = QStringLiteral("client mode (an agent without -server) arrives with gossip; run with -dev or -server -bootstrap");
        return false;
    }
    if (cfg.bootstrapExpect == 1)
        cfg.bootstrap = true;  // as Consul: a cluster of one bootstraps itself
    // A server with neither flag joins an existing cluster (through retry_join or a server that
    // dials it) and never bootstraps one.
    if (!validDatacenter(cfg.datacenter)) {
        *error = QStringLiteral("datacenter '%1' is invalid: use lower-case letters, digits, '-' and '_'").arg(cfg.datacenter);
        return false;
    }
    if (!cfg.dev && cfg.dataDir.isEmpty()) {
        *error = QStringLiteral("data_dir cannot be empty: pass -data-dir or set data_dir in a config file");
        return false;
    }
    const QString level = cfg.logLevel.toUpper();
    static const QStringList levels = {QStringLiteral("TRACE"), QStringLiteral("DEBUG"), QStringLiteral("INFO"),
                                       QStringLiteral("WARN"), QStringLiteral("ERR"), QStringLiteral("ERROR")};
    if (!levels.contains(level)) {
        *error = QStringLiteral("invalid log level '%1': use trace, debug, info, warn or err").arg(cfg.logLevel);
        return false;
    }
    cfg.logLevel = level;
    for (const QString &addr : {cfg.bindAddr, cfg.clientAddr}) {
        if (QHostAddress(addr).isNull()) {
            *error = QStringLiteral("'%1' is not an IP address (bind and client addresses must be IPs)").arg(addr);
            return false;
        }
    }
    if (cfg.advertiseAddr.isEmpty())
        cfg.advertiseAddr = QHostAddress(cfg.bindAddr) == QHostAddress::AnyIPv4 ? QStringLiteral("127.0.0.1") : cfg.bindAddr;
    if (cfg.nodeName.isEmpty())
        cfg.nodeName = QSysInfo::machineHostName();
    if (cfg.nodeName.isEmpty())
        cfg.nodeName = QStringLiteral("conclave");
    if (cfg.maxQueryTimeMs <= 0)
        cfg.maxQueryTimeMs = 600000;
    if (cfg.defaultQueryTimeMs <= 0)
        cfg.defaultQueryTimeMs = 300000;
    return true;
}

QString agentUsage()
{
    return QStringLiteral(
        "Usage: conclave agent [options]\n\n"
        "  Starts a Conclave agent. -dev runs a single self-bootstrapping server on 127.0.0.1.\n\n"
        "Options:\n"
        "  -dev                     Development mode: server, bootstrap, 127.0.0.1, a temporary data dir\n"
        "  -server                  Run in server mode\n"
        "  -bootstrap               Let this server elect itself (single-server cluster)\n"
        "  -bootstrap-expect=<n>    Servers to wait for before bootstrapping (1 = -bootstrap)\n"
        "  -data-dir=<path>         Where state is kept (required unless -dev)\n"
        "  -node=<name>             Node name (default: host name)\n"
        "  -datacenter=<dc>         Datacenter (default: dc1)\n"
        "  -bind=<ip>               Address for cluster traffic (default 0.0.0.0; -dev 127.0.0.1)\n"
        "  -advertise=<ip>          Address advertised to other nodes\n"
        "  -client=<ip>             Address of the HTTP and DNS interfaces (default 127.0.0.1)\n"
        "  -http-port=<port>        HTTP API port (default 8500; 0 = any free port)\n"
        "  -dns-port=<port>         DNS port (default 8600)\n"
        "  -server-port=<port>      Server RPC/Raft port (default 8300)\n"
        "  -retry-join=<host:port>  Another server's server port to find the cluster through\n"
        "                           (repeatable; port 8300 when left out)\n"
        "  -node-meta=<key:value>   Node metadata (repeatable)\n"
        "  -config-file=<path>      JSON config file (repeatable; Consul's key names)\n"
        "  -config-dir=<path>       Directory of *.json config files (repeatable)\n"
        "  -pid-file=<path>         Write the agent's PID here\n"
        "  -log-level=<level>       trace, debug, info, warn or err (default info)\n"
        "  -enable-script-checks    Allow script checks registered through the API\n"
        "  -domain=<domain>         DNS domain (default consul.)\n"
        "  -alt-domain=<domain>     Alternate DNS domain answered like the primary one\n"
        "  -recursor=<ip[:port]>    Upstream DNS server for names outside the domain (repeatable)\n");
}

}  // namespace conclave::agent
