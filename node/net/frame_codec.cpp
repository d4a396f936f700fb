#include "net/frame_codec.h"

#include <QCborMap>
#include <QCborValue>
#include <QtEndian>

namespace conclave::net {

namespace {

const QString kType = QStringLiteral("type");
const QString kVersion = QStringLiteral("version");
const QString kPayload = QStringLiteral("payload");

bool readUInt32(const QCborValue &v, quint32 *out)
{
    if (!v.isInteger() || v.toInteger() < 0 || v.toInteger() > qint64(0xffffffffu))
        return false;
    *out = quint32(v.toInteger());
    return true;
}

}  // namespace

QByteArray encodeFrame(const Frame &frame)
{
    QCborMap map;
    map.insert(kType, qint64(frame.type));
    map.insert(kVersion, qint64(frame.version));
    map.insert(kPayload, frame.payload);
    const QByteArray body = map.toCborValue().toCbor();
    QByteArray out(4, Qt::Uninitialized);
    qToBigEndian(quint32(body.size()), out.data());
    out.append(body);
    return out;
}

std::optional<Frame> decodeFrameBody(const QByteArray &body, QString *error)
{
    auto fail = [&](const QString &why) -> std::optional<Frame> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    QCborParserError parseError;
    const QCborValue value = QCborValue::fromCbor(body, &parseError);
    if (parseError.error != QCborError::NoError)
        return fail(QStringLiteral("malformed CBOR in frame: %1").arg(parseError.errorString()));
    if (parseError.offset != body.size())
        return fail(QStringLiteral("trailing bytes after the frame's CBOR value"));
    if (!value.isMap())
        return fail(QStringLiteral("a frame must be a CBOR map"));
    const QCborMap map = value.toMap();
    Frame frame;
    if (!readUInt32(map.value(kType), &frame.type))
        return fail(QStringLiteral("frame without a valid \"type\""));
    if (!readUInt32(map.value(kVersion), &frame.version))
        return fail(QStringLiteral("frame without a valid \"version\""));
    const QCborValue payload = map.value(kPayload);
    if (!payload.isByteArray())
        return fail(QStringLiteral("frame without a \"payload\" byte string"));
    frame.payload = payload.toByteArray();
    return frame;
}

void FrameDecoder::feed(const char *data, qint64 size)
{
    if (hasError() || size <= 0)
        return;
    if (m_offset > 0 && m_offset >= m_buffer.size() / 2) {
        m_buffer.remove(0, m_offset);
        m_offset = 0;
    }
    m_buffer.append(data, size);
}

std::optional<Frame> FrameDecoder::next()
{
    if (hasError() || bufferedBytes() < 4)
        return std::nullopt;
    const quint32 length = qFromBigEndian<quint32>(m_buffer.constData() + m_offset);
    if (qint64(length) > m_maxFrameSize) {
        m_error = QStringLiteral("frame of %1 bytes exceeds the limit of %2").arg(length).arg(m_maxFrameSize);
        return std::nullopt;
    }
    if (bufferedBytes() < 4 + qint64(length))
        return std::nullopt;
    const QByteArray body = m_buffer.mid(m_offset + 4, length);
    m_offset += 4 + qint64(length);
    if (m_offset == m_buffer.size()) {
        m_buffer.clear();
        m_offset = 0;
    }
    QString why;
    std::optional<Frame> frame = decodeFrameBody(body, &why);
    if (!frame)
        m_error = why;
    return frame;
}

}  // namespace conclave::net
