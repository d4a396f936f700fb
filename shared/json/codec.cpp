#include "shared/json/codec.h"

#include "shared/json/keys.h"
#include "shared/util/duration.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QVariant>

#include <algorithm>
#include <cmath>
#include <limits>
#include <initializer_list>

namespace conclave::json {

namespace {

// ---- output helpers ---------------------------------------------------------------------------

// Raft indexes and flags are uint64 in Consul. QJsonValue keeps integers as qint64, so a value above
// INT64_MAX travels as a marked string of its digits that writeString() prints as a bare number
// (a client's Flags of 2^64-1 must come back as 18446744073709551615, never as -1). The marker starts
// with two lone low surrogates, which no decoded UTF-8 text (a key, a value, a JSON body) contains.
const QString kUintMarker = QString(2, QChar(0xDC00)) + QStringLiteral("u64:");
QJsonValue uintValue(quint64 v)
{
    if (v <= quint64(std::numeric_limits<qint64>::max()))
        return QJsonValue(qint64(v));
    return QJsonValue(kUintMarker + QString::number(v));
}

QJsonArray stringArray(const QStringList &list)
{
    QJsonArray out;
    for (const QString &s : list)
        out.append(s);
    return out;
}

QJsonObject stringMap(const QMap<QString, QString> &map)
{
    QJsonObject out;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        out.insert(it.key(), it.value());
    return out;
}

QJsonObject serviceAddresses(const QMap<QString, model::ServiceAddress> &map)
{
    QJsonObject out;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        out.insert(it.key(), QJsonObject{{key::Address, it->address}, {key::Port, it->port}});
    return out;
}

QJsonObject weightsToJson(const model::Weights &w)
{
    return QJsonObject{{key::Passing, w.passing}, {key::Warning, w.warning}};
}

// structs.ConnectProxyConfig of a plain service: Mode "", MeshGateway {}, Expose {}.
QJsonObject emptyProxy()
{
    return QJsonObject{{key::Mode, QString()},
                       {key::MeshGateway, QJsonObject()},
                       {key::Expose, QJsonObject()}};
}

void insertIndexes(QJsonObject &o, const model::RaftIndex &index)
{
    o.insert(key::CreateIndex, uintValue(index.createIndex));
    o.insert(key::ModifyIndex, uintValue(index.modifyIndex));
}

// A duration for HealthCheck.Interval/Timeout: Go string, "" when unset.
QString durationText(qint64 ns) { return ns == 0 ? QString() : util::formatDuration(ns); }

QJsonObject headerToJson(const QMap<QString, QStringList> &header)
{
    QJsonObject out;
    for (auto it = header.cbegin(); it != header.cend(); ++it)
        out.insert(it.key(), stringArray(it.value()));
    return out;
}

// structs.HealthCheckDefinition: every field omitempty.
QJsonObject definitionToJson(const model::CheckDefinition &d)
{
    QJsonObject o;
    auto putString = [&o](QLatin1String k, const QString &v) {
        if (!v.isEmpty())
            o.insert(k, v);
    };
    auto putDuration = [&o](QLatin1String k, qint64 v) {
        if (v != 0)
            o.insert(k, util::formatDuration(v));
    };
    putString(key::HTTP, d.http);
    putString(key::TLSServerName, d.tlsServerName);
    if (d.tlsSkipVerify)
        o.insert(key::TLSSkipVerify, true);
    if (!d.header.isEmpty())
        o.insert(key::Header, headerToJson(d.header));
    putString(key::Method, d.method);
    putString(key::Body, d.body);
    if (d.disableRedirects)
        o.insert(key::DisableRedirects, true);
    putString(key::TCP, d.tcp);
    putDuration(key::Interval, d.interval);
    if (d.outputMaxSize != 0)
        o.insert(key::OutputMaxSize, d.outputMaxSize);
    putDuration(key::Timeout, d.timeout);
    putDuration(key::DeregisterCriticalServiceAfter, d.deregisterCriticalServiceAfter);
    if (!d.scriptArgs.isEmpty())
        o.insert(key::ScriptArgs, stringArray(d.scriptArgs));
    putDuration(key::TTL, d.ttl);
    return o;
}

// ---- encoder (Go encoding/json byte format) ---------------------------------------------------

void writeString(QByteArray &out, const QString &s)
{
    static const char hex[] = "0123456789abcdef";
    if (s.startsWith(kUintMarker)) {
        const QStringView digits = QStringView(s).mid(kUintMarker.size());
        if (!digits.isEmpty() && std::all_of(digits.begin(), digits.end(), [](QChar c) { return c.isDigit() && c.unicode() < 128; })) {
            out += digits.toLatin1();
            return;
        }
    }
    out += '"';
    for (const QChar c : s) {
        const char16_t u = c.unicode();
        switch (u) {
        case u'"': out += "\\\""; continue;
        case u'\\': out += "\\\\"; continue;
        case u'\n': out += "\\n"; continue;
        case u'\r': out += "\\r"; continue;
        case u'\t': out += "\\t"; continue;
        default: break;
        }
        // Go escapes control characters, the HTML-sensitive <, >, & and the JS line separators.
        if (u < 0x20 || u == u'<' || u == u'>' || u == u'&' || u == 0x2028 || u == 0x2029) {
            out += "\\u";
            out += hex[(u >> 12) & 0xf];
            out += hex[(u >> 8) & 0xf];
            out += hex[(u >> 4) & 0xf];
            out += hex[u & 0xf];
        } else {
            out += QString(c).toUtf8();
        }
    }
    out += '"';
}

void writeNumber(QByteArray &out, const QJsonValue &v)
{
    const QVariant var = v.toVariant();
    if (var.typeId() == QMetaType::LongLong || var.typeId() == QMetaType::Int) {
        out += QByteArray::number(var.toLongLong());
        return;
    }
    const double d = v.toDouble();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e21)
        out += QByteArray::number(d, 'f', 0);
    else if (std::isfinite(d))
        out += QByteArray::number(d, 'g', QLocale::FloatingPointShortest);
    else
        out += "null";  // JSON has no NaN/Inf; Go would refuse to encode them
}

void writeValue(QByteArray &out, const QJsonValue &v, bool pretty, int depth);

void newline(QByteArray &out, int depth)
{
    out += '\n';
    out += QByteArray(depth * 4, ' ');
}

void writeValue(QByteArray &out, const QJsonValue &v, bool pretty, int depth)
{
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined: out += "null"; break;
    case QJsonValue::Bool: out += v.toBool() ? "true" : "false"; break;
    case QJsonValue::Double: writeNumber(out, v); break;
    case QJsonValue::String: writeString(out, v.toString()); break;
    case QJsonValue::Array: {
        const QJsonArray a = v.toArray();
        if (a.isEmpty()) {
            out += "[]";
            break;
        }
        out += '[';
        for (qsizetype i = 0; i < a.size(); ++i) {
            if (i > 0)
                out += ',';
            if (pretty)
                newline(out, depth + 1);
            writeValue(out, a.at(i), pretty, depth + 1);
        }
        if (pretty)
            newline(out, depth);
        out += ']';
        break;
    }
    case QJsonValue::Object: {
        const QJsonObject o = v.toObject();
        if (o.isEmpty()) {
            out += "{}";
            break;
        }
        out += '{';
        bool first = true;
        for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
            if (!first)
                out += ',';
            first = false;
            if (pretty)
                newline(out, depth + 1);
            writeString(out, it.key());
            out += pretty ? ": " : ":";
            writeValue(out, it.value(), pretty, depth + 1);
        }
        if (pretty)
            newline(out, depth);
        out += '}';
        break;
    }
    }
}

