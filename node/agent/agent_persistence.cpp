#include "agent/agent_persistence.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QPointer>
#include <QSaveFile>
#include <QThreadPool>

Q_LOGGING_CATEGORY(lcPersist, "conclave.agent.persist")

namespace conclave::agent {

namespace {

const QString kServices = QStringLiteral("services");
const QString kChecks = QStringLiteral("checks");
const QString kCheckState = QStringLiteral("checks/state");

QJsonArray toArray(const QStringList &list)
{
    return QJsonArray::fromStringList(list);
}

QStringList fromArray(const QJsonValue &v)
{
    QStringList out;
    for (const QJsonValue &item : v.toArray())
        out.append(item.toString());
    return out;
}

QJsonObject toObject(const QMap<QString, QString> &map)
{
    QJsonObject o;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        o.insert(it.key(), it.value());
    return o;
}

QMap<QString, QString> fromObject(const QJsonValue &v)
{
    QMap<QString, QString> out;
    const QJsonObject o = v.toObject();
    for (auto it = o.constBegin(); it != o.constEnd(); ++it)
        out.insert(it.key(), it.value().toString());
    return out;
}

// Durations and other 64-bit values as strings: a double would lose nanoseconds past 2^53.
QJsonValue int64Value(qint64 v)
{
    return QString::number(v);
}

qint64 int64From(const QJsonValue &v)
{
    return v.toString().toLongLong();
}

QJsonObject definitionToJson(const model::CheckDefinition &d)
{
    QJsonObject header;
    for (auto it = d.header.cbegin(); it != d.header.cend(); ++it)
        header.insert(it.key(), toArray(it.value()));
    return QJsonObject{
        {QStringLiteral("HTTP"), d.http},
        {QStringLiteral("Method"), d.method},
        {QStringLiteral("Body"), d.body},
        {QStringLiteral("Header"), header},
        {QStringLiteral("TLSSkipVerify"), d.tlsSkipVerify},
        {QStringLiteral("TLSServerName"), d.tlsServerName},
        {QStringLiteral("DisableRedirects"), d.disableRedirects},
        {QStringLiteral("TCP"), d.tcp},
        {QStringLiteral("ScriptArgs"), toArray(d.scriptArgs)},
        {QStringLiteral("TTL"), int64Value(d.ttl)},
        {QStringLiteral("Interval"), int64Value(d.interval)},
        {QStringLiteral("Timeout"), int64Value(d.timeout)},
        {QStringLiteral("DeregisterCriticalServiceAfter"), int64Value(d.deregisterCriticalServiceAfter)},
        {QStringLiteral("OutputMaxSize"), d.outputMaxSize},
        {QStringLiteral("SuccessBeforePassing"), d.successBeforePassing},
        {QStringLiteral("FailuresBeforeWarning"), d.failuresBeforeWarning},
        {QStringLiteral("FailuresBeforeCritical"), d.failuresBeforeCritical},
    };
}

model::CheckDefinition definitionFromJson(const QJsonObject &o)
{
    model::CheckDefinition d;
    d.http = o.value(QStringLiteral("HTTP")).toString();
    d.method = o.value(QStringLiteral("Method")).toString();
    d.body = o.value(QStringLiteral("Body")).toString();
    const QJsonObject header = o.value(QStringLiteral("Header")).toObject();
    for (auto it = header.constBegin(); it != header.constEnd(); ++it)
        d.header.insert(it.key(), fromArray(it.value()));
    d.tlsSkipVerify = o.value(QStringLiteral("TLSSkipVerify")).toBool();
    d.tlsServerName = o.value(QStringLiteral("TLSServerName")).toString();
    d.disableRedirects = o.value(QStringLiteral("DisableRedirects")).toBool();
    d.tcp = o.value(QStringLiteral("TCP")).toString();
    d.scriptArgs = fromArray(o.value(QStringLiteral("ScriptArgs")));
    d.ttl = int64From(o.value(QStringLiteral("TTL")));
    d.interval = int64From(o.value(QStringLiteral("Interval")));
    d.timeout = int64From(o.value(QStringLiteral("Timeout")));
    d.deregisterCriticalServiceAfter = int64From(o.value(QStringLiteral("DeregisterCriticalServiceAfter")));
    d.outputMaxSize = o.value(QStringLiteral("OutputMaxSize")).toInt();
    d.successBeforePassing = o.value(QStringLiteral("SuccessBeforePassing")).toInt();
    d.failuresBeforeWarning = o.value(QStringLiteral("FailuresBeforeWarning")).toInt();
    d.failuresBeforeCritical = o.value(QStringLiteral("FailuresBeforeCritical")).toInt();
    return d;
}

std::optional<QJsonObject> parseObject(const QByteArray &bytes, const QString &key)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject() || !doc.object().value(key).isObject())
        return std::nullopt;
    return doc.object().value(key).toObject();
}

QByteArray readFile(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read '%1': %2").arg(path, f.errorString());
        return {};
    }
    return f.readAll();
}

}  // namespace

