#pragma once
// Incremental HTTP/1.1 request parser: a pure function of the bytes fed so far (qBittorrent
// http/requestparser.h). No sockets. Handles Content-Length and chunked bodies, pipelined requests
// (bytes after one request stay buffered for the next), and enforces size limits.

#include "net/http_types.h"

#include <QByteArray>
#include <QString>

namespace conclave::net {

struct HttpParserLimits {
    int maxHeaderBytes = 64 * 1024;   // request line + headers → 431
    qint64 maxBodyBytes = 8 * 1024 * 1024;  // larger bodies → 413 (routes apply tighter limits)
};

class HttpParser {
public:
    enum class State { Incomplete, Ready, Error };

    explicit HttpParser(HttpParserLimits limits = {}) : m_limits(limits) {}

    /// Appends bytes to the buffer.
    void feed(const QByteArray &bytes);
    /// Tries to parse one request from the buffer. Ready: `take()` returns it and the consumed bytes
    /// are dropped. Error: errorStatus()/errorText() say why; the connection must be closed after
    /// answering. Incomplete: feed more.
    State parse();
    HttpRequest take();

    int errorStatus() const { return m_errorStatus; }      // 400, 413, 431, 501, 505
    QString errorText() const { return m_errorText; }
    qint64 bufferedBytes() const { return m_buffer.size(); }

private:
    HttpParserLimits m_limits;
    QByteArray m_buffer;
    HttpRequest m_ready;
    int m_errorStatus = 0;
    QString m_errorText;
    // internal parse state is the implementer's choice
};

}  // namespace conclave::net