// ---- input helpers ----------------------------------------------------------------------------

QString decodeFailed(const QString &why) { return QStringLiteral("Request decode failed: ") + why; }

QString jsonKind(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Bool: return QStringLiteral("bool");
    case QJsonValue::Double: return QStringLiteral("number");
    case QJsonValue::String: return QStringLiteral("string");
    case QJsonValue::Array: return QStringLiteral("array");
    case QJsonValue::Object: return QStringLiteral("object");
    default: return QStringLiteral("null");
    }
}

// Folds a key for lenient matching: Go matches field names case-insensitively, and Consul
// translates snake_case spellings, so "deregister_critical_service_after" finds the field too.
QString foldKey(const QString &k)
{
    QString out;
    out.reserve(k.size());
    for (const QChar c : k) {
        if (c != u'_')
            out += c.toLower();
    }
    return out;
}

// Typed field access over one JSON object, remembering the first error in Consul's words.
// `type` names the Go struct in error texts ("json: … Go struct field NodeService.Port …").
class Reader
{
public:
    Reader(const QJsonObject &object, QString type, QString *error)
        : m_object(object), m_type(std::move(type)), m_error(error)
    {
    }

    bool ok() const { return m_ok; }

    // An empty text marks this reader failed after a nested reader already set the error.
    void setError(const QString &text)
    {
        if (m_ok && m_error && !text.isEmpty())
            *m_error = text;
        m_ok = false;
    }

    // The value under `name` or one of its aliases: an exact spelling wins, then a folded match.
    // Null counts as absent, as Go leaves the zero value.
    QJsonValue find(QLatin1String name, std::initializer_list<QLatin1String> aliases = {}) const
    {
        auto lookup = [this](QLatin1String k) -> QJsonValue {
            const auto it = m_object.constFind(k);
            if (it != m_object.constEnd())
                return it.value();
            const QString folded = foldKey(QString(k));
            for (auto i = m_object.constBegin(); i != m_object.constEnd(); ++i) {
                if (foldKey(i.key()) == folded)
                    return i.value();
            }
            return QJsonValue(QJsonValue::Undefined);
        };
        QJsonValue v = lookup(name);
        for (auto it = aliases.begin(); v.isUndefined() && it != aliases.end(); ++it)
            v = lookup(*it);
        return v.isNull() ? QJsonValue(QJsonValue::Undefined) : v;
    }

