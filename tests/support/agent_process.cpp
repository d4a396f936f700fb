#include "support/agent_process.h"

#include <QDebug>
#include <QEventLoop>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUrl>

#include <csignal>
#include <sys/types.h>

namespace conclave::support {

namespace {

// Consul's wording: "agent: Started HTTP server on 127.0.0.1:8500 (tcp)". The host part is greedy so
// an IPv6 "[::1]" keeps its colons and the port is whatever follows the last one.
const QRegularExpression &httpLinePattern()
{
    static const QRegularExpression re(QStringLiteral(R"(Started HTTP server on (\S+):(\d+) \(tcp\))"));
    return re;
}

// Older Consul: "Started DNS server 127.0.0.1:8600 (udp)"; newer: "Started DNS server:
// address=127.0.0.1:8600 network=udp". Accept both, plus an "on".
const QRegularExpression &dnsLinePattern()
{
    static const QRegularExpression re(
        QStringLiteral(R"(Started DNS server:?\s+(?:on\s+|address=)?(\S+):(\d+))"));
    return re;
}

constexpr qsizetype kMaxDumpedLog = 256 * 1024;

}  // namespace

QList<quint16> freeLoopbackPorts(int count)
{
    // Held together so that the kernel hands out distinct ports.
    std::vector<std::unique_ptr<QTcpServer>> held;
    QList<quint16> ports;
    for (int i = 0; i < count; ++i) {
        auto server = std::make_unique<QTcpServer>();
        if (!server->listen(QHostAddress::LocalHost, 0))
            return {};
        ports.append(server->serverPort());
        held.push_back(std::move(server));
    }
    return ports;
}

AgentProcess::AgentProcess(QString binaryPath, QObject *parent)
    : QObject(parent), m_binary(std::move(binaryPath))
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    connect(&m_process, &QProcess::readyReadStandardOutput, this, &AgentProcess::onReadyRead);
    connect(&m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        onReadyRead();  // drain what is left before recording the end
        m_exitCode = code;
        m_exitStatus = status;
        m_finished = true;
    });
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart) {
            m_error = QStringLiteral("failed to start %1: %2").arg(m_binary, m_process.errorString());
            m_finished = true;
        }
    });
}

AgentProcess::~AgentProcess()
{
    if (isRunning() && m_pid > 0) {
        ::kill(static_cast<pid_t>(m_pid), SIGKILL);
        // Blocking is fine here: test code, and the child is already dying.
        m_process.waitForFinished(5000);
    }
}

bool AgentProcess::start(const QStringList &extraArgs, int timeoutMs)
{
    if (isRunning()) {
        m_error = QStringLiteral("agent already running (pid %1)").arg(m_pid);
        return false;
    }
    if (m_binary.isEmpty() || !QFileInfo(m_binary).isExecutable()) {
        m_error = QStringLiteral("conclave binary not found or not executable: '%1'").arg(m_binary);
        return false;
    }
    ensureDataDir();
    // Every port 0, so that agents of tests running in parallel never collide on Consul's fixed
    // defaults (8300-8302, 8600); extraArgs come last and so override any of these.
    QStringList args{QStringLiteral("agent"),
                     QStringLiteral("-http-port"),    QStringLiteral("0"),
                     QStringLiteral("-dns-port"),     QStringLiteral("0"),
                     QStringLiteral("-server-port"),  QStringLiteral("0"),
                     QStringLiteral("-serf-lan-port"), QStringLiteral("0"),
                     QStringLiteral("-serf-wan-port"), QStringLiteral("0"),
                     QStringLiteral("-data-dir"),     m_dataDir};
    if (m_devMode)
        args.insert(1, QStringLiteral("-dev"));
    args += extraArgs;

    m_httpPort = 0;
    m_httpHost.clear();
    m_error.clear();
    m_exitCode = -1;
    m_exitStatus = QProcess::NormalExit;
    m_finished = false;
    m_pid = 0;
    m_log += "=== start: " + m_binary.toLocal8Bit() + ' ' + args.join(QLatin1Char(' ')).toLocal8Bit()
             + '\n';
    m_runLogStart = m_log.size();

    m_process.start(m_binary, args);
    // started() or errorOccurred() arrive through the event loop; poll both with the same deadline.
    (void)QTest::qWaitFor([this] { return m_finished || m_process.state() == QProcess::Running; },
                          timeoutMs);
    m_pid = m_process.processId();

    const bool ready = QTest::qWaitFor([this] { return m_httpPort != 0 || m_finished; }, timeoutMs);
    if (m_httpPort != 0)
        return true;
    if (m_error.isEmpty()) {
        if (m_finished)
            m_error = QStringLiteral("agent exited (code %1) before logging its HTTP address").arg(m_exitCode);
        else if (!ready)
            m_error = QStringLiteral("agent did not log its HTTP address within %1 ms").arg(timeoutMs);
    }
    if (isRunning())
        kill9();
    return false;
}

bool AgentProcess::waitForLog(const QByteArray &needle, int timeoutMs)
{
    return QTest::qWaitFor([&] { return m_log.indexOf(needle, m_runLogStart) >= 0; }, timeoutMs);
}

