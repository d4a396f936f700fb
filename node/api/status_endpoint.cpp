// /v1/status/leader and /v1/status/peers (consul-http-api.md §9). Not blocking.
#include "api/call.h"

#include <QJsonArray>

namespace conclave::api {

void statusLeader(const CallPtr &c)
{
    c->replyJson(QJsonValue(c->ctx().log->leaderAddress()));
}

void statusPeers(const CallPtr &c)
{
    c->replyJson(QJsonArray::fromStringList(c->ctx().log->peers()));
}

}  // namespace conclave::api
