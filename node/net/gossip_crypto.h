#pragma once
// Gossip encryption (memberlist security.go, encryption version 1), the keyring that lets a pool
// rotate keys (memberlist keyring.go; Consul's `encrypt` key and `consul keyring -install/-use/
// -remove`), and the one-frame envelope of gossip streams. Pure: QtCore and OpenSSL's libcrypto,
// no sockets, timers, files or clocks; nonces and keys come from OpenSSL's CSPRNG.
//
// Sealed layout (memberlist's version 1, no padding), 29 bytes longer than the plaintext:
//
//     [version = 1][nonce: 12 random bytes][ciphertext][GCM tag: 16 bytes]
//
// AES-GCM; the key's size (16, 24 or 32 bytes) chooses AES-128/192/256, Consul's keygen makes 32.
// The additional authenticated data is the pool's label (or nothing); it is not sent, so a pool
// with another label fails authentication like one with another key. There is no replay
// protection (memberlist has none either): SWIM messages are idempotent or carry sequence numbers
// and incarnations.
//
// Stream envelope: a 4-byte big-endian length, then that many bytes (sealed or plain). One frame
// per direction and connection.
//
// Owner: GossipTransport holds one GossipSecurity per pool; the agent changes its keyring for
// rotation. Not thread-safe: one thread per GossipSecurity. Fuzzed by
// tests/fuzz/fuzz_gossip_packet.cpp.

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace conclave::net {

inline constexpr quint8 kGossipEncryptionVersion = 1;
inline constexpr int kGossipNonceSize = 12;
inline constexpr int kGossipTagSize = 16;
/// Bytes a sealed message adds to its plaintext.
inline constexpr int kGossipEncryptionOverhead = 1 + kGossipNonceSize + kGossipTagSize;
/// What generateGossipKey() makes (AES-256).
inline constexpr int kGossipKeySize = 32;
/// Stream frame length prefix.
inline constexpr int kGossipFrameHeaderSize = 4;

/// 16, 24 or 32 bytes (AES-128/192/256), as memberlist's ValidateKey.
bool isValidGossipKeySize(qsizetype size);
/// Standard base64 (Consul's `encrypt`) → key bytes; nullopt and a sentence in `error` when the
/// text is not base64 or the key has another size.
std::optional<QByteArray> decodeGossipKey(const QString &base64, QString *error);
QString encodeGossipKey(const QByteArray &key);
/// A new kGossipKeySize-byte key from OpenSSL's CSPRNG (RAND_bytes); empty if it failed.
QByteArray generateGossipKey();

/// Seals `plain` under `key` with a fresh random nonce. Empty if the key size is invalid or
/// OpenSSL fails (never silently plaintext).
QByteArray sealGossip(const QByteArray &key, const QByteArray &plain, const QByteArray &aad);
/// The plaintext, or nullopt if `sealed` is not version 1, is truncated, or fails authentication
/// under `key` and `aad`.
std::optional<QByteArray> openGossip(const QByteArray &key, const QByteArray &sealed,
                                     const QByteArray &aad);

/// The installed keys of a pool: the primary key seals, every installed key may open (so a key
/// can be rotated without a flag day: install everywhere, use everywhere, remove everywhere).
class GossipKeyring {
public:
    /// Adds a key (nothing if installed already); the first key becomes primary. False with a
    /// sentence in `error` if the size is invalid.
    bool install(const QByteArray &key, QString *error = nullptr);
    /// Makes an installed key primary.
    bool use(const QByteArray &key, QString *error = nullptr);
    /// Removes an installed key other than the primary one.
    bool remove(const QByteArray &key, QString *error = nullptr);

    /// Primary first.
    const QList<QByteArray> &keys() const { return m_keys; }
    QByteArray primaryKey() const { return m_keys.value(0); }
    bool isEmpty() const { return m_keys.isEmpty(); }

    /// Sealed under the primary key (empty if there is none).
    QByteArray seal(const QByteArray &plain, const QByteArray &aad) const;
    /// Tries the primary key first, then the others.
    std::optional<QByteArray> open(const QByteArray &sealed, const QByteArray &aad) const;

private:
    QList<QByteArray> m_keys;  // [0] is the primary key
};

/// A pool's gossip security: keyring, label and Consul's encrypt_verify_incoming/outgoing
/// (both true by default; false only while turning encryption on across a running cluster).
/// Encryption is on while the keyring holds a key.
struct GossipSecurity {
    GossipKeyring keyring;
    QByteArray label;  // additional authenticated data: the pool's label, or empty
    bool verifyIncoming = true;
    bool verifyOutgoing = true;

    bool isEncrypted() const { return !keyring.isEmpty(); }
    /// Bytes a packet grows by on the wire (kGossipEncryptionOverhead or 0).
    int overhead() const;
    /// What goes on the wire: sealed when encrypting outgoing messages, else `plain` as is.
    QByteArray seal(const QByteArray &plain) const;
    /// What came off the wire → the message to parse, or nullopt (failed authentication: drop
    /// it, count it, never parse it). With verifyIncoming false, bytes that do not open are taken
    /// as plaintext, as memberlist does.
    std::optional<QByteArray> open(const QByteArray &wire) const;
};

/// `payload` behind a 4-byte big-endian length.
QByteArray encodeGossipFrame(const QByteArray &payload);

/// Reads the one frame of a stream direction, bounded: a length of 0 or above maxPayload, or
/// bytes after the frame, are an error (the connection is dropped). Whatever is fed beyond the
/// frame's end is never buffered.
class GossipFrameReader {
public:
    enum class State { NeedMore, Complete, Error };

    explicit GossipFrameReader(qint64 maxPayload) : m_maxPayload(maxPayload) {}

    State feed(const char *data, qint64 size);
    State feed(const QByteArray &bytes) { return feed(bytes.constData(), bytes.size()); }
    State state() const { return m_state; }
    /// Bytes still missing before the frame is complete (at least 1 while NeedMore).
    qint64 missing() const;
    /// The payload, once Complete.
    const QByteArray &payload() const { return m_payload; }

private:
    qint64 m_maxPayload;
    State m_state = State::NeedMore;
    char m_header[kGossipFrameHeaderSize] = {};
    int m_headerFill = 0;
    qint64 m_length = -1;
    QByteArray m_payload;
};

}  // namespace conclave::net
