#pragma once
// Wire encoding of what RaftNode sends between servers, as CBOR payloads of net::Frame:
// raft::Message (every field), InstallSnapshot payload chunks, and forwarded writes. Decoders
// refuse anything malformed (wrong types, unknown enum values, missing fields) with a reason.
// Pure functions; any thread.

#include "core/raft/types.h"
#include "core/state/fsm.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace conclave::server {

/// net::Frame::type values on a Raft connection. Version 1 everywhere so far.
enum class RaftFrameType : quint32 {
    Hello = 1,           // PeerTransport handshake: the sender's node id and address
    Message = 2,         // one raft::Message
    SnapshotChunk = 3,   // part of the payload of a MessageType::Snapshot message
    ForwardRequest = 4,  // follower → leader: propose this command
    ForwardResponse = 5, // leader → follower: the outcome of a ForwardRequest
};

QByteArray encodeRaftMessage(const raft::Message &message);
std::optional<raft::Message> decodeRaftMessage(const QByteArray &bytes, QString *error);

/// InstallSnapshot in pieces: the message travels with the last chunk; the receiver concatenates
/// chunks of one (snapshot index, term) starting at offset 0 and steps the message at the end.
struct SnapshotChunk {
    raft::Message message;  // valid in the last chunk only (offset + data.size() == total)
    quint64 offset = 0;
    quint64 total = 0;
    quint64 snapshotIndex = 0;
    quint64 snapshotTerm = 0;
    QByteArray data;
    bool isLast() const { return offset + quint64(data.size()) == total; }
};
QByteArray encodeSnapshotChunk(const SnapshotChunk &chunk);
std::optional<SnapshotChunk> decodeSnapshotChunk(const QByteArray &bytes, QString *error);

struct ForwardRequest {
    quint64 id = 0;  // unique per sender; echoed in the response
    QByteArray command;
};
QByteArray encodeForwardRequest(const ForwardRequest &request);
std::optional<ForwardRequest> decodeForwardRequest(const QByteArray &bytes, QString *error);

struct ForwardResponse {
    quint64 id = 0;
    quint64 index = 0;     // where the command was applied on the leader (0 on error)
    int error = 0;         // server::LogError as an int
    QString errorText;
    state::ApplyResult result;
};
QByteArray encodeForwardResponse(const ForwardResponse &response);
std::optional<ForwardResponse> decodeForwardResponse(const QByteArray &bytes, QString *error);

}  // namespace conclave::server