    bool has(QLatin1String name, std::initializer_list<QLatin1String> aliases = {}) const
    {
        return !find(name, aliases).isUndefined();
    }

    void string(QLatin1String name, QString *out, std::initializer_list<QLatin1String> aliases = {})
    {
        const QJsonValue v = find(name, aliases);
        if (v.isUndefined())
            return;
        if (!v.isString())
            return typeError(name, v, QStringLiteral("string"));
        *out = v.toString();
    }

    void boolean(QLatin1String name, bool *out)
    {
        const QJsonValue v = find(name);
        if (v.isUndefined())
            return;
        if (!v.isBool())
            return typeError(name, v, QStringLiteral("bool"));
        *out = v.toBool();
    }

    template <typename Int>
    void integer(QLatin1String name, Int *out, const char *goType = "int")
    {
        const QJsonValue v = find(name);
        if (v.isUndefined())
            return;
        const double d = v.toDouble();
        // Out of the field's range is refused rather than wrapped (a Port of 99999999999 must not
        // become 1215752191).
        if (!v.isDouble() || d != std::floor(d) || d < double(std::numeric_limits<Int>::min()) ||
            d > double(std::numeric_limits<Int>::max()))
            return typeError(name, v, QString::fromLatin1(goType));
        *out = Int(v.toInteger(qint64(d)));
    }

    void duration(QLatin1String name, qint64 *out)
    {
        const QJsonValue v = find(name);
        if (v.isUndefined())
            return;
        QString why;
        const auto d = util::durationFromJson(v, &why);
        if (!d) {
            if (!v.isString())
                return typeError(name, v, QStringLiteral("time.Duration"));
            return setError(decodeFailed(why));
        }
        *out = *d;
    }

    void stringList(QLatin1String name, QStringList *out,
                    std::initializer_list<QLatin1String> aliases = {})
    {
        const QJsonValue v = find(name, aliases);
        if (v.isUndefined())
            return;
        if (!v.isArray())
            return typeError(name, v, QStringLiteral("[]string"));
        QStringList list;
        for (const QJsonValue &item : v.toArray()) {
            if (!item.isString())
                return typeError(name, item, QStringLiteral("string"));
            list.append(item.toString());
        }
        *out = list;
    }

    void stringMap(QLatin1String name, QMap<QString, QString> *out)
    {
        const QJsonValue v = find(name);
        if (v.isUndefined())
            return;
        if (!v.isObject())
            return typeError(name, v, QStringLiteral("map[string]string"));
        QMap<QString, QString> map;
        const QJsonObject o = v.toObject();
        for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
            if (!it.value().isString())
                return typeError(name, it.value(), QStringLiteral("string"));
            map.insert(it.key(), it.value().toString());
        }
        *out = map;
    }

    // An object-valued field; returns an empty object (and maybe an error) if absent or wrong.
    std::optional<QJsonObject> object(QLatin1String name, const QString &goType)
    {
        const QJsonValue v = find(name);
        if (v.isUndefined())
            return std::nullopt;
        if (!v.isObject()) {
            typeError(name, v, goType);
            return std::nullopt;
        }
        return v.toObject();
    }

    QString *errorSink() const { return m_error; }

    void typeError(QLatin1String name, const QJsonValue &v, const QString &goType)
    {
        setError(decodeFailed(QStringLiteral("json: cannot unmarshal ") + jsonKind(v)
                              + QStringLiteral(" into Go struct field ") + m_type + u'.'
                              + QString(name) + QStringLiteral(" of type ") + goType));
    }

private:
    QJsonObject m_object;
    QString m_type;
    QString *m_error;
    bool m_ok = true;
};

// Check-type fields shared by HealthCheckDefinition (catalog) and CheckType (agent).
void readDefinition(Reader &r, model::CheckDefinition *d)
{
    r.string(key::HTTP, &d->http);
    r.string(key::Method, &d->method);
    r.string(key::Body, &d->body);
    r.boolean(key::TLSSkipVerify, &d->tlsSkipVerify);
    r.string(key::TLSServerName, &d->tlsServerName);
    r.boolean(key::DisableRedirects, &d->disableRedirects);
    r.string(key::TCP, &d->tcp);
    r.stringList(key::ScriptArgs, &d->scriptArgs, {key::Args});
    r.duration(key::TTL, &d->ttl);
    r.duration(key::Interval, &d->interval);
    r.duration(key::Timeout, &d->timeout);
    r.duration(key::DeregisterCriticalServiceAfter, &d->deregisterCriticalServiceAfter);
    r.integer(key::OutputMaxSize, &d->outputMaxSize);
    r.integer(key::SuccessBeforePassing, &d->successBeforePassing);
    r.integer(key::FailuresBeforeWarning, &d->failuresBeforeWarning);
    r.integer(key::FailuresBeforeCritical, &d->failuresBeforeCritical);

    if (const auto header = r.object(key::Header, QStringLiteral("map[string][]string"))) {
        QMap<QString, QStringList> map;
        for (auto it = header->constBegin(); it != header->constEnd(); ++it) {
            if (!it.value().isArray())
                return r.typeError(key::Header, it.value(), QStringLiteral("[]string"));
            QStringList values;
            for (const QJsonValue &item : it.value().toArray()) {
                if (!item.isString())
                    return r.typeError(key::Header, item, QStringLiteral("string"));
                values.append(item.toString());
            }
            map.insert(it.key(), values);
        }
        d->header = map;
    }
}

