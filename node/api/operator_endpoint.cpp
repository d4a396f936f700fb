// /v1/operator/raft/configuration, /v1/operator/raft/peer and /v1/operator/raft/transfer-leader
// (consul-http-api.md §13; api/operator_raft.go). `conclave operator raft list-peers` reads the first.
#include "api/call.h"
#include "api/raft_operator.h"

#include <QJsonArray>
#include <QJsonObject>

namespace conclave::api {

namespace {

bool requireOperator(const CallPtr &c)
{
    if (c->ctx().raft)
        return true;
    c->replyText(500, QStringLiteral("Raft operations are only available on servers"));
    return false;
}

}  // namespace

void operatorRaftConfiguration(const CallPtr &c)
{
    if (!requireOperator(c))
        return;
    c->whenReadable([c] {
        const RaftOperator &op = *c->ctx().raft;
        QJsonArray servers;
        for (const RaftServerInfo &s : op.raftServers()) {
            servers.append(QJsonObject{{QStringLiteral("ID"), s.id},
                                       {QStringLiteral("Node"), s.node},
                                       {QStringLiteral("Address"), s.address},
                                       {QStringLiteral("Leader"), s.leader},
                                       {QStringLiteral("ProtocolVersion"), QStringLiteral("3")},
                                       {QStringLiteral("Voter"), s.voter},
                                       {QStringLiteral("LastIndex"), double(s.lastIndex)}});
        }
        c->replyJson(QJsonObject{{QStringLiteral("Servers"), servers},
                                 {QStringLiteral("Index"), double(op.raftConfigurationIndex())}});
    });
}

void operatorRaftPeer(const CallPtr &c)
{
    if (!requireOperator(c))
        return;
    const QString id = c->req.queryValue(QStringLiteral("id"));
    const QString address = c->req.queryValue(QStringLiteral("address"));
    if (id.isEmpty() == address.isEmpty()) {
        c->replyText(400, QStringLiteral("Must specify either ?id with the server's ID or ?address with IP:port of peer to remove"));
        return;
    }
    c->ctx().raft->removeRaftPeer(id, address, [c](const QString &error) {
        if (error.isEmpty())
            c->replyEmpty();
        else
            c->replyText(500, error);
    });
}

void operatorRaftTransferLeader(const CallPtr &c)
{
    if (!requireOperator(c))
        return;
    c->ctx().raft->transferLeadership(c->req.queryValue(QStringLiteral("id")), [c](const QString &error) {
        if (error.isEmpty())
            c->replyJson(QJsonObject{{QStringLiteral("Success"), true}});
        else
            c->replyText(500, error);
    });
}

}  // namespace conclave::api