QString AgentProcess::baseUrl() const
{
    return QStringLiteral("http://%1:%2").arg(m_httpHost, QString::number(m_httpPort));
}

quint16 AgentProcess::dnsPort() const
{
    const QString runLog = QString::fromUtf8(m_log.mid(m_runLogStart));
    const auto match = dnsLinePattern().match(runLog);
    return match.hasMatch() ? match.captured(2).toUShort() : 0;
}

bool AgentProcess::isRunning() const
{
    return !m_finished && m_process.state() != QProcess::NotRunning;
}

QString AgentProcess::dataDir() const
{
    return m_dataDir;
}

void AgentProcess::setDataDir(const QString &dir)
{
    m_dataDir = dir;
}

bool AgentProcess::kill9(int timeoutMs)
{
    if (!isRunning())
        return true;
    if (m_pid > 0)
        ::kill(static_cast<pid_t>(m_pid), SIGKILL);
    return QTest::qWaitFor([this] { return m_finished; }, timeoutMs);
}

bool AgentProcess::terminate(int timeoutMs)
{
    if (!isRunning())
        return m_exitStatus == QProcess::NormalExit && m_exitCode == 0;
    if (m_pid > 0)
        ::kill(static_cast<pid_t>(m_pid), SIGTERM);
    if (!QTest::qWaitFor([this] { return m_finished; }, timeoutMs)) {
        m_error = QStringLiteral("agent did not exit within %1 ms of SIGTERM").arg(timeoutMs);
        kill9();
        return false;
    }
    return m_exitStatus == QProcess::NormalExit && m_exitCode == 0;
}

void AgentProcess::dumpLogOnFailure() const
{
    if (!QTest::currentTestFailed())
        return;
    QByteArray shown = m_log;
    if (shown.size() > kMaxDumpedLog)
        shown = "[… " + QByteArray::number(shown.size() - kMaxDumpedLog) + " bytes cut …]\n"
                + shown.right(kMaxDumpedLog);
    qWarning().noquote() << "agent pid" << m_pid << "log:\n" << QString::fromUtf8(shown);
}

void AgentProcess::onReadyRead()
{
    m_log += m_process.readAllStandardOutput();
    maybeParseHttpLine();
}

void AgentProcess::maybeParseHttpLine()
{
    if (m_httpPort != 0)
        return;
    const QString runLog = QString::fromUtf8(m_log.mid(m_runLogStart));
    const auto match = httpLinePattern().match(runLog);
    if (!match.hasMatch())
        return;
    QString host = match.captured(1);
    // A wildcard listener is reached through loopback.
    if (host == QLatin1String("0.0.0.0"))
        host = QStringLiteral("127.0.0.1");
    else if (host == QLatin1String("[::]"))
        host = QStringLiteral("[::1]");
    m_httpHost = host;
    m_httpPort = match.captured(2).toUShort();
}

void AgentProcess::ensureDataDir()
{
    if (!m_dataDir.isEmpty())
        return;
    m_tempDir = std::make_unique<QTemporaryDir>();
    m_dataDir = m_tempDir->path();
}

QByteArray HttpResult::header(const QByteArray &name) const
{
    for (auto it = headers.cbegin(); it != headers.cend(); ++it) {
        if (it.key().compare(name, Qt::CaseInsensitive) == 0)
            return it.value();
    }
    return {};
}

HttpResult httpRequest(const QByteArray &method, const QString &url, const QByteArray &body, int timeoutMs)
{
    return httpRequest(method, url, body, {}, timeoutMs);
}

HttpResult httpRequest(const QByteArray &method, const QString &url, const QByteArray &body,
                       const QMap<QByteArray, QByteArray> &headers, int timeoutMs)
{
    HttpResult result;
    QNetworkAccessManager manager;
    manager.setProxy(QNetworkProxy::NoProxy);  // CI may export http_proxy; tests talk to loopback

    QNetworkRequest request{QUrl(url)};
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    bool hasContentType = false;
    for (auto it = headers.cbegin(); it != headers.cend(); ++it) {
        request.setRawHeader(it.key(), it.value());
        hasContentType |= it.key().compare("Content-Type", Qt::CaseInsensitive) == 0;
    }
    if (!hasContentType && !body.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/octet-stream"));

    QNetworkReply *reply = manager.sendCustomRequest(request, method, body);
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    bool timedOut = false;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QObject::connect(&deadline, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        loop.quit();
    });
    deadline.start(timeoutMs);
    if (!reply->isFinished())
        loop.exec();

    if (timedOut && !reply->isFinished()) {
        reply->abort();
        result.error = QStringLiteral("%1 %2: no answer within %3 ms")
                           .arg(QString::fromLatin1(method), url, QString::number(timeoutMs));
        delete reply;
        return result;
    }
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (status.isValid()) {
        result.ok = true;
        result.status = status.toInt();
        result.body = reply->readAll();
        for (const auto &[name, value] : reply->rawHeaderPairs())
            result.headers.insert(name, value);
    } else {
        result.error = reply->errorString();
    }
    delete reply;
    return result;
}

}  // namespace conclave::support
