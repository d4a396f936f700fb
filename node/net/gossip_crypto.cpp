#include "net/gossip_crypto.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <memory>

namespace conclave::net {

namespace {

struct CipherCtxDeleter {
    void operator()(EVP_CIPHER_CTX *ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

const EVP_CIPHER *gcmFor(qsizetype keySize)
{
    switch (keySize) {
    case 16:
        return EVP_aes_128_gcm();
    case 24:
        return EVP_aes_192_gcm();
    case 32:
        return EVP_aes_256_gcm();
    default:
        return nullptr;
    }
}

const unsigned char *bytes(const QByteArray &b)
{
    return reinterpret_cast<const unsigned char *>(b.constData());
}

// OpenSSL counts in int; gossip messages are far below this (frames ≤ tens of MiB).
constexpr qsizetype kMaxCryptSize = INT_MAX - 64;

}  // namespace

bool isValidGossipKeySize(qsizetype size)
{
    return gcmFor(size) != nullptr;
}

std::optional<QByteArray> decodeGossipKey(const QString &base64, QString *error)
{
    const QByteArray text = base64.trimmed().toLatin1();
    const QByteArray::FromBase64Result decoded =
        QByteArray::fromBase64Encoding(text, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || text.isEmpty() || text.size() % 4 != 0) {
        if (error)
            *error = QStringLiteral("invalid key: not standard base64");
        return std::nullopt;
    }
    if (!isValidGossipKeySize(decoded.decoded.size())) {
        if (error)
            *error = QStringLiteral("invalid key: key size must be 16, 24 or 32 bytes (got %1)")
                         .arg(decoded.decoded.size());
        return std::nullopt;
    }
    return decoded.decoded;
}

QString encodeGossipKey(const QByteArray &key)
{
    return QString::fromLatin1(key.toBase64());
}

QByteArray generateGossipKey()
{
    QByteArray key(kGossipKeySize, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(key.data()), int(key.size())) != 1)
        return {};
    return key;
}

QByteArray sealGossip(const QByteArray &key, const QByteArray &plain, const QByteArray &aad)
{
    const EVP_CIPHER *cipher = gcmFor(key.size());
    if (!cipher || plain.size() > kMaxCryptSize || aad.size() > kMaxCryptSize)
        return {};
    QByteArray out(kGossipEncryptionOverhead + plain.size(), Qt::Uninitialized);
    auto *o = reinterpret_cast<unsigned char *>(out.data());
    o[0] = kGossipEncryptionVersion;
    unsigned char *nonce = o + 1;
    unsigned char *ct = nonce + kGossipNonceSize;
    unsigned char *tag = ct + plain.size();
    if (RAND_bytes(nonce, kGossipNonceSize) != 1)
        return {};
    const CipherCtx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, bytes(key), nonce) != 1)
        return {};
    if (!aad.isEmpty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(aad), int(aad.size())) != 1)
        return {};
    if (!plain.isEmpty() && EVP_EncryptUpdate(ctx.get(), ct, &len, bytes(plain), int(plain.size())) != 1)
        return {};
    if (EVP_EncryptFinal_ex(ctx.get(), ct + plain.size(), &len) != 1
        || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGossipTagSize, tag) != 1)
        return {};
    return out;
}

std::optional<QByteArray> openGossip(const QByteArray &key, const QByteArray &sealed,
                                     const QByteArray &aad)
{
    const EVP_CIPHER *cipher = gcmFor(key.size());
    if (!cipher || sealed.size() < kGossipEncryptionOverhead || sealed.size() > kMaxCryptSize
        || aad.size() > kMaxCryptSize || quint8(sealed.at(0)) != kGossipEncryptionVersion)
        return std::nullopt;
    const unsigned char *in = bytes(sealed);
    const unsigned char *nonce = in + 1;
    const unsigned char *ct = nonce + kGossipNonceSize;
    const int ctSize = int(sealed.size()) - kGossipEncryptionOverhead;
    // EVP_CTRL_GCM_SET_TAG takes a non-const pointer; give it a copy.
    unsigned char tag[kGossipTagSize];
    std::copy(ct + ctSize, ct + ctSize + kGossipTagSize, tag);

    QByteArray plain(ctSize, Qt::Uninitialized);
    const CipherCtx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, bytes(key), nonce) != 1)
        return std::nullopt;
    if (!aad.isEmpty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(aad), int(aad.size())) != 1)
        return std::nullopt;
    auto *p = reinterpret_cast<unsigned char *>(plain.data());
    if (ctSize > 0 && EVP_DecryptUpdate(ctx.get(), p, &len, ct, ctSize) != 1)
        return std::nullopt;
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGossipTagSize, tag) != 1)
        return std::nullopt;
    // GCM writes nothing at the end; the final call only checks the tag.
    unsigned char sink[16];
    if (EVP_DecryptFinal_ex(ctx.get(), sink, &len) != 1)
        return std::nullopt;
    return plain;
}

