#include "cli/snapshot_command.h"

#include "cli/command.h"
#include "cli/output.h"
#include "core/state/snapshot_archive.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <unistd.h>

namespace conclave::cli {

namespace {

const QString kSnapshotUsage = QStringLiteral(
    "Usage: conclave snapshot <subcommand> [options] FILE\n"
    "\n"
    "Subcommands:\n"
    "    save       Saves a snapshot of the servers' state to FILE (-stale: any server answers)\n"
    "    restore    Restores the servers' state from the snapshot in FILE\n"
    "    inspect    Shows what the snapshot in FILE holds (offline: no agent needed)\n"
    "\n"
    "  common: -http-addr=<addr>  -token=<t>");

// Reads an archive file whole, refusing one larger than a restore may be (the server would answer
// 413 anyway; this avoids reading and sending it).
std::optional<QByteArray> readArchiveFile(const QString &path, const CliIo &io)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        io.error(QStringLiteral("Error opening snapshot file %1: %2").arg(path, file.errorString()));
        return std::nullopt;
    }
    if (file.size() > state::kMaxSnapshotRestoreBytes) {
        io.error(QStringLiteral("Error: %1 is %2 bytes; a snapshot archive is at most %3 bytes")
                     .arg(path)
                     .arg(file.size())
                     .arg(state::kMaxSnapshotRestoreBytes));
        return std::nullopt;
    }
    QByteArray bytes = file.readAll();
    if (file.error() != QFileDevice::NoError) {
        io.error(QStringLiteral("Error reading snapshot file %1: %2").arg(path, file.errorString()));
        return std::nullopt;
    }
    return bytes;
}

// Checks the frame, checksum and payload; prints the reason and returns false otherwise.
bool verify(const QByteArray &bytes, const QString &what, const CliIo &io, state::Archive *out = nullptr)
{
    QString error;
    std::optional<state::Archive> archive = state::decodeArchive(bytes, &error);
    if (archive && state::summarizePayload(archive->payload, &error)) {
        if (out)
            *out = std::move(*archive);
        return true;
    }
    io.error(QStringLiteral("Error verifying %1: %2").arg(what, error));
    return false;
}

int save(const ParsedFlags &flags, const QString &path, const CliIo &io)
{
    AgentClient client = makeClient(flags, io);
    QUrlQuery query;
    if (flags.boolean(QStringLiteral("stale")))
        query.addQueryItem(QStringLiteral("stale"), QString());
    if (!flags.value(QStringLiteral("datacenter")).isEmpty())
        query.addQueryItem(QStringLiteral("dc"), flags.value(QStringLiteral("datacenter")));
    const HttpResult result = client.get(QStringLiteral("/v1/snapshot"), query);
    if (const int failed = reportFailure(result, client, io))
        return failed;
    state::Archive archive;
    if (!verify(result.body, QStringLiteral("the snapshot the agent sent (nothing was written)"), io, &archive))
        return 1;

    // Written beside the target, fsync'd and renamed over it: a crash leaves the old file or the
    // new one, never half of either.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        io.error(QStringLiteral("Error creating snapshot file %1: %2").arg(path, file.errorString()));
        return 1;
    }
    if (file.write(result.body) != result.body.size() || !file.flush() || ::fsync(file.handle()) != 0
        || !file.commit()) {
        io.error(QStringLiteral("Error writing snapshot file %1: %2").arg(path, file.errorString()));
        return 1;
    }
    io.print(QStringLiteral("Saved and verified snapshot to index %1").arg(archive.meta.index));
    return 0;
}

int restore(const ParsedFlags &flags, const QString &path, const CliIo &io)
{
    const std::optional<QByteArray> bytes = readArchiveFile(path, io);
    if (!bytes)
        return 1;
    // The server checks it too; checking here first names the file and sends nothing.
    if (!verify(*bytes, path + QStringLiteral(" (nothing was restored)"), io))
        return 1;
    AgentClient client = makeClient(flags, io);
    QUrlQuery query;
    if (!flags.value(QStringLiteral("datacenter")).isEmpty())
        query.addQueryItem(QStringLiteral("dc"), flags.value(QStringLiteral("datacenter")));
    const HttpResult result = client.put(QStringLiteral("/v1/snapshot"), query, *bytes);
    if (const int failed = reportFailure(result, client, io))
        return failed;
    io.print(QStringLiteral("Restored snapshot"));
    return 0;
}

int inspect(const QString &path, const CliIo &io)
{
    const std::optional<QByteArray> bytes = readArchiveFile(path, io);
    if (!bytes)
        return 1;
    QString error;
    const QString report = formatSnapshotInspect(*bytes, &error);
    if (report.isEmpty()) {
        io.error(QStringLiteral("Error verifying %1: %2").arg(path, error));
        return 1;
    }
    io.out->write(report.toUtf8());
    return 0;
}

}  // namespace

QString formatSnapshotInspect(const QByteArray &bytes, QString *error)
{
    std::optional<state::Archive> archive = state::decodeArchive(bytes, error);
    if (!archive)
        return {};
    const std::optional<state::PayloadSummary> sum = state::summarizePayload(archive->payload, error);
    if (!sum)
        return {};
    const state::ArchiveMeta &m = archive->meta;
    const QString created =
        QDateTime::fromMSecsSinceEpoch(m.createdMs, Qt::UTC).toString(Qt::ISODateWithMs);
    const QList<QStringList> rows{
        {QStringLiteral(" ID"), m.id},
        {QStringLiteral(" Size"), QString::number(bytes.size())},
        {QStringLiteral(" Index"), QString::number(m.index)},
        {QStringLiteral(" Term"), QString::number(m.term)},
        {QStringLiteral(" Version"), QString::number(archive->formatVersion)},
        {QStringLiteral(" Datacenter"), m.datacenter},
        {QStringLiteral(" Created"), created},
        {QStringLiteral(" ConclaveVersion"), m.conclaveVersion},
    };
    const QList<QStringList> counts{
        {QStringLiteral(" Type"), QStringLiteral("Count")},
        {QStringLiteral(" KV"), QString::number(sum->kvEntries)},
        {QStringLiteral(" Node"), QString::number(sum->nodes)},
        {QStringLiteral(" Service"), QString::number(sum->services)},
        {QStringLiteral(" Check"), QString::number(sum->checks)},
    };
    return columnize(rows) + u'\n' + columnize(counts);
}

int runSnapshot(const QStringList &args, const CliIo &io)
{
    const QString sub = args.value(0);
    if (sub != u"save" && sub != u"restore" && sub != u"inspect") {
        if (!sub.isEmpty() && sub != u"-h" && sub != u"-help" && sub != u"--help")
            io.error(QStringLiteral("Unknown subcommand: ") + sub);
        io.err->write(kSnapshotUsage.toUtf8() + "\n");
        return 1;
    }
    int code = 0;
    const auto flags = parseVerbFlags(args.mid(1), httpFlags(), kSnapshotUsage, io, &code);
    if (!flags)
        return code;
    if (flags->positional.size() != 1) {
        io.error(QStringLiteral("This command takes one argument: <file> (got %1)").arg(flags->positional.size()));
        return 1;
    }
    const QString path = flags->positional.first();
    if (sub == u"save")
        return save(*flags, path, io);
    if (sub == u"restore")
        return restore(*flags, path, io);
    return inspect(path, io);
}

}  // namespace conclave::cli