// Service fields common to NodeService (catalog, name under "Service") and ServiceDefinition
// (agent, name under "Name").
void readService(Reader &r, model::Service *s, QLatin1String nameKey)
{
    r.string(key::Kind, &s->kind);
    r.string(key::ID, &s->id);
    r.string(nameKey, &s->service);
    r.stringList(key::Tags, &s->tags);
    r.string(key::Address, &s->address);
    r.stringMap(key::Meta, &s->meta);
    r.integer(key::Port, &s->port);
    r.string(key::SocketPath, &s->socketPath);
    r.boolean(key::EnableTagOverride, &s->enableTagOverride);
    if (const auto w = r.object(key::Weights, QStringLiteral("Weights"))) {
        Reader wr(*w, QStringLiteral("Weights"), r.errorSink());
        model::Weights weights{0, 0};  // Go zero values: a given Weights replaces the default
        wr.integer(key::Passing, &weights.passing);
        wr.integer(key::Warning, &weights.warning);
        if (!wr.ok())
            return r.setError(QString());
        s->weights = weights;
    }
    if (const auto tagged = r.object(key::TaggedAddresses,
                                     QStringLiteral("map[string]structs.ServiceAddress"))) {
        QMap<QString, model::ServiceAddress> map;
        for (auto it = tagged->constBegin(); it != tagged->constEnd(); ++it) {
            if (!it.value().isObject())
                return r.typeError(key::TaggedAddresses, it.value(),
                                   QStringLiteral("structs.ServiceAddress"));
            Reader ar(it.value().toObject(), QStringLiteral("ServiceAddress"), r.errorSink());
            model::ServiceAddress address;
            ar.string(key::Address, &address.address);
            ar.integer(key::Port, &address.port);
            if (!ar.ok())
                return r.setError(QString());
            map.insert(it.key(), address);
        }
        s->taggedAddresses = map;
    }
}

bool isValidStatus(const QString &s)
{
    return s == model::status::Passing || s == model::status::Warning
        || s == model::status::Critical;
}

QString invalidStatus(const QString &s)
{
    return QStringLiteral("Invalid check status: '") + s + u'\'';
}

// Consul's CheckType.Validate, for the kinds the model carries.
QString validateCheckType(const model::CheckDefinition &d)
{
    const bool intervalCheck = !d.scriptArgs.isEmpty() || !d.http.isEmpty() || !d.tcp.isEmpty();
    if (d.interval > 0 && d.ttl > 0)
        return QStringLiteral("Interval and TTL cannot both be specified");
    if (intervalCheck && d.interval <= 0)
        return QStringLiteral("Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or GRPC checks");
    if (!intervalCheck && d.ttl <= 0)
        return QStringLiteral("TTL must be > 0 for TTL checks");
    return QString();
}

constexpr qint64 kMinInterval = 1'000'000'000;  // checks.MinInterval: 1s

// An agent check body (AgentCheckRegistration, or AgentServiceCheck inside a service).
std::optional<AgentCheckRegistration> readAgentCheck(Reader &r)
{
    AgentCheckRegistration c;
    r.string(key::ID, &c.id, {key::CheckID});
    r.string(key::Name, &c.name);
    r.string(key::Notes, &c.notes);
    r.string(key::ServiceID, &c.serviceId);
    r.string(key::Status, &c.status);
    readDefinition(r, &c.definition);
    if (!r.ok())
        return std::nullopt;
    return c;
}

// Status and kind checks after defaults, then the 1s interval floor.
bool finishAgentCheck(AgentCheckRegistration &c, Reader &r)
{
    if (!c.status.isEmpty() && !isValidStatus(c.status)) {
        r.setError(invalidStatus(c.status));
        return false;
    }
    const QString invalid = validateCheckType(c.definition);
    if (!invalid.isEmpty()) {
        r.setError(QStringLiteral("Invalid check: ") + invalid);
        return false;
    }
    if (c.definition.interval > 0 && c.definition.interval < kMinInterval)
        c.definition.interval = kMinInterval;
    return true;
}

bool isUnspecifiedAddress(const QString &a)
{
    return a == u"0.0.0.0" || a == u"::" || a == u"[::]" || a == u"::0"
        || a == u"0:0:0:0:0:0:0:0";
}

