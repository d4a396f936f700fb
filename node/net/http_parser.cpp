#include "net/http_parser.h"

#include <cstring>

// Grammar: RFC 9112 (HTTP/1.1 message syntax). Positions are offsets into m_buffer so nothing is
// copied until a request is complete; every decision waits until the bytes it depends on are
// buffered, which keeps the outcome independent of how the input was split.

namespace conclave::net {

namespace {

constexpr qsizetype kMaxChunkLine = 4096;  // chunk-size line incl. extensions

bool isTchar(unsigned char c)
{
    // RFC 9110 §5.6.2 token characters.
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool isToken(const char *b, const char *e)
{
    if (b == e)
        return false;
    for (; b != e; ++b) {
        if (!isTchar(static_cast<unsigned char>(*b)))
            return false;
    }
    return true;
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool isWs(char c) { return c == ' ' || c == '\t'; }

/// Percent-decodes [b, e) into out ('+' → space when plusAsSpace). False on a malformed escape.
bool percentDecode(const char *b, const char *e, bool plusAsSpace, QByteArray &out)
{
    const qsizetype n = e - b;
    if (!std::memchr(b, '%', size_t(n)) && !(plusAsSpace && std::memchr(b, '+', size_t(n)))) {
        out = QByteArray(b, n);
        return true;
    }
    out.resize(n);
    char *o = out.data();
    for (const char *p = b; p != e; ++p) {
        if (*p == '%') {
            if (e - p < 3)
                return false;
            const int hi = hexValue(p[1]);
            const int lo = hexValue(p[2]);
            if (hi < 0 || lo < 0)
                return false;
            *o++ = char(hi * 16 + lo);
            p += 2;
        } else if (plusAsSpace && *p == '+') {
            *o++ = ' ';
        } else {
            *o++ = *p;
        }
    }
    out.truncate(o - out.constData());
    return true;
}

/// Splits a comma-separated header value into trimmed, non-empty elements.
QList<QByteArray> splitList(const QByteArray &value)
{
    QList<QByteArray> out;
    for (const QByteArray &part : value.split(',')) {
        const QByteArray t = part.trimmed();
        if (!t.isEmpty())
            out.append(t);
    }
    return out;
}

bool equalsIgnoreCase(const QByteArray &a, const char *b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

}  // namespace

void HttpParser::feed(const QByteArray &bytes)
{
    if (m_buffer.isEmpty())
        m_buffer = bytes;  // implicit sharing: no copy for the common one-read-one-request case
    else
        m_buffer.append(bytes);
}

bool HttpParser::takeContinueRequest()
{
    if (!m_expectContinue)
        return false;
    m_expectContinue = false;
    return m_phase == Phase::FixedBody || m_phase == Phase::ChunkSize
        || m_phase == Phase::ChunkData || m_phase == Phase::Trailers;
}

HttpParser::State HttpParser::parse()
{
    switch (m_phase) {
    case Phase::Ready:
        return State::Ready;
    case Phase::Error:
        return State::Error;
    case Phase::Head:
        return parseHead();
    case Phase::FixedBody:
        return parseFixedBody();
    case Phase::ChunkSize:
    case Phase::ChunkData:
    case Phase::Trailers:
        return parseChunked();
    }
    return State::Incomplete;
}

HttpRequest HttpParser::take()
{
    if (m_phase != Phase::Ready)
        return HttpRequest();
    HttpRequest out = std::move(m_ready);
    m_ready = HttpRequest();
    m_buffer.remove(0, m_pos);  // front removal only moves Qt 6's begin pointer
    m_pos = 0;
    m_scan = 0;
    m_lineStart = 0;
    m_remaining = 0;
    m_expectContinue = false;
    m_phase = Phase::Head;
    return out;
}

HttpParser::State HttpParser::fail(int status, const char *text)
{
    m_phase = Phase::Error;
    m_errorStatus = status;
    m_errorText = QString::fromLatin1(text);
    m_expectContinue = false;
    return State::Error;
}

HttpParser::State HttpParser::ready()
{
    m_phase = Phase::Ready;
    return State::Ready;
}

HttpParser::State HttpParser::parseHead()
{
    // m_pos: start of the request line (after tolerated leading blank lines). The head is measured
    // from the buffer start, i.e. the request start.
    const char *data = m_buffer.constData();
    const qsizetype size = m_buffer.size();
    qsizetype headEnd = -1;
    while (m_scan < size) {
        const void *nl = std::memchr(data + m_scan, '\n', size_t(size - m_scan));
        if (!nl) {
            m_scan = size;
            break;
        }
        const qsizetype i = static_cast<const char *>(nl) - data;
        qsizetype lineLen = i - m_lineStart;
        if (lineLen > 0 && data[i - 1] == '\r')
            --lineLen;
        if (lineLen == 0) {
            if (m_lineStart == m_pos) {
                m_pos = m_lineStart = m_scan = i + 1;  // blank line before the request line (RFC 9112 §2.2)
                continue;
            }
            headEnd = i + 1;
            break;
        }
        m_lineStart = m_scan = i + 1;
    }
    if (headEnd < 0) {
        // No blank line yet: once the limit is reached the head can only end beyond it. Deciding
        // now cuts a slowloris that sends header bytes forever.
        if (size >= m_limits.maxHeaderBytes)
            return fail(431, "Request header fields too large.");
        return State::Incomplete;
    }
    if (headEnd > m_limits.maxHeaderBytes)
        return fail(431, "Request header fields too large.");

    // Request line.
    const char *lineBegin = data + m_pos;
    const char *headLimit = data + headEnd;
    const char *nl = static_cast<const char *>(std::memchr(lineBegin, '\n', size_t(headLimit - lineBegin)));
    const char *lineEnd = (nl > lineBegin && nl[-1] == '\r') ? nl - 1 : nl;
    if (!parseRequestLine(lineBegin, lineEnd))
        return State::Error;
    if (!parseHeaderLines(nl + 1, headLimit))
        return State::Error;

    // Interpret the framing headers (RFC 9112 §6).
    QByteArray contentLength;
    bool haveContentLength = false;
    QByteArray transferEncoding;
    bool haveTransferEncoding = false;
    bool connClose = false;
    bool connKeepAlive = false;
    bool expectContinue = false;
    for (const auto &h : m_ready.headers) {
        const QByteArray &name = h.first;
        if (name == "content-length") {
            for (const QByteArray &v : h.second.split(',')) {
                const QByteArray t = v.trimmed();
                if (t.isEmpty())
                    return fail(400, "Invalid Content-Length.");
                for (char c : t) {
                    if (c < '0' || c > '9')
                        return fail(400, "Invalid Content-Length.");
                }
                if (haveContentLength && t != contentLength)
                    return fail(400, "Conflicting Content-Length values.");
                contentLength = t;
                haveContentLength = true;
            }
        } else if (name == "transfer-encoding") {
            if (haveTransferEncoding)
                transferEncoding += ',';
            transferEncoding += h.second;
            haveTransferEncoding = true;
        } else if (name == "connection") {
            for (const QByteArray &token : splitList(h.second)) {
                if (equalsIgnoreCase(token, "close"))
                    connClose = true;
                else if (equalsIgnoreCase(token, "keep-alive"))
                    connKeepAlive = true;
            }
        } else if (name == "expect") {
            if (equalsIgnoreCase(h.second, "100-continue"))
                expectContinue = true;
        }
    }
    m_ready.keepAlive = m_ready.versionMinor >= 1 ? !connClose : (connKeepAlive && !connClose);

    m_maxBody = m_limits.bodyLimit ? m_limits.bodyLimit(m_ready) : m_limits.maxBodyBytes;
    bool chunked = false;
    qint64 length = 0;
    if (haveTransferEncoding) {
        if (haveContentLength)
            return fail(400, "Both Transfer-Encoding and Content-Length were sent.");
        const QList<QByteArray> codings = splitList(transferEncoding);
        if (codings.isEmpty())
            return fail(400, "Invalid Transfer-Encoding.");
        if (codings.size() != 1 || !equalsIgnoreCase(codings.first(), "chunked"))
            return fail(501, "Unsupported transfer coding.");
        chunked = true;
    } else if (haveContentLength) {
        qsizetype z = 0;
        while (z < contentLength.size() - 1 && contentLength[z] == '0')
            ++z;
        const QByteArray digits = contentLength.mid(z);
        if (digits.size() > 18)
            return fail(413, "Request body too large.");
        length = digits.toLongLong();
        if (length > m_maxBody)
            return fail(413, "Request body too large.");
    }

    m_pos = headEnd;
    if (chunked) {
        m_phase = Phase::ChunkSize;
        m_scan = m_pos;
        m_expectContinue = expectContinue && m_ready.versionMinor >= 1;
        return parseChunked();
    }
    if (length > 0) {
        m_phase = Phase::FixedBody;
        m_remaining = length;
        m_expectContinue = expectContinue && m_ready.versionMinor >= 1;
        return parseFixedBody();
    }
    return ready();
}

bool HttpParser::parseRequestLine(const char *begin, const char *end)
{
    const char *sp1 = static_cast<const char *>(std::memchr(begin, ' ', size_t(end - begin)));
    const char *sp2 = end;
    while (sp2 > begin && sp2[-1] != ' ')
        --sp2;
    // sp2 is one past the last space (begin if there is none)
    if (!sp1 || sp2 - 1 <= sp1) {
        fail(400, "Malformed request line.");
        return false;
    }
    --sp2;
    if (!isToken(begin, sp1)) {
        fail(400, "Malformed request method.");
        return false;
    }
    const char *v = sp2 + 1;
    const qsizetype vlen = end - v;
    if (vlen < 6 || std::memcmp(v, "HTTP/", 5) != 0) {
        fail(400, "Malformed request line.");
        return false;
    }
    // HTTP-version = "HTTP/" DIGIT "." DIGIT; anything else that looks like a version is one we
    // do not speak.
    const bool wellFormed = vlen == 8 && v[5] >= '0' && v[5] <= '9' && v[6] == '.' && v[7] >= '0' && v[7] <= '9';
    if (!wellFormed) {
        for (qsizetype i = 5; i < vlen; ++i) {
            if (!((v[i] >= '0' && v[i] <= '9') || v[i] == '.')) {
                fail(400, "Malformed request line.");
                return false;
            }
        }
        fail(505, "HTTP version not supported.");
        return false;
    }
    if (v[5] != '1') {
        fail(505, "HTTP version not supported.");
        return false;
    }
    m_ready.versionMinor = v[7] - '0';
    m_ready.method = QByteArray(begin, sp1 - begin);
    return parseTarget(QByteArray(sp1 + 1, sp2 - sp1 - 1));
}

bool HttpParser::parseHeaderLines(const char *p, const char *headLimit)
{
    while (p < headLimit) {
        const char *nl = static_cast<const char *>(std::memchr(p, '\n', size_t(headLimit - p)));
        const char *end = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
        if (end == p)
            break;  // the blank line that ends the head
        if (isWs(*p)) {
            fail(400, "Obsolete header line folding is not supported.");
            return false;
        }
        const char *colon = static_cast<const char *>(std::memchr(p, ':', size_t(end - p)));
        if (!colon || !isToken(p, colon)) {
            fail(400, "Malformed header line.");
            return false;
        }
        const char *vb = colon + 1;
        const char *ve = end;
        while (vb < ve && isWs(*vb))
            ++vb;
        while (ve > vb && isWs(ve[-1]))
            --ve;
        for (const char *c = vb; c != ve; ++c) {
            const auto u = static_cast<unsigned char>(*c);
            if ((u < 0x20 && u != '\t') || u == 0x7f) {
                fail(400, "Invalid character in header value.");
                return false;
            }
        }
        m_ready.headers.append({QByteArray(p, colon - p).toLower(), QByteArray(vb, ve - vb)});
        p = nl + 1;
    }
    return true;
}

bool HttpParser::parseTarget(const QByteArray &rawTarget)
{
    for (char c : rawTarget) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) {
            fail(400, "Invalid request target.");
            return false;
        }
    }
    if (rawTarget == "*") {
        if (m_ready.method != "OPTIONS") {
            fail(400, "Request target must start with '/'.");
            return false;
        }
        m_ready.target = rawTarget;
        m_ready.path = QStringLiteral("*");
        return true;
    }
    QByteArray target = rawTarget;
    if (!target.startsWith('/')) {
        // absolute-form (RFC 9112 §3.2.2): drop scheme and authority.
        qsizetype schemeLen = 0;
        if (target.size() >= 7 && equalsIgnoreCase(target.left(7), "http://"))
            schemeLen = 7;
        else if (target.size() >= 8 && equalsIgnoreCase(target.left(8), "https://"))
            schemeLen = 8;
        if (schemeLen == 0) {
            fail(400, "Request target must start with '/'.");
            return false;
        }
        qsizetype i = schemeLen;
        while (i < target.size() && target[i] != '/' && target[i] != '?' && target[i] != '#')
            ++i;
        if (i == schemeLen) {
            fail(400, "Invalid request target.");
            return false;
        }
        target = target.mid(i);
        if (!target.startsWith('/'))
            target.prepend('/');
    }
    m_ready.target = target;

    const char *b = target.constBegin();
    const char *e = target.constEnd();
    if (const void *hash = std::memchr(b, '#', size_t(e - b)))
        e = static_cast<const char *>(hash);
    const char *q = static_cast<const char *>(std::memchr(b, '?', size_t(e - b)));
    const char *pathEnd = q ? q : e;

    QByteArray decoded;
    if (!percentDecode(b, pathEnd, false, decoded)) {
        fail(400, "Invalid percent-encoding in path.");
        return false;
    }
    for (char c : decoded) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            fail(400, "Invalid path");
            return false;
        }
    }
    m_ready.path = QString::fromUtf8(decoded);

