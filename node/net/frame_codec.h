#pragma once
// Length-prefixed CBOR frames of the server port (Raft and RPC between servers): a 4-byte
// big-endian length, then that many bytes holding a CBOR map {"type": uint, "version": uint,
// "payload": bytes}. FrameDecoder is incremental: feed it whatever the socket delivered (any split
// or merge of frames) and take the complete frames out. Pure code, no I/O; fuzzed by
// tests/fuzz/fuzz_frame_codec.cpp.
//
// Owner: whoever reads a connection (PeerTransport, one decoder per socket). Not thread-safe; one
// thread per decoder. A decoder that saw malformed input stays failed: the connection is closed.

#include <QByteArray>
#include <QString>
#include <QtGlobal>

#include <optional>

namespace conclave::net {

struct Frame {
    quint32 type = 0;
    quint32 version = 1;
    QByteArray payload;
    bool operator==(const Frame &) const = default;
};

/// Frames above this are refused: a Raft append batch is ≤ 1 MiB and snapshots go in chunks.
inline constexpr qint64 kDefaultMaxFrameSize = qint64(64) * 1024 * 1024;

/// The encoded frame: length prefix + CBOR map.
QByteArray encodeFrame(const Frame &frame);
/// Decodes one frame body (the bytes after the length prefix); nullopt with `error` if malformed.
std::optional<Frame> decodeFrameBody(const QByteArray &body, QString *error);

class FrameDecoder {
public:
    explicit FrameDecoder(qint64 maxFrameSize = kDefaultMaxFrameSize) : m_maxFrameSize(maxFrameSize) {}

    /// Appends received bytes. Ignored once failed.
    void feed(const char *data, qint64 size);
    void feed(const QByteArray &bytes) { feed(bytes.constData(), bytes.size()); }
    /// The next complete frame, or nullopt if more bytes are needed or the stream is malformed
    /// (then hasError()).
    std::optional<Frame> next();

    bool hasError() const { return !m_error.isEmpty(); }
    QString errorString() const { return m_error; }
    /// Bytes received but not yet returned as frames.
    qint64 bufferedBytes() const { return m_buffer.size() - m_offset; }

private:
    qint64 m_maxFrameSize;
    QByteArray m_buffer;
    qint64 m_offset = 0;  // consumed prefix of m_buffer; compacted lazily to keep feed() linear
    QString m_error;
};

}  // namespace conclave::net
