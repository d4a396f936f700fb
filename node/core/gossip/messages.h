#pragma once
// Gossip wire messages (memberlist's ping / indirect ping / ack / nack / suspect / alive / dead /
// push-pull / compound) and their compact binary encoding. Pure functions, no state: any thread.
//
// Encoding: byte 0 is the protocol version (kWireVersion), byte 1 the MessageType, then the fields
// in declaration order. Integers are unsigned LEB128 varints, strings and byte arrays a varint
// length then the bytes, booleans one byte (0 or 1), tag maps a varint count then key/value pairs.
// A Compound carries a varint count of nested messages, each a varint length plus a full
// encoding (with its own version byte). decode() rejects anything malformed, truncated, oversized,
// trailing or of an unknown version/type; it never reads out of bounds.

#include <QByteArray>
#include <QMap>
#include <QString>

#include <optional>
#include <variant>
#include <vector>

namespace conclave::gossip {

inline constexpr quint8 kWireVersion = 1;
/// memberlist's UDPBufferSize: no UDP packet the core emits is larger.
inline constexpr int kMaxPacketSize = 1400;
/// memberlist's MetaMaxSize: encoded tags of one member.
inline constexpr int kMaxMetaSize = 512;
/// Decoder limits (a push-pull of 10 000 members fits; anything bigger is hostile).
inline constexpr int kMaxStringSize = 1024;
/// Member names and addresses the core accepts (longer ones could not share a packet).
inline constexpr int kMaxNameSize = 256;
inline constexpr int kMaxTags = 64;
inline constexpr int kMaxStates = 100000;
inline constexpr int kMaxCompoundParts = 255;

using Tags = QMap<QString, QString>;

enum class MessageType : quint8 {
    Ping = 1,
    IndirectPing = 2,
    Ack = 3,
    Nack = 4,
    Suspect = 5,
    Alive = 6,
    Dead = 7,
    PushPull = 8,
    Compound = 9,
};

/// memberlist's node states as gossiped (StateAlive … StateLeft).
enum class NodeState : quint8 { Alive = 0, Suspect = 1, Dead = 2, Left = 3 };

struct Ping {
    quint32 seqNo = 0;
    QString target;      // the name the sender thinks it pings ("" = whoever listens)
    QString source;      // sender name
    QString sourceAddr;  // where to send the ack
    bool operator==(const Ping &) const = default;
};

struct IndirectPing {
    quint32 seqNo = 0;
    QString target;
    QString targetAddr;
    bool wantNack = true;  // Lifeguard: reply Nack if the target does not answer in time
    QString source;
    QString sourceAddr;
    bool operator==(const IndirectPing &) const = default;
};

struct Ack {
    quint32 seqNo = 0;
    bool operator==(const Ack &) const = default;
};

struct Nack {
    quint32 seqNo = 0;
    bool operator==(const Nack &) const = default;
};

struct Suspect {
    quint32 incarnation = 0;
    QString node;
    QString from;
    bool operator==(const Suspect &) const = default;
};

struct Alive {
    quint32 incarnation = 0;
    QString node;
    QString addr;
    Tags tags;
    bool operator==(const Alive &) const = default;
};

/// Dead with from == node is a graceful leave (memberlist's StateLeft).
struct Dead {
    quint32 incarnation = 0;
    QString node;
    QString from;
    bool operator==(const Dead &) const = default;
};

struct PushNodeState {
    QString name;
    QString addr;
    quint32 incarnation = 0;
    NodeState state = NodeState::Alive;
    Tags tags;
    bool operator==(const PushNodeState &) const = default;
};

struct PushPull {
    bool join = false;
    std::vector<PushNodeState> states;
    bool operator==(const PushPull &) const = default;
};

struct Compound {
    std::vector<QByteArray> parts;  // each a complete encoded message (never another Compound)
    bool operator==(const Compound &) const = default;
};

using Message = std::variant<Ping, IndirectPing, Ack, Nack, Suspect, Alive, Dead, PushPull, Compound>;

MessageType typeOf(const Message &m);
QByteArray encode(const Message &m);
/// nullopt on any malformed input. A Compound's parts are checked when decoded themselves.
std::optional<Message> decode(const QByteArray &bytes);
/// Packs already-encoded messages into one Compound (one part = returned as is).
QByteArray encodeCompound(const std::vector<QByteArray> &parts);
/// Bytes a part adds to a Compound (length prefix included).
int compoundOverhead(int partSize);
/// Encoded size of the tags (checked against kMaxMetaSize).
int tagsSize(const Tags &tags);

}  // namespace conclave::gossip
