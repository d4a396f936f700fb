// /v1/snapshot (Consul agent/snapshot_endpoint.go). GET answers an archive of the whole replicated
// state (docs/snapshot-archive.md) as a read: ?stale and ?consistent apply, X-Consul-Index is the
// archive's index. PUT restores one: the archive is checked whole (frame, checksum, and the state
// restored into a scratch store) before anything is proposed, then it goes through the log as one
// SnapshotRestore entry so that every server replaces its state at the same index; 200 with an
// empty body once this server applied it. A damaged archive is 400 with a sentence, one over
// kMaxSnapshotRestoreBytes 413, and neither changes anything.
//
// Both run on the event loop: building or checking a large archive costs there what applying the
// restore entry costs the FSM anyway.
#include "api/call.h"
#include "core/state/snapshot_archive.h"
#include "net/frame_codec.h"

#include <QDateTime>

namespace conclave::api {

// A restore entry travels alone in one server-port frame (forwarded to the leader, then in an
// AppendEntries); its envelopes are a few dozen bytes.
static_assert(state::kMaxSnapshotRestoreBytes + 1024 * 1024 < net::kDefaultMaxFrameSize);

namespace {

QString mebibytes(qint64 bytes)
{
    return QString::number(double(bytes) / (1024 * 1024), 'f', 1) + QStringLiteral(" MiB");
}

void snapshotSave(const CallPtr &c)
{
    Call *call = c.get();
    c->read([call](state::WatchSet *) {
        ApiContext &ctx = call->ctx();
        state::ArchiveMeta meta;
        meta.index = ctx.fsm->lastApplied();
        meta.term = ctx.log->currentTerm();
        meta.createdMs = QDateTime::currentMSecsSinceEpoch();
        meta.id = state::archiveId(meta.term, meta.index, meta.createdMs);
        meta.datacenter = ctx.config.datacenter;
        meta.conclaveVersion = QStringLiteral(CONCLAVE_VERSION);
        ReadResult out{meta.index, {}};
        out.response.body = state::encodeArchive(meta, ctx.fsm->snapshot());
        out.response.setHeader("Content-Type", "application/octet-stream");
        return out;
    });
}

void snapshotRestore(const CallPtr &c)
{
    const QByteArray &body = c->req.body;
    if (body.size() > state::kMaxSnapshotRestoreBytes) {
        c->replyText(413, QStringLiteral("Snapshot archive too large: %1 bytes (%2), a restore takes at most %3 bytes (%4)")
                              .arg(body.size())
                              .arg(mebibytes(body.size()))
                              .arg(state::kMaxSnapshotRestoreBytes)
                              .arg(mebibytes(state::kMaxSnapshotRestoreBytes)));
        return;
    }
    QString error;
    std::optional<state::Archive> archive = state::decodeArchive(body, &error);
    if (!archive || !state::summarizePayload(archive->payload, &error)) {
        c->replyText(400, QStringLiteral("Invalid snapshot archive: %1; nothing was restored").arg(error));
        return;
    }
    const state::Command cmd{state::CommandType::SnapshotRestore, state::SnapshotRestoreCommand{archive->payload}};
    c->propose(cmd, [c](const state::ApplyResult &r) {
        // The FSM runs the same checks, so this only fails if the archive was checked by another
        // version of them; the FSM changed nothing then either.
        if (!r.error.isEmpty())
            c->replyText(400, QStringLiteral("Invalid snapshot archive: %1; nothing was restored").arg(r.error));
        else
            c->replyEmpty();
    });
}

}  // namespace

qint64 HttpApi::bodyLimit(const net::HttpRequest &head, qint64 defaultLimit)
{
    if (head.method == "PUT" && head.path == QLatin1String("/v1/snapshot"))
        return std::max(defaultLimit, state::kMaxSnapshotRestoreBytes + 1);
    return defaultLimit;
}

void snapshotEndpoint(const CallPtr &c)
{
    if (!c->ctx().fsm) {
        c->replyText(500, QStringLiteral("Snapshots are only available on servers"));
        return;
    }
    if (c->req.method == "PUT")
        snapshotRestore(c);
    else
        snapshotSave(c);
}

}  // namespace conclave::api