// A catalog HealthCheck body (RegisterRequest.Check / Checks).
std::optional<model::Check> readCatalogCheck(const QJsonValue &v, Reader &parent)
{
    if (!v.isObject()) {
        parent.typeError(key::Check, v, QStringLiteral("structs.HealthCheck"));
        return std::nullopt;
    }
    Reader r(v.toObject(), QStringLiteral("HealthCheck"), parent.errorSink());
    model::Check c;
    c.status.clear();
    r.string(key::Node, &c.node);
    r.string(key::CheckID, &c.checkId, {key::ID});
    r.string(key::Name, &c.name);
    r.string(key::Status, &c.status);
    r.string(key::Notes, &c.notes);
    r.string(key::Output, &c.output);
    r.string(key::ServiceID, &c.serviceId);
    r.string(key::ServiceName, &c.serviceName);
    r.stringList(key::ServiceTags, &c.serviceTags);
    r.string(key::Type, &c.type);
    if (const auto def = r.object(key::Definition, QStringLiteral("structs.HealthCheckDefinition"))) {
        Reader dr(*def, QStringLiteral("HealthCheckDefinition"), r.errorSink());
        readDefinition(dr, &c.definition);
        if (!dr.ok())
            r.setError(QString());
    }
    // Newer clients also send Interval/Timeout at the top level of the check.
    r.duration(key::Interval, &c.definition.interval);
    r.duration(key::Timeout, &c.definition.timeout);
    if (!r.ok()) {
        parent.setError(QString());
        return std::nullopt;
    }
    if (c.status.isEmpty())
        c.status = model::status::Critical;
    else if (!isValidStatus(c.status)) {
        parent.setError(invalidStatus(c.status));
        return std::nullopt;
    }
    if (c.checkId.isEmpty())
        c.checkId = c.name;
    return c;
}

}  // namespace

// ---- output -----------------------------------------------------------------------------------

QJsonObject kvEntryToJson(const model::KvEntry &e)
{
    QJsonObject o{{key::LockIndex, uintValue(e.lockIndex)},
                  {key::Key, e.key},
                  {key::Flags, uintValue(e.flags)},
                  {key::Value, e.value.isEmpty() ? QJsonValue(QJsonValue::Null)
                                                 : QJsonValue(QString::fromLatin1(e.value.toBase64()))}};
    if (!e.session.isEmpty())
        o.insert(key::Session, e.session);
    insertIndexes(o, e.index);
    return o;
}

QJsonObject nodeToJson(const model::Node &n)
{
    QJsonObject o{{key::ID, n.id},
                  {key::Node, n.node},
                  {key::Address, n.address},
                  {key::Datacenter, n.datacenter},
                  {key::TaggedAddresses, stringMap(n.taggedAddresses)},
                  {key::Meta, stringMap(n.meta)}};
    insertIndexes(o, n.index);
    return o;
}

QJsonObject nodeServiceToJson(const model::Service &s)
{
    QJsonObject o{{key::ID, s.id},
                  {key::Service, s.service},
                  {key::Tags, stringArray(s.tags)},
                  {key::Address, s.address},
                  {key::Meta, stringMap(s.meta)},
                  {key::Weights, weightsToJson(s.weights)},
                  {key::EnableTagOverride, s.enableTagOverride},
                  {key::Proxy, emptyProxy()},
                  {key::Connect, QJsonObject()}};
    if (!s.kind.isEmpty())
        o.insert(key::Kind, s.kind);
    if (!s.taggedAddresses.isEmpty())
        o.insert(key::TaggedAddresses, serviceAddresses(s.taggedAddresses));
    if (s.port != 0)
        o.insert(key::Port, s.port);
    if (!s.socketPath.isEmpty())
        o.insert(key::SocketPath, s.socketPath);
    insertIndexes(o, s.index);
    return o;
}

QJsonObject agentServiceToJson(const model::Service &s, const QString &datacenter)
{
    QJsonObject o{{key::ID, s.id},
                  {key::Service, s.service},
                  {key::Tags, stringArray(s.tags)},
                  {key::Meta, stringMap(s.meta)},
                  {key::Port, s.port},
                  {key::Address, s.address},
                  {key::Weights, weightsToJson(s.weights)},
                  {key::EnableTagOverride, s.enableTagOverride},
                  {key::Datacenter, datacenter}};
    if (!s.kind.isEmpty())
        o.insert(key::Kind, s.kind);
    if (!s.socketPath.isEmpty())
        o.insert(key::SocketPath, s.socketPath);
    if (!s.taggedAddresses.isEmpty())
        o.insert(key::TaggedAddresses, serviceAddresses(s.taggedAddresses));
    return o;
}

