#pragma once
// StreamHistory: what the viewer stream has recorded of each topic, so that a viewer that
// reconnects with the last index it applied gets just the Changes it missed (issue #6; protocol in
// shared/stream/README.md).
//
// Per topic it keeps the latest state the stream read from the store (rows by row id, and the
// index they describe: what Snapshots are served from) and the Changes that led to it, as events.
// The events of all topics share one budget, bounded by a count and by their encoded size; the
// oldest event of any topic goes first. A topic's `base` is the index of the state its oldest held
// event applies to, so a client holding the topic at index N can be brought up to date with the
// held events after N exactly when N is a point of this history: base, the index of a held event,
// or any index from the topic's last read up to the store's last applied index (nothing touched the
// topic in between). Any other N (older than base, ahead of the store, or between two reads the
// stream coalesced into one event) is refused with a reason, and the caller sends a Snapshot.
//
// The kv topic is recorded whole (prefix ""); a client subscribed to a prefix gets each event
// filtered to its prefix (changeFor), and every kv index is the KV table's index, the same for
// every prefix, so one history serves all prefixes, including one a client did not ask before.
// Events produced at one Raft index for several topics (a catalog registration touches nodes,
// services and checks) are separate events of separate topics; evicting one of them does not
// affect the resume points of the others.
//
// Pure (no I/O, no clock, no Qt event loop); owned by ViewerStream; event-loop thread only.
// It does not read the store or watch it: the caller reads and calls record().

#include "shared/stream/messages.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QMap>
#include <QSet>
#include <QString>
#include <QStringList>

#include <array>
#include <deque>
#include <optional>

namespace conclave::api {

/// One recorded change of one topic: what differs between two consecutive reads.
struct StreamEvent {
    stream::Topic topic = stream::Topic::Nodes;
    quint64 index = 0;       // the index the later read described
    QStringList upsertIds;   // row ids of `upserts`, same order (sorted)
    QJsonArray upserts;      // rows added or replaced
    QStringList deletes;     // row ids gone (sorted)
    QSet<QString> created;   // ids of `upserts` that were not in the previous read
    QByteArray encoded;      // the Change as sent to a client of the whole topic (kv: prefix "")
    quint64 seq = 0;         // order of recording across topics (eviction goes by it)

    /// The Change a client subscribed with `prefix` receives (kv: only rows under the prefix;
    /// other topics ignore it), or nullopt when nothing in this event concerns that client.
    std::optional<stream::Change> changeFor(const QString &prefix) const;
    /// The encoded Change for `prefix`; empty when nothing concerns that client.
    QByteArray encodedFor(const QString &prefix) const;
    /// What it counts against StreamHistoryLimits::maxBytes.
    qint64 bytes() const { return encoded.size(); }
};

struct StreamHistoryLimits {
    /// At most this many events over all topics.
    qsizetype maxEvents = 4096;
    /// At most this many bytes of encoded events over all topics.
    qint64 maxBytes = 8 * 1024 * 1024;
};

class StreamHistory {
public:
    enum class Recorded {
        Started,    // first read of the topic: its history begins here (base = head = index)
        Unchanged,  // same rows as before: no event
        Appended,   // an event at `index` was recorded
        Restarted,  // rows changed but the index did not rise: events dropped, epoch bumped
    };

    explicit StreamHistory(StreamHistoryLimits limits = {});

    /// Takes one read of `topic`: every row (kv: every key, prefix "") and the index the read
    /// describes. The difference to the previous read becomes one event. The caller reads at most
    /// once per event-loop turn, so writes applied in one turn land in one event.
    Recorded record(stream::Topic topic, quint64 index, const QList<QJsonObject> &rows);

    bool isRecording(stream::Topic topic) const { return at(topic).recording; }
    /// Index of the state rows() describe: the last event recorded, or the first read.
    quint64 head(stream::Topic topic) const { return at(topic).head; }
    /// Index of the state the oldest held event applies to (head when none is held).
    quint64 base(stream::Topic topic) const { return at(topic).base; }
    /// Index of the last read (>= head: reads that changed nothing move it, not head).
    quint64 lastRead(stream::Topic topic) const { return at(topic).lastRead; }
    /// Raised by a Restarted record or restart(): a client holding an older epoch needs a Snapshot.
    quint64 epoch(stream::Topic topic) const { return at(topic).epoch; }
    /// The identity of the topic's history, sent in Snapshot and Resume and sent back by a client
    /// with its FromIndex: a random id made when this StreamHistory was created (so per agent
    /// process) and the topic's epoch. An index only names a state within one identity: a client
    /// that holds another (another agent, this agent before a restart, or before the topic's state
    /// was replaced) is sent a Snapshot.
    QString identity(stream::Topic topic) const;

    /// Starts the topic's history again from this read, keeping nothing before it (the store was
    /// replaced by a snapshot restore): events dropped, epoch raised.
    void restart(stream::Topic topic, quint64 index, const QList<QJsonObject> &rows);
    /// The topic's rows (kv: those whose key starts with `prefix`), sorted by row id.
    QJsonArray rows(stream::Topic topic, const QString &prefix = {}) const;

    /// Why a client that holds `topic` (under any prefix) at `fromIndex` of the history `identity`
    /// (as it was sent in the Snapshot or Resume it got) cannot be brought up to date with the
    /// held events; "" when it can. `lastIndex` is the store's highest applied index. The caller
    /// records a fresh read first, so that lastRead() is the topic's index now.
    QString whyNotResumable(stream::Topic topic, quint64 fromIndex, const QString &identity, quint64 lastIndex) const;
    /// The first held event of `topic` with index > afterIndex, or nullptr. Valid until the next
    /// record(). Meaningful only for afterIndex >= base(topic).
    const StreamEvent *next(stream::Topic topic, quint64 afterIndex) const;
    /// Every held event of `topic` after afterIndex folded into one Change at head(topic), as seen
    /// by a client subscribed with `prefix`: per row the last of its upserts and deletes wins, and
    /// a row created and deleted in between is left out. nullopt when nothing concerns the client.
    /// For a client that could not read for a while. Meaningful only for afterIndex >= base(topic).
    std::optional<stream::Change> changeSince(stream::Topic topic, quint64 afterIndex, const QString &prefix) const;

    /// Held events over all topics, and their bytes.
    qsizetype size() const { return m_count; }
    qint64 bytes() const { return m_bytes; }
    const StreamHistoryLimits &limits() const { return m_limits; }

private:
    struct TopicState {
        bool recording = false;
        QMap<QString, QJsonObject> rows;  // row id → row, as last read
        quint64 head = 0;
        quint64 base = 0;
        quint64 lastRead = 0;
        quint64 epoch = 0;
        std::deque<StreamEvent> events;  // increasing index
    };
    static constexpr int kTopicCount = int(stream::Topic::Kv) + 1;

    const TopicState &at(stream::Topic topic) const { return m_topics[size_t(topic)]; }
    TopicState &at(stream::Topic topic) { return m_topics[size_t(topic)]; }
    void dropEvents(TopicState &t);
    void maybeEvict();

    StreamHistoryLimits m_limits;
    QString m_instance;  // random, per StreamHistory
    std::array<TopicState, kTopicCount> m_topics;
    qsizetype m_count = 0;
    qint64 m_bytes = 0;
    quint64 m_seq = 0;
};

}  // namespace conclave::api