    if (q) {
        const char *p = q + 1;
        while (p <= e) {
            const char *amp = static_cast<const char *>(std::memchr(p, '&', size_t(e - p)));
            const char *segEnd = amp ? amp : e;
            if (segEnd != p) {
                const char *eq = static_cast<const char *>(std::memchr(p, '=', size_t(segEnd - p)));
                QByteArray name;
                QByteArray value;
                if (!percentDecode(p, eq ? eq : segEnd, true, name)
                    || (eq && !percentDecode(eq + 1, segEnd, true, value))) {
                    fail(400, "Invalid percent-encoding in query.");
                    return false;
                }
                m_ready.query.append({QString::fromUtf8(name), QString::fromUtf8(value)});
            }
            if (!amp)
                break;
            p = amp + 1;
        }
    }
    return true;
}

HttpParser::State HttpParser::parseFixedBody()
{
    if (m_buffer.size() - m_pos < m_remaining)
        return State::Incomplete;
    m_ready.body = m_buffer.mid(m_pos, m_remaining);
    m_pos += m_remaining;
    m_remaining = 0;
    return ready();
}

HttpParser::State HttpParser::parseChunked()
{
    // RFC 9112 §7.1. Consumed chunk bytes are dropped as we go: the head is already parsed.
    for (;;) {
        if (m_pos > 0 && m_phase != Phase::Trailers) {
            m_buffer.remove(0, m_pos);
            m_scan -= m_pos;
            m_lineStart = 0;
            m_pos = 0;
        }
        const char *data = m_buffer.constData();
        const qsizetype size = m_buffer.size();
        if (m_phase == Phase::ChunkSize) {
            const void *nlp = m_scan < size ? std::memchr(data + m_scan, '\n', size_t(size - m_scan)) : nullptr;
            if (!nlp) {
                if (size - m_pos > kMaxChunkLine)
                    return fail(400, "Invalid chunk size.");
                m_scan = size;
                return State::Incomplete;
            }
            const qsizetype i = static_cast<const char *>(nlp) - data;
            if (i - m_pos > kMaxChunkLine)
                return fail(400, "Invalid chunk size.");
            const char *p = data + m_pos;
            const char *end = data + i;
            if (end > p && end[-1] == '\r')
                --end;
            qint64 chunkSize = 0;
            const char *digits = p;
            while (p < end && hexValue(*p) >= 0) {
                chunkSize = chunkSize * 16 + hexValue(*p);
                if (chunkSize > m_maxBody)
                    return fail(413, "Request body too large.");
                ++p;
            }
            if (p == digits)
                return fail(400, "Invalid chunk size.");
            while (p < end && isWs(*p))
                ++p;
            if (p < end && *p != ';')
                return fail(400, "Invalid chunk size.");
            // chunk extensions after ';' are ignored
            if (m_ready.body.size() + chunkSize > m_maxBody)
                return fail(413, "Request body too large.");
            m_pos = i + 1;
            m_scan = m_pos;
            if (chunkSize == 0) {
                m_lineStart = m_pos;
                m_phase = Phase::Trailers;
                continue;
            }
            m_remaining = chunkSize;
            m_phase = Phase::ChunkData;
            continue;
        }
        if (m_phase == Phase::ChunkData) {
            const qsizetype avail = size - m_pos;
            if (avail < m_remaining + 1)
                return State::Incomplete;
            const char after = data[m_pos + m_remaining];
            qsizetype eol = 1;
            if (after == '\r') {
                if (avail < m_remaining + 2)
                    return State::Incomplete;
                if (data[m_pos + m_remaining + 1] != '\n')
                    return fail(400, "Malformed chunked body.");
                eol = 2;
            } else if (after != '\n') {
                return fail(400, "Malformed chunked body.");
            }
            m_ready.body.append(data + m_pos, m_remaining);
            m_pos += m_remaining + eol;
            m_scan = m_pos;
            m_remaining = 0;
            m_phase = Phase::ChunkSize;
            continue;
        }
        // Trailers: m_pos is where they start; skip lines up to the blank one.
        while (m_scan < size) {
            const void *nlp = std::memchr(data + m_scan, '\n', size_t(size - m_scan));
            if (!nlp) {
                m_scan = size;
                break;
            }
            const qsizetype i = static_cast<const char *>(nlp) - data;
            qsizetype lineLen = i - m_lineStart;
            if (lineLen > 0 && data[i - 1] == '\r')
                --lineLen;
            if (i + 1 - m_pos > m_limits.maxHeaderBytes)
                return fail(431, "Request header fields too large.");
            if (lineLen == 0) {
                m_pos = i + 1;
                return ready();
            }
            m_lineStart = m_scan = i + 1;
        }
        if (size - m_pos >= m_limits.maxHeaderBytes)
            return fail(431, "Request header fields too large.");
        return State::Incomplete;
    }
}

}  // namespace conclave::net