QJsonObject serviceNodeToJson(const model::ServiceNode &row)
{
    const model::Node &n = row.node;
    const model::Service &s = row.service;
    QJsonObject o{{key::ID, n.id},
                  {key::Node, n.node},
                  {key::Address, n.address},
                  {key::Datacenter, n.datacenter},
                  {key::TaggedAddresses, stringMap(n.taggedAddresses)},
                  {key::NodeMeta, stringMap(n.meta)},
                  {key::ServiceKind, s.kind},
                  {key::ServiceID, s.id},
                  {key::ServiceName, s.service},
                  {key::ServiceTags, stringArray(s.tags)},
                  {key::ServiceAddress, s.address},
                  {key::ServiceWeights, weightsToJson(s.weights)},
                  {key::ServiceMeta, stringMap(s.meta)},
                  {key::ServicePort, s.port},
                  {key::ServiceSocketPath, s.socketPath},
                  {key::ServiceEnableTagOverride, s.enableTagOverride},
                  {key::ServiceProxy, emptyProxy()},
                  {key::ServiceConnect, QJsonObject()},
                  {key::ServiceLocality, QJsonValue(QJsonValue::Null)}};
    if (!s.taggedAddresses.isEmpty())
        o.insert(key::ServiceTaggedAddresses, serviceAddresses(s.taggedAddresses));
    insertIndexes(o, s.index);
    return o;
}

QJsonObject checkToJson(const model::Check &c)
{
    QJsonObject o{{key::Node, c.node},
                  {key::CheckID, c.checkId},
                  {key::Name, c.name},
                  {key::Status, c.status},
                  {key::Notes, c.notes},
                  {key::Output, c.output},
                  {key::ServiceID, c.serviceId},
                  {key::ServiceName, c.serviceName},
                  {key::ServiceTags, stringArray(c.serviceTags)},
                  {key::Type, c.type},
                  {key::Interval, durationText(c.definition.interval)},
                  {key::Timeout, durationText(c.definition.timeout)},
                  {key::ExposedPort, 0},
                  {key::Definition, definitionToJson(c.definition)}};
    insertIndexes(o, c.index);
    return o;
}

QJsonObject checkServiceNodeToJson(const model::CheckServiceNode &row)
{
    QJsonArray checks;
    for (const model::Check &c : row.checks)
        checks.append(checkToJson(c));
    return QJsonObject{{key::Node, nodeToJson(row.node)},
                       {key::Service, nodeServiceToJson(row.service)},
                       {key::Checks, checks}};
}

QJsonValue catalogNodeToJson(const std::optional<model::NodeServices> &node)
{
    if (!node)
        return QJsonValue(QJsonValue::Null);
    QJsonObject services;
    for (const model::Service &s : node->services)
        services.insert(s.id, nodeServiceToJson(s));
    return QJsonObject{{key::Node, nodeToJson(node->node)}, {key::Services, services}};
}

QJsonObject nodeServicesToJson(const model::NodeServices &node)
{
    QJsonArray services;
    for (const model::Service &s : node.services)
        services.append(nodeServiceToJson(s));
    return QJsonObject{{key::Node, nodeToJson(node.node)}, {key::Services, services}};
}

QJsonObject memberToJson(const model::Member &m)
{
    return QJsonObject{{key::Name, m.name},
                       {key::Addr, m.addr},
                       {key::Port, m.port},
                       {key::Tags, stringMap(m.tags)},
                       {key::Status, m.status},
                       {key::ProtocolMin, m.protocolMin},
                       {key::ProtocolMax, m.protocolMax},
                       {key::ProtocolCur, m.protocolCur},
                       {key::DelegateMin, m.delegateMin},
                       {key::DelegateMax, m.delegateMax},
                       {key::DelegateCur, m.delegateCur}};
}

QJsonArray kvExportToJson(const QList<model::KvEntry> &entries)
{
    QJsonArray out;
    for (const model::KvEntry &e : entries) {
        out.append(QJsonObject{{key::ExportKey, e.key},
                               {key::ExportFlags, uintValue(e.flags)},
                               {key::ExportValue, QString::fromLatin1(e.value.toBase64())}});
    }
    return out;
}

QByteArray encode(const QJsonValue &value, bool pretty)
{
    QByteArray out;
    writeValue(out, value, pretty, 0);
    if (pretty)
        out += '\n';
    return out;
}

// ---- input ------------------------------------------------------------------------------------

std::optional<QJsonValue> decodeBody(const QByteArray &body, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        if (error)
            *error = decodeFailed(parseError.errorString());
        return std::nullopt;
    }
    if (doc.isObject())
        return QJsonValue(doc.object());
    return QJsonValue(doc.array());
}

