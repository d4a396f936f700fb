#pragma once
// Integration-test helpers: run a real `conclave agent -dev` as a child process and talk HTTP to it.
// Test code only: these helpers spin nested event loops (QTest::qWaitFor, QEventLoop) on purpose,
// which product code must never do.

#include <QByteArray>
#include <QMap>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <memory>

class QTemporaryDir;

namespace conclave::support {

/// Path of the `conclave` binary under test. The environment variable CONCLAVE_BINARY wins (to
/// point a test at another build); otherwise the CONCLAVE_BINARY compile definition that
/// conclave_link_agent_binary() (tests/support/CMakeLists.txt) sets to $<TARGET_FILE:conclave>.
/// Empty when neither exists (the agent target was not configured): tests should QSKIP then.
/// Inline on purpose: the definition is set on the test target, not on this library.
inline QString agentBinaryPath()
{
    const QByteArray fromEnv = qgetenv("CONCLAVE_BINARY");
    if (!fromEnv.isEmpty())
        return QString::fromLocal8Bit(fromEnv);
#ifdef CONCLAVE_BINARY
    return QStringLiteral(CONCLAVE_BINARY);
#else
    return {};
#endif
}

/// Free TCP ports on 127.0.0.1, `count` distinct ones (all held at once while picking, then
/// released). For the server ports of a multi-server cluster, which must be known before the
/// servers start (-retry-join) and kept across restarts. Another process may take a port in the
/// gap before the agent binds it; rare on loopback, and start() then fails visibly. Empty on error.
QList<quint16> freeLoopbackPorts(int count);

/// One `conclave agent -dev` child process, for integration tests (STYLE.md §6 Integration).
///
/// start() launches `<binary> agent -dev -http-port 0 -dns-port 0 -server-port 0 -serf-lan-port 0
/// -serf-wan-port 0 -data-dir <dir> <extraArgs…>` (later flags win, so extraArgs can override any
/// of these), collects stdout and stderr (merged) into log() as they arrive, and returns once the
/// agent has logged Consul's `Started HTTP server on <ip>:<port> (tcp)` line, whose port becomes
/// httpPort(). setDevMode(false) leaves `-dev` out, for the servers of a multi-server cluster
/// (`-dev` implies `-bootstrap`, which excludes `-bootstrap-expect`).
/// The data dir is a QTemporaryDir owned by this object unless setDataDir() gave one, and it
/// survives kill9()/terminate() so that a restart with start() reuses it (crash/recovery tests).
///
/// Owned by the test (a member or a local); lives on the test thread. Signals are sent only to its
/// own child PID. The destructor SIGKILLs a child still running and reaps it.
/// Of the other ports it reads only DNS (dnsPort()); use waitForLog() or /v1/agent/self for more.
class AgentProcess : public QObject
{
    Q_OBJECT
public:
    explicit AgentProcess(QString binaryPath = agentBinaryPath(), QObject *parent = nullptr);
    ~AgentProcess() override;

    /// Starts the agent and waits (event loop running) up to timeoutMs for the HTTP line.
    /// False if the binary is missing, the process exits first, or the deadline passes; the reason
    /// is in errorString() and the output in log(). A child that did not become ready is killed.
    bool start(const QStringList &extraArgs = {}, int timeoutMs = 15000);

    /// Waits (event loop running) until `needle` appears in output produced since the last start().
    bool waitForLog(const QByteArray &needle, int timeoutMs = 15000);

    qint64 pid() const { return m_pid; }            // PID of the last started child, 0 before
    quint16 httpPort() const { return m_httpPort; }  // 0 until start() succeeded
    QString httpHost() const { return m_httpHost; }  // address from the log line, e.g. 127.0.0.1
    QString baseUrl() const;                          // "http://127.0.0.1:<port>"
    /// Port from a `Started DNS server … <ip>:<port> …` line of the current run, 0 if none yet.
    quint16 dnsPort() const;
    bool isRunning() const;

    /// The data dir in use (created on first start() if none was set).
    QString dataDir() const;
    /// Uses `dir` for the next start() instead of the owned temporary dir.
    void setDataDir(const QString &dir);
    /// Whether the next start() passes `-dev` (the default: true).
    void setDevMode(bool on) { m_devMode = on; }

    /// SIGKILL to the child's PID, then waits for it to exit. True once it is gone.
    bool kill9(int timeoutMs = 10000);
    /// SIGTERM to the child's PID, then waits for it to exit. True if it exited normally with code
    /// 0 before the deadline; otherwise it is SIGKILLed and the result is false.
    bool terminate(int timeoutMs = 10000);

    int exitCode() const { return m_exitCode; }
    QProcess::ExitStatus exitStatus() const { return m_exitStatus; }

    /// Everything the child(ren) printed, each run preceded by a `=== start: <command>` line.
    QByteArray log() const { return m_log; }
    QString errorString() const { return m_error; }
    /// Prints log() through qWarning when the current test function has failed. Call it from
    /// cleanup() (or a scope guard) so failures come with the agent's side of the story.
    void dumpLogOnFailure() const;

private:
    void onReadyRead();
    void maybeParseHttpLine();
    void ensureDataDir();

    QString m_binary;
    QProcess m_process;
    std::unique_ptr<QTemporaryDir> m_tempDir;
    QString m_dataDir;
    QByteArray m_log;
    qsizetype m_runLogStart = 0;  // offset in m_log where the current run's output begins
    qint64 m_pid = 0;
    quint16 m_httpPort = 0;
    QString m_httpHost;
    int m_exitCode = -1;
    QProcess::ExitStatus m_exitStatus = QProcess::NormalExit;
    bool m_finished = true;
    bool m_devMode = true;
    QString m_error;
};

/// Outcome of httpRequest(). `ok` means an HTTP response arrived (any status, 404 included);
/// when false, `error` says why (connection refused, timeout…) and `status` is 0.
struct HttpResult
{
    int status = 0;
    QByteArray body;
    QMap<QByteArray, QByteArray> headers;  // names as the server spelled them
    bool ok = false;
    QString error;

    /// Case-insensitive header lookup (HTTP header names are case-insensitive).
    QByteArray header(const QByteArray &name) const;
};

/// Sends one request and waits for the answer with a local event loop (test code only).
/// No proxy is used, whatever the environment says. `body` is sent as-is (with a
/// Content-Type of application/octet-stream unless `headers` sets one).
HttpResult httpRequest(const QByteArray &method, const QString &url, const QByteArray &body = {},
                       int timeoutMs = 10000);
HttpResult httpRequest(const QByteArray &method, const QString &url, const QByteArray &body,
                       const QMap<QByteArray, QByteArray> &headers, int timeoutMs = 10000);

}  // namespace conclave::support
