#include "server/server_list.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>

namespace conclave::server {

namespace {

bool peerFromCbor(const QCborValue &v, ServerListPeer *out)
{
    if (!v.isMap())
        return false;
    const QCborMap m = v.toMap();
    if (!m.value(1).isString() || !m.value(2).isString())
        return false;
    out->id = m.value(1).toString();
    out->address = m.value(2).toString();
    return !out->id.isEmpty() && out->id.size() <= 256 && out->address.size() <= 300 &&
           !out->id.startsWith(QLatin1String("join:"));
}

}  // namespace

QByteArray ServerList::encode() const
{
    QCborArray list;
    for (const ServerListEntry &e : servers)
        list.append(QCborMap{{1, e.id}, {2, e.address}, {3, e.inCluster}});
    QCborArray voters;
    for (const ServerListPeer &p : initialVoters)
        voters.append(QCborMap{{1, p.id}, {2, p.address}});
    return QCborValue(QCborMap{{1, expect}, {2, list}, {3, voters}}).toCbor();
}

bool ServerList::decode(const QByteArray &bytes, ServerList *out)
{
    QCborParserError err;
    const QCborValue v = QCborValue::fromCbor(bytes, &err);
    if (err.error != QCborError::NoError || !v.isMap())
        return false;
    const QCborMap m = v.toMap();
    if (!m.value(1).isInteger() || !m.value(2).isArray() || !m.value(3).isArray())
        return false;
    const qint64 expect = m.value(1).toInteger();
    if (expect < 0 || expect > kMaxServers)
        return false;
    const QCborArray servers = m.value(2).toArray();
    const QCborArray voters = m.value(3).toArray();
    if (servers.size() > kMaxServers || voters.size() > kMaxServers)
        return false;
    ServerList list;
    list.expect = int(expect);
    for (const QCborValue &s : servers) {
        ServerListPeer p;
        if (!peerFromCbor(s, &p) || !s.toMap().value(3).isBool())
            return false;
        list.servers.append(ServerListEntry{p.id, p.address, s.toMap().value(3).toBool()});
    }
    for (const QCborValue &s : voters) {
        ServerListPeer p;
        if (!peerFromCbor(s, &p))
            return false;
        list.initialVoters.append(p);
    }
    *out = std::move(list);
    return true;
}

}  // namespace conclave::server