std::optional<model::RegisterRequest> registerRequestFromJson(const QJsonObject &object,
                                                             QString *error)
{
    Reader r(object, QStringLiteral("RegisterRequest"), error);
    model::RegisterRequest req;
    r.string(key::ID, &req.id);
    r.string(key::Node, &req.node);
    r.string(key::Address, &req.address);
    r.string(key::Datacenter, &req.datacenter);
    r.stringMap(key::TaggedAddresses, &req.taggedAddresses);
    r.stringMap(key::NodeMeta, &req.nodeMeta);
    r.boolean(key::SkipNodeUpdate, &req.skipNodeUpdate);
    if (const auto service = r.object(key::Service, QStringLiteral("structs.NodeService"))) {
        Reader sr(*service, QStringLiteral("NodeService"), error);
        readService(sr, &req.service, key::Service);
        if (!sr.ok())
            return std::nullopt;
        req.hasService = true;
        if (req.service.id.isEmpty())
            req.service.id = req.service.service;
    }
    const QJsonValue check = r.find(key::Check);
    if (!check.isUndefined()) {
        if (auto c = readCatalogCheck(check, r))
            req.checks.append(*c);
    }
    const QJsonValue checks = r.find(key::Checks);
    if (!checks.isUndefined()) {
        if (!checks.isArray()) {
            r.typeError(key::Checks, checks, QStringLiteral("structs.HealthChecks"));
        } else {
            for (const QJsonValue &item : checks.toArray()) {
                if (auto c = readCatalogCheck(item, r))
                    req.checks.append(*c);
            }
        }
    }
    if (!r.ok())
        return std::nullopt;
    if (req.node.isEmpty()) {
        r.setError(QStringLiteral("Must provide node"));
        return std::nullopt;
    }
    if (req.address.isEmpty() && !req.skipNodeUpdate) {
        r.setError(QStringLiteral("Must provide address if SkipNodeUpdate is not set"));
        return std::nullopt;
    }
    for (model::Check &c : req.checks) {
        if (c.node.isEmpty())
            c.node = req.node;
    }
    return req;
}

std::optional<model::DeregisterRequest> deregisterRequestFromJson(const QJsonObject &object,
                                                                 QString *error)
{
    Reader r(object, QStringLiteral("DeregisterRequest"), error);
    model::DeregisterRequest req;
    r.string(key::Node, &req.node);
    r.string(key::Datacenter, &req.datacenter);
    r.string(key::ServiceID, &req.serviceId);
    r.string(key::CheckID, &req.checkId);
    if (!r.ok())
        return std::nullopt;
    if (req.node.isEmpty()) {
        r.setError(QStringLiteral("Must provide node"));
        return std::nullopt;
    }
    return req;
}

std::optional<AgentServiceRegistration> agentServiceRegistrationFromJson(
    const QJsonObject &object, QString *error)
{
    Reader r(object, QStringLiteral("ServiceDefinition"), error);
    AgentServiceRegistration reg;
    model::Service &s = reg.service;
    readService(r, &s, key::Name);

    // Embedded checks: "Check" (skipped when empty, as Consul's CheckType.Empty) then "Checks".
    QList<AgentCheckRegistration> checks;
    if (const auto check = r.object(key::Check, QStringLiteral("structs.CheckType"))) {
        if (!check->isEmpty()) {
            Reader cr(*check, QStringLiteral("CheckType"), error);
            if (auto c = readAgentCheck(cr))
                checks.append(*c);
            else
                r.setError(QString());
        }
    }
    const QJsonValue list = r.find(key::Checks);
    if (!list.isUndefined()) {
        if (!list.isArray()) {
            r.typeError(key::Checks, list, QStringLiteral("structs.CheckTypes"));
        } else {
            for (const QJsonValue &item : list.toArray()) {
                if (!item.isObject()) {
                    r.typeError(key::Checks, item, QStringLiteral("structs.CheckType"));
                    break;
                }
                Reader cr(item.toObject(), QStringLiteral("CheckType"), error);
                auto c = readAgentCheck(cr);
                if (!c) {
                    r.setError(QString());
                    break;
                }
                checks.append(*c);
            }
        }
    }
    if (!r.ok())
        return std::nullopt;

    if (s.service.isEmpty()) {
        r.setError(QStringLiteral("Missing service name"));
        return std::nullopt;
    }
    if (s.id.isEmpty())
        s.id = s.service;
    if (s.weights.passing < 1) {
        r.setError(QStringLiteral("Invalid Weights: Passing must be greater than 0"));
        return std::nullopt;
    }
    if (s.weights.warning < 0) {
        r.setError(QStringLiteral("Invalid Weights: Warning must be greater or equal than 0"));
        return std::nullopt;
    }
    if (s.weights.passing > 65535 || s.weights.warning > 65535) {
        r.setError(QStringLiteral("Invalid Weights: DNS Weight must be between 0 and 65535"));
        return std::nullopt;
    }
    if (isUnspecifiedAddress(s.address)) {
        r.setError(QStringLiteral("Invalid service address"));
        return std::nullopt;
    }

    for (qsizetype i = 0; i < checks.size(); ++i) {
        AgentCheckRegistration &c = checks[i];
        if (!finishAgentCheck(c, r))
            return std::nullopt;
        if (c.id.isEmpty()) {
            c.id = QStringLiteral("service:") + s.id;
            if (checks.size() > 1)
                c.id += u':' + QString::number(i + 1);
        }
        if (c.name.isEmpty())
            c.name = QStringLiteral("Service '") + s.service + QStringLiteral("' check");
        c.serviceId = s.id;
    }
    reg.checks = checks;
    return reg;
}

