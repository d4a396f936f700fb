#include "core/state/cbor_model.h"

#include "core/state/command.h"

#include <QCborArray>
#include <QCborMap>
#include <limits>

namespace conclave::state::cbormodel {

namespace {

QCborValue textList(const QStringList &list)
{
    QCborArray a;
    for (const QString &s : list)
        a.append(s);
    return a;
}

QCborValue textMap(const QMap<QString, QString> &map)
{
    QCborMap m;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        m.insert(it.key(), it.value());
    return m;
}

QCborValue encode(const model::CheckDefinition &d)
{
    namespace k = cbor::definition;
    QCborMap header;
    for (auto it = d.header.cbegin(); it != d.header.cend(); ++it)
        header.insert(it.key(), textList(it.value()));
    QCborMap m;
    m.insert(k::Http, d.http);
    m.insert(k::Method, d.method);
    m.insert(k::Body, d.body);
    m.insert(k::Header, header);
    m.insert(k::TlsSkipVerify, d.tlsSkipVerify);
    m.insert(k::TlsServerName, d.tlsServerName);
    m.insert(k::DisableRedirects, d.disableRedirects);
    m.insert(k::Tcp, d.tcp);
    m.insert(k::ScriptArgs, textList(d.scriptArgs));
    m.insert(k::Ttl, d.ttl);
    m.insert(k::Interval, d.interval);
    m.insert(k::Timeout, d.timeout);
    m.insert(k::DeregisterCriticalServiceAfter, d.deregisterCriticalServiceAfter);
    m.insert(k::OutputMaxSize, d.outputMaxSize);
    m.insert(k::SuccessBeforePassing, d.successBeforePassing);
    m.insert(k::FailuresBeforeWarning, d.failuresBeforeWarning);
    m.insert(k::FailuresBeforeCritical, d.failuresBeforeCritical);
    return m;
}

bool decode(const QCborValue &in, model::CheckDefinition &d, QString *error)
{
    namespace k = cbor::definition;
    MapReader r(in, "check definition");
    r.text(k::Http, d.http);
    r.text(k::Method, d.method);
    r.text(k::Body, d.body);
    const QCborValue header = r.value(k::Header);
    if (r.ok() && !header.isUndefined()) {
        if (!header.isMap()) {
            r.fail(k::Header, QStringLiteral("expected a map"));
        } else {
            const QCborMap hm = header.toMap();
            for (auto it = hm.cbegin(); it != hm.cend() && r.ok(); ++it) {
                if (!it.key().isString() || !it.value().isArray()) {
                    r.fail(k::Header, QStringLiteral("expected text → array of text"));
                    break;
                }
                QStringList values;
                for (const QCborValue &v : it.value().toArray()) {
                    if (!v.isString()) {
                        r.fail(k::Header, QStringLiteral("expected text values"));
                        break;
                    }
                    values.append(v.toString());
                }
                d.header.insert(it.key().toString(), values);
            }
        }
    }
    r.boolean(k::TlsSkipVerify, d.tlsSkipVerify);
    r.text(k::TlsServerName, d.tlsServerName);
    r.boolean(k::DisableRedirects, d.disableRedirects);
    r.text(k::Tcp, d.tcp);
    r.textList(k::ScriptArgs, d.scriptArgs);
    r.i64(k::Ttl, d.ttl);
    r.i64(k::Interval, d.interval);
    r.i64(k::Timeout, d.timeout);
    r.i64(k::DeregisterCriticalServiceAfter, d.deregisterCriticalServiceAfter);
    r.i32(k::OutputMaxSize, d.outputMaxSize);
    r.i32(k::SuccessBeforePassing, d.successBeforePassing);
    r.i32(k::FailuresBeforeWarning, d.failuresBeforeWarning);
    r.i32(k::FailuresBeforeCritical, d.failuresBeforeCritical);
    if (!r.ok() && error)
        *error = r.error();
    return r.ok();
}

template <typename T>
bool finish(const MapReader &r, T &out, const T &value, QString *error)
{
    if (!r.ok()) {
        if (error)
            *error = r.error();
        return false;
    }
    out = value;
    return true;
}

}  // namespace

// ---- MapReader

MapReader::MapReader(const QCborValue &value, const char *what) : m_what(what)
{
    if (value.isMap())
        m_map = value.toMap();
    else
        m_error = QStringLiteral("%1: expected a CBOR map").arg(QLatin1String(what));
}

void MapReader::fail(int key, const QString &why)
{
    if (m_error.isEmpty())
        m_error = QStringLiteral("%1: field %2: %3").arg(QLatin1String(m_what)).arg(key).arg(why);
}

QCborValue MapReader::value(int key) const
{
    if (!ok())
        return QCborValue();
    return m_map.value(qint64(key));
}

void MapReader::text(int key, QString &out)
{
    const QCborValue v = value(key);
    if (v.isUndefined())
        return;
    if (!v.isString())
        return fail(key, QStringLiteral("expected text"));
    out = v.toString();
}

void MapReader::bytes(int key, QByteArray &out)
{
    const QCborValue v = value(key);
    if (v.isUndefined())
        return;
    if (!v.isByteArray())
        return fail(key, QStringLiteral("expected a byte string"));
    out = v.toByteArray();
}

bool MapReader::integer(int key, qint64 &out)
{
    const QCborValue v = value(key);
    if (v.isUndefined())
        return false;
    if (!v.isInteger()) {
        fail(key, QStringLiteral("expected an integer"));
        return false;
    }
    out = v.toInteger();
    return true;
}

void MapReader::u64(int key, quint64 &out)
{
    qint64 v = 0;
    if (integer(key, v))
        out = quint64(v);
}

void MapReader::i64(int key, qint64 &out)
{
    qint64 v = 0;
    if (integer(key, v))
        out = v;
}

void MapReader::i32(int key, int &out)
{
    qint64 v = 0;
    if (!integer(key, v))
        return;
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
        return fail(key, QStringLiteral("integer out of range"));
    out = int(v);
}

void MapReader::u8(int key, quint8 &out)
{
    qint64 v = 0;
    if (!integer(key, v))
        return;
    if (v < 0 || v > 255)
        return fail(key, QStringLiteral("integer out of range"));
    out = quint8(v);
}

void MapReader::boolean(int key, bool &out)
{
    const QCborValue v = value(key);
    if (v.isUndefined())
        return;
    if (!v.isBool())
        return fail(key, QStringLiteral("expected a boolean"));
    out = v.toBool();
}

void MapReader::textList(int key, QStringList &out)
{
    const QCborValue v = value(key);
    if (v.isUndefined())
        return;
    if (!v.isArray())
        return fail(key, QStringLiteral("expected an array"));
    QStringList list;
    for (const QCborValue &item : v.toArray()) {
        if (!item.isString())
            return fail(key, QStringLiteral("expected an array of text"));
        list.append(item.toString());
    }
    out = list;
}

void MapReader::textMap(int key, QMap<QString, QString> &out)
{
    const QCborValue v = value(key);
    if (v.isUndefined())
        return;
    if (!v.isMap())
        return fail(key, QStringLiteral("expected a map"));
    QMap<QString, QString> map;
    const QCborMap m = v.toMap();
    for (auto it = m.cbegin(); it != m.cend(); ++it) {
        if (!it.key().isString() || !it.value().isString())
            return fail(key, QStringLiteral("expected a map of text to text"));
        map.insert(it.key().toString(), it.value().toString());
    }
    out = map;
}

// ---- KvEntry

QCborValue encode(const model::KvEntry &v)
{
    namespace k = cbor::kventry;
    QCborMap m;
    m.insert(k::Key, v.key);
    m.insert(k::Value, v.value);
    m.insert(k::Flags, u64(v.flags));
    m.insert(k::LockIndex, u64(v.lockIndex));
    m.insert(k::Session, v.session);
    m.insert(k::CreateIndex, u64(v.index.createIndex));
    m.insert(k::ModifyIndex, u64(v.index.modifyIndex));
    return m;
}

bool decode(const QCborValue &in, model::KvEntry &out, QString *error)
{
    namespace k = cbor::kventry;
    model::KvEntry v;
    MapReader r(in, "kv entry");
    r.text(k::Key, v.key);
    r.bytes(k::Value, v.value);
    r.u64(k::Flags, v.flags);
    r.u64(k::LockIndex, v.lockIndex);
    r.text(k::Session, v.session);
    r.u64(k::CreateIndex, v.index.createIndex);
    r.u64(k::ModifyIndex, v.index.modifyIndex);
    return finish(r, out, v, error);
}

// ---- Node

QCborValue encode(const model::Node &v)
{
    namespace k = cbor::node;
    QCborMap m;
    m.insert(k::Id, v.id);
    m.insert(k::Name, v.node);
    m.insert(k::Address, v.address);
    m.insert(k::Datacenter, v.datacenter);
    m.insert(k::TaggedAddresses, textMap(v.taggedAddresses));
    m.insert(k::Meta, textMap(v.meta));
    m.insert(k::CreateIndex, u64(v.index.createIndex));
    m.insert(k::ModifyIndex, u64(v.index.modifyIndex));
    return m;
}

bool decode(const QCborValue &in, model::Node &out, QString *error)
{
    namespace k = cbor::node;
    model::Node v;
    MapReader r(in, "node");
    r.text(k::Id, v.id);
    r.text(k::Name, v.node);
    r.text(k::Address, v.address);
    r.text(k::Datacenter, v.datacenter);
    r.textMap(k::TaggedAddresses, v.taggedAddresses);
    r.textMap(k::Meta, v.meta);
    r.u64(k::CreateIndex, v.index.createIndex);
    r.u64(k::ModifyIndex, v.index.modifyIndex);
    return finish(r, out, v, error);
}

// ---- Service

QCborValue encode(const model::Service &v)
{
    namespace k = cbor::service;
    QCborMap tagged;
    for (auto it = v.taggedAddresses.cbegin(); it != v.taggedAddresses.cend(); ++it) {
        QCborMap a;
        a.insert(cbor::serviceaddress::Address, it.value().address);
        a.insert(cbor::serviceaddress::Port, it.value().port);
        tagged.insert(it.key(), a);
    }
    QCborMap m;
    m.insert(k::Kind, v.kind);
    m.insert(k::Id, v.id);
    m.insert(k::Name, v.service);
    m.insert(k::Tags, textList(v.tags));
    m.insert(k::Address, v.address);
    m.insert(k::TaggedAddresses, tagged);
    m.insert(k::Meta, textMap(v.meta));
    m.insert(k::Port, v.port);
    m.insert(k::SocketPath, v.socketPath);
    m.insert(k::WeightsPassing, v.weights.passing);
    m.insert(k::WeightsWarning, v.weights.warning);
    m.insert(k::EnableTagOverride, v.enableTagOverride);
    m.insert(k::CreateIndex, u64(v.index.createIndex));
    m.insert(k::ModifyIndex, u64(v.index.modifyIndex));
    return m;
}

bool decode(const QCborValue &in, model::Service &out, QString *error)
{
    namespace k = cbor::service;
    model::Service v;
    MapReader r(in, "service");
    r.text(k::Kind, v.kind);
    r.text(k::Id, v.id);
    r.text(k::Name, v.service);
    r.textList(k::Tags, v.tags);
    r.text(k::Address, v.address);
    const QCborValue tagged = r.value(k::TaggedAddresses);
    if (r.ok() && !tagged.isUndefined()) {
        if (!tagged.isMap()) {
            r.fail(k::TaggedAddresses, QStringLiteral("expected a map"));
        } else {
            const QCborMap tm = tagged.toMap();
            for (auto it = tm.cbegin(); it != tm.cend() && r.ok(); ++it) {
                if (!it.key().isString()) {
                    r.fail(k::TaggedAddresses, QStringLiteral("expected text keys"));
                    break;
                }
                model::ServiceAddress a;
                MapReader ar(it.value(), "service tagged address");
                ar.text(cbor::serviceaddress::Address, a.address);
                ar.i32(cbor::serviceaddress::Port, a.port);
                if (!ar.ok()) {
                    r.fail(k::TaggedAddresses, ar.error());
                    break;
                }
                v.taggedAddresses.insert(it.key().toString(), a);
            }
        }
    }
    r.textMap(k::Meta, v.meta);
    r.i32(k::Port, v.port);
    r.text(k::SocketPath, v.socketPath);
    r.i32(k::WeightsPassing, v.weights.passing);
    r.i32(k::WeightsWarning, v.weights.warning);
    r.boolean(k::EnableTagOverride, v.enableTagOverride);
    r.u64(k::CreateIndex, v.index.createIndex);
    r.u64(k::ModifyIndex, v.index.modifyIndex);
    return finish(r, out, v, error);
}

// ---- Check

QCborValue encode(const model::Check &v)
{
    namespace k = cbor::check;
    QCborMap m;
    m.insert(k::Node, v.node);
    m.insert(k::CheckId, v.checkId);
    m.insert(k::Name, v.name);
    m.insert(k::Status, v.status);
    m.insert(k::Notes, v.notes);
    m.insert(k::Output, v.output);
    m.insert(k::ServiceId, v.serviceId);
    m.insert(k::ServiceName, v.serviceName);
    m.insert(k::ServiceTags, textList(v.serviceTags));
    m.insert(k::Type, v.type);
    m.insert(k::Definition, encode(v.definition));
    m.insert(k::CreateIndex, u64(v.index.createIndex));
    m.insert(k::ModifyIndex, u64(v.index.modifyIndex));
    return m;
}

bool decode(const QCborValue &in, model::Check &out, QString *error)
{
    namespace k = cbor::check;
    model::Check v;
    MapReader r(in, "check");
    r.text(k::Node, v.node);
    r.text(k::CheckId, v.checkId);
    r.text(k::Name, v.name);
    r.text(k::Status, v.status);
    r.text(k::Notes, v.notes);
    r.text(k::Output, v.output);
    r.text(k::ServiceId, v.serviceId);
    r.text(k::ServiceName, v.serviceName);
    r.textList(k::ServiceTags, v.serviceTags);
    r.text(k::Type, v.type);
    const QCborValue def = r.value(k::Definition);
    if (r.ok() && !def.isUndefined()) {
        QString why;
        if (!decode(def, v.definition, &why))
            r.fail(k::Definition, why);
    }
    r.u64(k::CreateIndex, v.index.createIndex);
    r.u64(k::ModifyIndex, v.index.modifyIndex);
    return finish(r, out, v, error);
}

// ---- RegisterRequest

QCborValue encode(const model::RegisterRequest &v)
{
    namespace k = cbor::registerrequest;
    QCborArray checks;
    for (const model::Check &c : v.checks)
        checks.append(encode(c));
    QCborMap m;
    m.insert(k::Id, v.id);
    m.insert(k::Node, v.node);
    m.insert(k::Address, v.address);
    m.insert(k::Datacenter, v.datacenter);
    m.insert(k::TaggedAddresses, textMap(v.taggedAddresses));
    m.insert(k::NodeMeta, textMap(v.nodeMeta));
    m.insert(k::HasService, v.hasService);
    m.insert(k::Service, encode(v.service));
    m.insert(k::Checks, checks);
    m.insert(k::SkipNodeUpdate, v.skipNodeUpdate);
    return m;
}

bool decode(const QCborValue &in, model::RegisterRequest &out, QString *error)
{
    namespace k = cbor::registerrequest;
    model::RegisterRequest v;
    MapReader r(in, "register request");
    r.text(k::Id, v.id);
    r.text(k::Node, v.node);
    r.text(k::Address, v.address);
    r.text(k::Datacenter, v.datacenter);
    r.textMap(k::TaggedAddresses, v.taggedAddresses);
    r.textMap(k::NodeMeta, v.nodeMeta);
    r.boolean(k::HasService, v.hasService);
    const QCborValue svc = r.value(k::Service);
    if (r.ok() && !svc.isUndefined()) {
        QString why;
        if (!decode(svc, v.service, &why))
            r.fail(k::Service, why);
    }
    const QCborValue checks = r.value(k::Checks);
    if (r.ok() && !checks.isUndefined()) {
        if (!checks.isArray()) {
            r.fail(k::Checks, QStringLiteral("expected an array"));
        } else {
            for (const QCborValue &c : checks.toArray()) {
                model::Check check;
                QString why;
                if (!decode(c, check, &why)) {
                    r.fail(k::Checks, why);
                    break;
                }
                v.checks.append(check);
            }
        }
    }
    r.boolean(k::SkipNodeUpdate, v.skipNodeUpdate);
    return finish(r, out, v, error);
}

// ---- DeregisterRequest

QCborValue encode(const model::DeregisterRequest &v)
{
    namespace k = cbor::deregisterrequest;
    QCborMap m;
    m.insert(k::Node, v.node);
    m.insert(k::Datacenter, v.datacenter);
    m.insert(k::ServiceId, v.serviceId);
    m.insert(k::CheckId, v.checkId);
    return m;
}

bool decode(const QCborValue &in, model::DeregisterRequest &out, QString *error)
{
    namespace k = cbor::deregisterrequest;
    model::DeregisterRequest v;
    MapReader r(in, "deregister request");
    r.text(k::Node, v.node);
    r.text(k::Datacenter, v.datacenter);
    r.text(k::ServiceId, v.serviceId);
    r.text(k::CheckId, v.checkId);
    return finish(r, out, v, error);
}

}  // namespace conclave::state::cbormodel