AgentPersistence::AgentPersistence(QString dataDir) : m_dir(std::move(dataDir))
{
    if (m_dir.isEmpty())
        return;
    m_pool = std::make_unique<QThreadPool>();
    m_pool->setMaxThreadCount(1);  // one writer: files are written in the order of the calls
    m_pool->setExpiryTimeout(-1);
}

AgentPersistence::~AgentPersistence()
{
    flush();
}

void AgentPersistence::flush()
{
    if (m_pool)
        m_pool->waitForDone();
}

QString AgentPersistence::pathFor(const QString &folder, const QString &id) const
{
    // Consul names the files by the MD5 of the ID, so any ID makes a valid file name.
    const QByteArray hash = QCryptographicHash::hash(id.toUtf8(), QCryptographicHash::Md5).toHex();
    return m_dir + u'/' + folder + u'/' + QString::fromLatin1(hash);
}

void AgentPersistence::writeFile(const QString &path, const QByteArray &bytes)
{
    if (!m_pool)
        return;
    m_pool->start([path, bytes]() {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QSaveFile out(path);
        if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.commit())
            qCWarning(lcPersist).noquote() << QStringLiteral("cannot write '%1': %2").arg(path, out.errorString());
    });
}

void AgentPersistence::whenWritten(QObject *context, std::function<void()> then)
{
    if (!m_pool) {
        then();
        return;
    }
    // One writer thread: this task runs after every write queued before it.
    m_pool->start([context = QPointer<QObject>(context), then = std::move(then)]() mutable {
        if (context)
            QMetaObject::invokeMethod(context.data(), std::move(then), Qt::QueuedConnection);
    });
}

void AgentPersistence::removeFiles(const QStringList &paths)
{
    if (!m_pool)
        return;
    m_pool->start([paths]() {
        for (const QString &p : paths)
            QFile::remove(p);
    });
}

QByteArray AgentPersistence::encodeService(const model::Service &s)
{
    QJsonObject tagged;
    for (auto it = s.taggedAddresses.cbegin(); it != s.taggedAddresses.cend(); ++it)
        tagged.insert(it.key(), QJsonObject{{QStringLiteral("Address"), it->address}, {QStringLiteral("Port"), it->port}});
    const QJsonObject o{
        {QStringLiteral("Kind"), s.kind},
        {QStringLiteral("ID"), s.id},
        {QStringLiteral("Service"), s.service},
        {QStringLiteral("Tags"), toArray(s.tags)},
        {QStringLiteral("Address"), s.address},
        {QStringLiteral("TaggedAddresses"), tagged},
        {QStringLiteral("Meta"), toObject(s.meta)},
        {QStringLiteral("Port"), s.port},
        {QStringLiteral("SocketPath"), s.socketPath},
        {QStringLiteral("Weights"),
         QJsonObject{{QStringLiteral("Passing"), s.weights.passing}, {QStringLiteral("Warning"), s.weights.warning}}},
        {QStringLiteral("EnableTagOverride"), s.enableTagOverride},
    };
    return QJsonDocument(QJsonObject{{QStringLiteral("Service"), o}}).toJson(QJsonDocument::Compact);
}

std::optional<model::Service> AgentPersistence::decodeService(const QByteArray &bytes)
{
    const auto o = parseObject(bytes, QStringLiteral("Service"));
    if (!o || o->value(QStringLiteral("ID")).toString().isEmpty())
        return std::nullopt;
    model::Service s;
    s.kind = o->value(QStringLiteral("Kind")).toString();
    s.id = o->value(QStringLiteral("ID")).toString();
    s.service = o->value(QStringLiteral("Service")).toString();
    s.tags = fromArray(o->value(QStringLiteral("Tags")));
    s.address = o->value(QStringLiteral("Address")).toString();
    const QJsonObject tagged = o->value(QStringLiteral("TaggedAddresses")).toObject();
    for (auto it = tagged.constBegin(); it != tagged.constEnd(); ++it) {
        const QJsonObject a = it.value().toObject();
        s.taggedAddresses.insert(it.key(), model::ServiceAddress{a.value(QStringLiteral("Address")).toString(),
                                                                  a.value(QStringLiteral("Port")).toInt()});
    }
    s.meta = fromObject(o->value(QStringLiteral("Meta")));
    s.port = o->value(QStringLiteral("Port")).toInt();
    s.socketPath = o->value(QStringLiteral("SocketPath")).toString();
    const QJsonObject w = o->value(QStringLiteral("Weights")).toObject();
    s.weights.passing = w.value(QStringLiteral("Passing")).toInt(1);
    s.weights.warning = w.value(QStringLiteral("Warning")).toInt(1);
    s.enableTagOverride = o->value(QStringLiteral("EnableTagOverride")).toBool();
    return s;
}