std::optional<AgentCheckRegistration> agentCheckRegistrationFromJson(const QJsonObject &object,
                                                                     QString *error)
{
    Reader r(object, QStringLiteral("CheckDefinition"), error);
    auto c = readAgentCheck(r);
    if (!c)
        return std::nullopt;
    if (c->name.isEmpty()) {
        r.setError(QStringLiteral("Missing check name"));
        return std::nullopt;
    }
    if (!finishAgentCheck(*c, r))
        return std::nullopt;
    if (c->id.isEmpty())
        c->id = c->name;
    return c;
}

QString checkTypeOf(const model::CheckDefinition &d)
{
    if (!d.http.isEmpty())
        return QStringLiteral("http");
    if (d.ttl > 0)
        return QStringLiteral("ttl");
    if (!d.tcp.isEmpty())
        return QStringLiteral("tcp");
    if (!d.scriptArgs.isEmpty())
        return QStringLiteral("script");
    return QString();
}

std::optional<QList<model::KvEntry>> kvImportFromJson(const QJsonArray &array, QString *error)
{
    QList<model::KvEntry> out;
    for (qsizetype i = 0; i < array.size(); ++i) {
        auto fail = [&](const QString &why) {
            if (error)
                *error = QStringLiteral("Error decoding entry %1: ").arg(i) + why;
            return std::nullopt;
        };
        if (!array.at(i).isObject())
            return fail(QStringLiteral("not an object"));
        const QJsonObject o = array.at(i).toObject();
        model::KvEntry e;
        const QJsonValue k = o.value(key::ExportKey);
        if (!k.isString() || k.toString().isEmpty())
            return fail(QStringLiteral("missing key"));
        e.key = k.toString();
        const QJsonValue f = o.value(key::ExportFlags);
        if (!f.isUndefined() && !f.isNull()) {
            if (!f.isDouble() || f.toDouble() < 0 || f.toDouble() != std::floor(f.toDouble()))
                return fail(QStringLiteral("invalid flags"));
            // Above 2^63 the JSON number arrives as a double (exact only to 2^53).
            e.flags = f.toDouble() >= 9223372036854775807.0 ? quint64(f.toDouble()) : quint64(f.toInteger());
        }
        const QJsonValue v = o.value(key::ExportValue);
        if (!v.isUndefined() && !v.isNull()) {
            if (!v.isString())
                return fail(QStringLiteral("value is not a string"));
            const auto decoded = QByteArray::fromBase64Encoding(
                v.toString().toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
            if (!decoded)
                return fail(QStringLiteral("illegal base64 data"));
            e.value = *decoded;
        }
        out.append(e);
    }
    return out;
}

model::KvEntry kvEntryFromJson(const QJsonObject &o)
{
    model::KvEntry e;
    e.key = o.value(key::Key).toString();
    e.flags = quint64(o.value(key::Flags).toInteger());
    e.lockIndex = quint64(o.value(key::LockIndex).toInteger());
    e.session = o.value(key::Session).toString();
    e.value = QByteArray::fromBase64(o.value(key::Value).toString().toLatin1());
    e.index.createIndex = quint64(o.value(key::CreateIndex).toInteger());
    e.index.modifyIndex = quint64(o.value(key::ModifyIndex).toInteger());
    return e;
}

model::Node nodeFromJson(const QJsonObject &o)
{
    auto map = [](const QJsonValue &v) {
        QMap<QString, QString> out;
        const QJsonObject obj = v.toObject();
        for (auto it = obj.constBegin(); it != obj.constEnd(); ++it)
            out.insert(it.key(), it.value().toString());
        return out;
    };
    model::Node n;
    n.id = o.value(key::ID).toString();
    n.node = o.value(key::Node).toString();
    n.address = o.value(key::Address).toString();
    n.datacenter = o.value(key::Datacenter).toString();
    n.taggedAddresses = map(o.value(key::TaggedAddresses));
    n.meta = map(o.value(key::Meta));
    n.index.createIndex = quint64(o.value(key::CreateIndex).toInteger());
    n.index.modifyIndex = quint64(o.value(key::ModifyIndex).toInteger());
    return n;
}

model::Member memberFromJson(const QJsonObject &o)
{
    model::Member m;
    m.name = o.value(key::Name).toString();
    m.addr = o.value(key::Addr).toString();
    m.port = o.value(key::Port).toInt();
    const QJsonObject tags = o.value(key::Tags).toObject();
    for (auto it = tags.constBegin(); it != tags.constEnd(); ++it)
        m.tags.insert(it.key(), it.value().toString());
    m.status = o.value(key::Status).toInt(m.status);
    m.protocolMin = o.value(key::ProtocolMin).toInt(m.protocolMin);
    m.protocolMax = o.value(key::ProtocolMax).toInt(m.protocolMax);
    m.protocolCur = o.value(key::ProtocolCur).toInt(m.protocolCur);
    m.delegateMin = o.value(key::DelegateMin).toInt(m.delegateMin);
    m.delegateMax = o.value(key::DelegateMax).toInt(m.delegateMax);
    m.delegateCur = o.value(key::DelegateCur).toInt(m.delegateCur);
    return m;
}

}  // namespace conclave::json