// ---------------------------------------------------------------------------------- keyring

bool GossipKeyring::install(const QByteArray &key, QString *error)
{
    if (!isValidGossipKeySize(key.size())) {
        if (error)
            *error = QStringLiteral("key size must be 16, 24 or 32 bytes");
        return false;
    }
    if (!m_keys.contains(key))
        m_keys.append(key);
    return true;
}

bool GossipKeyring::use(const QByteArray &key, QString *error)
{
    const qsizetype i = m_keys.indexOf(key);
    if (i < 0) {
        if (error)
            *error = QStringLiteral("requested key is not in the keyring");
        return false;
    }
    m_keys.move(i, 0);
    return true;
}

bool GossipKeyring::remove(const QByteArray &key, QString *error)
{
    const qsizetype i = m_keys.indexOf(key);
    if (i == 0) {
        if (error)
            *error = QStringLiteral("removing the primary key is not allowed");
        return false;
    }
    if (i < 0) {
        if (error)
            *error = QStringLiteral("requested key is not in the keyring");
        return false;
    }
    m_keys.removeAt(i);
    return true;
}

QByteArray GossipKeyring::seal(const QByteArray &plain, const QByteArray &aad) const
{
    return m_keys.isEmpty() ? QByteArray() : sealGossip(m_keys.first(), plain, aad);
}

std::optional<QByteArray> GossipKeyring::open(const QByteArray &sealed, const QByteArray &aad) const
{
    for (const QByteArray &key : m_keys) {
        if (std::optional<QByteArray> plain = openGossip(key, sealed, aad))
            return plain;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------- policy

int GossipSecurity::overhead() const
{
    return isEncrypted() && verifyOutgoing ? kGossipEncryptionOverhead : 0;
}

QByteArray GossipSecurity::seal(const QByteArray &plain) const
{
    return overhead() > 0 ? keyring.seal(plain, label) : plain;
}

std::optional<QByteArray> GossipSecurity::open(const QByteArray &wire) const
{
    if (!isEncrypted())
        return wire;
    if (std::optional<QByteArray> plain = keyring.open(wire, label))
        return plain;
    if (!verifyIncoming)
        return wire;
    return std::nullopt;
}

// ---------------------------------------------------------------------------------- frames

QByteArray encodeGossipFrame(const QByteArray &payload)
{
    QByteArray out;
    out.reserve(kGossipFrameHeaderSize + payload.size());
    const quint32 n = quint32(payload.size());
    out.append(char(n >> 24)).append(char(n >> 16)).append(char(n >> 8)).append(char(n));
    out.append(payload);
    return out;
}

qint64 GossipFrameReader::missing() const
{
    if (m_state != State::NeedMore)
        return 0;
    if (m_length < 0)
        return kGossipFrameHeaderSize - m_headerFill;
    return m_length - m_payload.size();
}

GossipFrameReader::State GossipFrameReader::feed(const char *data, qint64 size)
{
    while (size > 0 && m_state == State::NeedMore) {
        if (m_length < 0) {
            const int take = int(qMin<qint64>(size, kGossipFrameHeaderSize - m_headerFill));
            std::copy(data, data + take, m_header + m_headerFill);
            m_headerFill += take;
            data += take;
            size -= take;
            if (m_headerFill < kGossipFrameHeaderSize)
                break;
            const auto *h = reinterpret_cast<const unsigned char *>(m_header);
            m_length = (qint64(h[0]) << 24) | (qint64(h[1]) << 16) | (qint64(h[2]) << 8) | qint64(h[3]);
            if (m_length == 0 || m_length > m_maxPayload) {
                m_state = State::Error;
                break;
            }
            continue;
        }
        const qint64 take = qMin(size, m_length - m_payload.size());
        m_payload.append(data, take);
        data += take;
        size -= take;
        if (m_payload.size() == m_length)
            m_state = State::Complete;
    }
    if (size > 0 && m_state == State::Complete)
        m_state = State::Error;  // bytes after the one frame
    return m_state;
}

}  // namespace conclave::net
