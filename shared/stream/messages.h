#pragma once
// The viewer stream protocol (issue #6): JSON text messages over a WebSocket on the agent's HTTP
// port at /v1/stream. The client sends Subscribe; the agent answers, per topic, one Snapshot at an
// index (or, when the client asked to continue from an index the agent still has the changes
// after, a Resume) and then ordered Change messages, each carrying the Raft index of the state it
// describes.
// The full description (message shapes, resume and coalescing rules) is in shared/stream/README.md.
//
// Pure value types and their codec: QtCore only, any thread. The field names live in messages.cpp,
// once.

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QtGlobal>

#include <optional>

namespace conclave::stream {

/// What a subscription watches. Wire names: "datacenters", "members", "nodes", "services",
/// "checks", "kv". Values are only ever added at the end.
enum class Topic { Datacenters, Members, Nodes, Services, Checks, Kv };

QString topicName(Topic topic);
std::optional<Topic> topicFromName(const QString &name);

/// One topic of a Subscribe. `prefix` is used by the kv topic only ("" = every key).
/// `fromIndex` is the index of the state the client holds for this topic and prefix, i.e. the
/// last index it applied (0 = it holds nothing): when the agent still has every change after it,
/// it answers with a Resume and sends just those changes; otherwise a Snapshot. A client that
/// changes the prefix holds nothing of the new one and sends 0.
struct TopicRequest {
    Topic topic = Topic::Nodes;
    QString prefix;
    quint64 fromIndex = 0;
    /// The `history` of the Snapshot or Resume the client's state at fromIndex came from: an
    /// index names a state only within one history (one agent process, one store), so the agent
    /// resumes only a matching one.
    QString history{};
    bool operator==(const TopicRequest &) const = default;
};

/// At most this many topics in one Subscribe (each topic at most once; there are fewer topics).
inline constexpr int kMaxSubscribeTopics = 16;

/// Client → agent. Replaces any earlier subscription on the same connection. Lists each topic at
/// most once, and at most kMaxSubscribeTopics entries.
struct Subscribe {
    QList<TopicRequest> topics;
    QString token;  // ACL token; accepted and ignored until ACLs exist
    bool operator==(const Subscribe &) const = default;
};

/// Agent → client: the full state of one topic at `index`. Payload: a JSON array of rows (see
/// README.md for each topic's row shape). `reason` says why the agent sent a Snapshot rather than
/// Changes: empty for a first subscription (FromIndex 0), otherwise one English phrase (the
/// client's index is older than the agent's history, ahead of the agent, or the client fell behind).
struct Snapshot {
    Topic topic = Topic::Nodes;
    QString prefix;  // kv only: the prefix it was subscribed with
    quint64 index = 0;
    QJsonArray rows;
    QString reason{};  // braces: older aggregate initialisations may leave it out
    QString history{};  // identity of the agent's history of the topic; sent back with FromIndex
    bool operator==(const Snapshot &) const = default;
};

/// Agent → client: the answer to a TopicRequest whose FromIndex the agent can continue from. The
/// client keeps the state it holds; the Changes of this topic that follow carry every change after
/// `fromIndex`, in order: first those the client missed (up to `index`, the agent's index for the
/// topic when it answered), then live ones. Nothing is skipped and nothing is sent twice.
struct Resume {
    Topic topic = Topic::Nodes;
    QString prefix;
    quint64 fromIndex = 0;
    quint64 index = 0;
    QString history{};  // the history continued (the one the client sent)
    bool operator==(const Resume &) const = default;
};

/// Agent → client: what changed in one topic since the previous message of that topic, as of
/// `index`: rows to insert or replace (`upserts`) and row ids that are gone (`deletes`).
/// Intermediate states may have been skipped (coalescing); applying Changes in order always gives
/// the agent's state at `index`.
struct Change {
    Topic topic = Topic::Nodes;
    QString prefix;
    quint64 index = 0;
    QJsonArray upserts;
    QStringList deletes;
    bool operator==(const Change &) const = default;
};

/// Agent → client: the request was refused or the connection is about to be closed.
struct Error {
    QString reason;
    bool operator==(const Error &) const = default;
};

/// Kind of a decoded message. Values are only ever added at the end.
enum class MessageType { Subscribe, Snapshot, Change, Error, Resume };

/// A decoded message: `type` says which member is meaningful.
struct Message {
    MessageType type = MessageType::Error;
    Subscribe subscribe;
    Snapshot snapshot;
    Change change;
    Error error;
    Resume resume;
};

/// The id of a row within its topic, as used in Change::deletes: kv "Key"; nodes "Node";
/// services "<Node>/<Service.ID>"; checks "<Node>/<CheckID>"; datacenters "Datacenter"; members
/// "Name".
QString rowId(Topic topic, const QJsonObject &row);

QByteArray encode(const Subscribe &message);
QByteArray encode(const Snapshot &message);
QByteArray encode(const Change &message);
QByteArray encode(const Error &message);
QByteArray encode(const Resume &message);

/// Decodes one message. On malformed input returns nullopt and sets *error (one sentence).
std::optional<Message> decode(const QByteArray &text, QString *error);

// Row field names shared by the agent (writer) and the viewer (reader) beyond Consul's own shapes.
namespace field {
inline constexpr QLatin1String Node{"Node"};
inline constexpr QLatin1String Service{"Service"};
inline constexpr QLatin1String Datacenter{"Datacenter"};
inline constexpr QLatin1String Leader{"Leader"};
inline constexpr QLatin1String Server{"Server"};
}  // namespace field

}  // namespace conclave::stream
