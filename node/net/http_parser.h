#pragma once
// Incremental HTTP/1.1 request parser: a pure function of the bytes fed so far (qBittorrent
// http/requestparser.h). No sockets. Handles Content-Length and chunked bodies, pipelined requests
// (bytes after one request stay buffered for the next), and enforces size limits.
//
// Owned by one connection (or a test / the fuzzer); not thread-safe, any single thread. The result
// never depends on how the bytes were split across feed() calls. It does not interpret methods,
// Host or Expect values beyond "100-continue", nor decode bodies (no gzip); Upgrade requests parse
// as ordinary requests (the server spots them before feeding, see http_server.h).

#include "net/http_types.h"

#include <QByteArray>
#include <QString>
#include <functional>

namespace conclave::net {

struct HttpParserLimits {
    int maxHeaderBytes = 64 * 1024;   // request line + headers → 431
    qint64 maxBodyBytes = 8 * 1024 * 1024;  // larger bodies → 413 (routes apply tighter limits)
    /// Optional: the body limit of one request, asked once its head is parsed (method, path and
    /// headers known, no body yet); lets a single route (PUT /v1/snapshot) take more than
    /// maxBodyBytes. Unset: maxBodyBytes for every request.
    std::function<qint64(const HttpRequest &head)> bodyLimit;
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

    /// True exactly once per request whose head (complete, valid) carried `Expect: 100-continue`
    /// and whose body has not fully arrived yet: the caller should now send `100 Continue`.
    bool takeContinueRequest();

private:
    enum class Phase { Head, FixedBody, ChunkSize, ChunkData, Trailers, Ready, Error };

    State parseHead();
    State parseFixedBody();
    State parseChunked();
    bool parseRequestLine(const char *begin, const char *end);
    bool parseHeaderLines(const char *begin, const char *end);
    bool parseTarget(const QByteArray &target);
    State fail(int status, const char *text);
    State ready();

    HttpParserLimits m_limits;
    QByteArray m_buffer;
    HttpRequest m_ready;
    int m_errorStatus = 0;
    QString m_errorText;

    Phase m_phase = Phase::Head;
    qsizetype m_scan = 0;          // where the search for the next '\n' resumes (never rescans)
    qsizetype m_lineStart = 0;     // Head/Trailers: start of the line being read
    qsizetype m_pos = 0;           // start of the unparsed part of the current request in m_buffer
    qint64 m_remaining = 0;        // FixedBody/ChunkData: body bytes still expected
    qint64 m_maxBody = 0;          // the current request's body limit (HttpParserLimits)
    bool m_expectContinue = false;
};

}  // namespace conclave::net
