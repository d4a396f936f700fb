// libFuzzer target for what servers send each other on the server port after the frame layer:
// Raft messages, snapshot chunks, forwarded writes and their answers (server/raft_messages) and
// discovery's ServerList (server/server_list). The first byte picks the decoder, the rest is the
// payload. A decoder must refuse (with a reason) or accept; whatever it accepts must re-encode to
// bytes that decode to the same value. Also linked, without libFuzzer, into
// unit.server.fuzz_server_messages_corpus which replays tests/fuzz/corpus/server_messages.
#include "fuzz_check.h"
#include "server/raft_messages.h"
#include "server/server_list.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace conclave::server;

namespace {

bool sameEntries(const std::vector<conclave::raft::Entry> &a, const std::vector<conclave::raft::Entry> &b)
{
    return a == b;
}

void raftMessage(const QByteArray &bytes)
{
    QString why;
    const auto m = decodeRaftMessage(bytes, &why);
    FUZZ_CHECK(m.has_value() == why.isEmpty());
    if (!m)
        return;
    const auto again = decodeRaftMessage(encodeRaftMessage(*m), &why);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->type == m->type && again->from == m->from && again->to == m->to);
    FUZZ_CHECK(again->term == m->term && again->index == m->index && again->commit == m->commit);
    FUZZ_CHECK(sameEntries(again->entries, m->entries));
}

void snapshotChunk(const QByteArray &bytes)
{
    QString why;
    const auto c = decodeSnapshotChunk(bytes, &why);
    FUZZ_CHECK(c.has_value() == why.isEmpty());
    if (!c)
        return;
    FUZZ_CHECK(c->offset + quint64(c->data.size()) <= c->total);
    const auto again = decodeSnapshotChunk(encodeSnapshotChunk(*c), &why);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->offset == c->offset && again->total == c->total && again->data == c->data);
    FUZZ_CHECK(again->snapshotIndex == c->snapshotIndex && again->snapshotTerm == c->snapshotTerm);
}

void forwardRequest(const QByteArray &bytes)
{
    QString why;
    const auto q = decodeForwardRequest(bytes, &why);
    FUZZ_CHECK(q.has_value() == why.isEmpty());
    if (!q)
        return;
    const auto again = decodeForwardRequest(encodeForwardRequest(*q), &why);
    FUZZ_CHECK(again.has_value() && again->id == q->id && again->command == q->command);
}

void forwardResponse(const QByteArray &bytes)
{
    QString why;
    const auto r = decodeForwardResponse(bytes, &why);
    FUZZ_CHECK(r.has_value() == why.isEmpty());
    if (!r)
        return;
    const auto again = decodeForwardResponse(encodeForwardResponse(*r), &why);
    FUZZ_CHECK(again.has_value() && again->id == r->id && again->index == r->index);
    FUZZ_CHECK(again->error == r->error && again->errorText == r->errorText);
    FUZZ_CHECK(again->result.ok == r->result.ok && again->result.error == r->result.error);
}

void serverList(const QByteArray &bytes)
{
    ServerList list;
    if (!ServerList::decode(bytes, &list))
        return;
    FUZZ_CHECK(list.expect >= 0 && list.expect <= ServerList::kMaxServers);
    FUZZ_CHECK(list.servers.size() <= ServerList::kMaxServers);
    for (const ServerListEntry &e : list.servers)
        FUZZ_CHECK(!e.id.isEmpty() && !e.id.startsWith(QLatin1String("join:")));
    ServerList again;
    FUZZ_CHECK(ServerList::decode(list.encode(), &again));
    FUZZ_CHECK(again.expect == list.expect && again.servers.size() == list.servers.size());
    for (qsizetype i = 0; i < list.servers.size(); ++i)
        FUZZ_CHECK(again.servers[i].id == list.servers[i].id && again.servers[i].address == list.servers[i].address &&
                   again.servers[i].inCluster == list.servers[i].inCluster);
    FUZZ_CHECK(again.initialVoters.size() == list.initialVoters.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray payload(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    switch (data[0] % 5) {
    case 0: raftMessage(payload); break;
    case 1: snapshotChunk(payload); break;
    case 2: forwardRequest(payload); break;
    case 3: forwardResponse(payload); break;
    default: serverList(payload); break;
    }
    return 0;
}