QByteArray AgentPersistence::encodeCheck(const model::Check &c)
{
    const QJsonObject o{
        {QStringLiteral("Node"), c.node},
        {QStringLiteral("CheckID"), c.checkId},
        {QStringLiteral("Name"), c.name},
        {QStringLiteral("Status"), c.status},
        {QStringLiteral("Notes"), c.notes},
        {QStringLiteral("Output"), c.output},
        {QStringLiteral("ServiceID"), c.serviceId},
        {QStringLiteral("ServiceName"), c.serviceName},
        {QStringLiteral("ServiceTags"), toArray(c.serviceTags)},
        {QStringLiteral("Type"), c.type},
        {QStringLiteral("Definition"), definitionToJson(c.definition)},
    };
    return QJsonDocument(QJsonObject{{QStringLiteral("Check"), o}}).toJson(QJsonDocument::Compact);
}

std::optional<model::Check> AgentPersistence::decodeCheck(const QByteArray &bytes)
{
    const auto o = parseObject(bytes, QStringLiteral("Check"));
    if (!o || o->value(QStringLiteral("CheckID")).toString().isEmpty())
        return std::nullopt;
    model::Check c;
    c.node = o->value(QStringLiteral("Node")).toString();
    c.checkId = o->value(QStringLiteral("CheckID")).toString();
    c.name = o->value(QStringLiteral("Name")).toString();
    c.status = o->value(QStringLiteral("Status")).toString();
    c.notes = o->value(QStringLiteral("Notes")).toString();
    c.output = o->value(QStringLiteral("Output")).toString();
    c.serviceId = o->value(QStringLiteral("ServiceID")).toString();
    c.serviceName = o->value(QStringLiteral("ServiceName")).toString();
    c.serviceTags = fromArray(o->value(QStringLiteral("ServiceTags")));
    c.type = o->value(QStringLiteral("Type")).toString();
    c.definition = definitionFromJson(o->value(QStringLiteral("Definition")).toObject());
    if (c.status != model::status::Passing && c.status != model::status::Warning)
        c.status = model::status::Critical;
    return c;
}

void AgentPersistence::saveService(const model::Service &service)
{
    writeFile(pathFor(kServices, service.id), encodeService(service));
}

void AgentPersistence::removeService(const QString &serviceId)
{
    removeFiles({pathFor(kServices, serviceId)});
}

void AgentPersistence::saveCheck(const model::Check &check)
{
    writeFile(pathFor(kChecks, check.checkId), encodeCheck(check));
}

void AgentPersistence::removeCheck(const QString &checkId)
{
    removeFiles({pathFor(kChecks, checkId), pathFor(kCheckState, checkId)});
}

void AgentPersistence::saveCheckState(const model::Check &check, qint64 ttlMs)
{
    // Wall-clock expiry: the state must still make sense after the process (and its monotonic
    // clock) is gone.
    const QJsonObject o{
        {QStringLiteral("CheckID"), check.checkId},
        {QStringLiteral("Status"), check.status},
        {QStringLiteral("Output"), check.output},
        {QStringLiteral("Expires"), int64Value(QDateTime::currentMSecsSinceEpoch() + ttlMs)},
    };
    writeFile(pathFor(kCheckState, check.checkId),
              QJsonDocument(QJsonObject{{QStringLiteral("State"), o}}).toJson(QJsonDocument::Compact));
}

AgentPersistence::Loaded AgentPersistence::load() const
{
    Loaded out;
    if (m_dir.isEmpty())
        return out;
    const QDir dir(m_dir);
    const QStringList serviceFiles = QDir(dir.filePath(kServices)).entryList(QDir::Files, QDir::Name);
    for (const QString &name : serviceFiles) {
        const QString path = dir.filePath(kServices + u'/' + name);
        QString error;
        const QByteArray bytes = readFile(path, &error);
        auto svc = error.isEmpty() ? decodeService(bytes) : std::nullopt;
        if (!svc) {
            out.warnings.append(error.isEmpty() ? QStringLiteral("'%1' is not a saved service; ignored").arg(path) : error);
            continue;
        }
        out.services.append(*svc);
    }
    const QStringList checkFiles = QDir(dir.filePath(kChecks)).entryList(QDir::Files, QDir::Name);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const QString &name : checkFiles) {
        const QString path = dir.filePath(kChecks + u'/' + name);
        QString error;
        const QByteArray bytes = readFile(path, &error);
        auto check = error.isEmpty() ? decodeCheck(bytes) : std::nullopt;
        if (!check) {
            out.warnings.append(error.isEmpty() ? QStringLiteral("'%1' is not a saved check; ignored").arg(path) : error);
            continue;
        }
        const QString statePath = pathFor(kCheckState, check->checkId);
        if (QFile::exists(statePath)) {
            QString ignored;
            const auto state = parseObject(readFile(statePath, &ignored), QStringLiteral("State"));
            if (state && int64From(state->value(QStringLiteral("Expires"))) > now) {
                const QString status = state->value(QStringLiteral("Status")).toString();
                if (status == model::status::Passing || status == model::status::Warning
                    || status == model::status::Critical) {
                    check->status = status;
                    check->output = state->value(QStringLiteral("Output")).toString();
                }
            }
        }
        out.checks.append(*check);
    }
    return out;
}

}  // namespace conclave::agent
