#include "agent/check_runner.h"

#include "shared/util/duration.h"

#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QProcess>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

#if QT_CONFIG(ssl)
#include <QSslConfiguration>
#include <QSslSocket>
#endif

namespace conclave::agent {

namespace {

constexpr qint64 kDefaultTimeoutMs = 10000;
constexpr qint64 kDefaultScriptTimeoutMs = 30000;

class QtCheckTimer final : public CheckTimer {
public:
    explicit QtCheckTimer(std::function<void()> onTimeout)
    {
        m_timer.setSingleShot(true);
        QObject::connect(&m_timer, &QTimer::timeout, [cb = std::move(onTimeout)]() { cb(); });
    }
    void start(qint64 ms) override
    {
        m_timer.start(int(std::clamp<qint64>(ms, 0, std::numeric_limits<int>::max())));
    }
    void stop() override { m_timer.stop(); }
    bool isActive() const override { return m_timer.isActive(); }

private:
    QTimer m_timer;
};

const QElapsedTimer &monotonic()
{
    static const QElapsedTimer clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return clock;
}

// Go's url.Error prefix: the method with only its first letter upper-case ("Get", "Post").
QString goMethodOp(const QString &method)
{
    return method.left(1).toUpper() + method.mid(1).toLower();
}

class HttpProbe final : public CheckProbe {
public:
    HttpProbe(const model::CheckDefinition &def, qint64 timeoutMs, int outputMaxSize, TimerMaker &timers,
              QNetworkAccessManager &nam)
        : m_def(def), m_method(def.method.isEmpty() ? QStringLiteral("GET") : def.method.toUpper()),
          m_timeoutMs(timeoutMs), m_outputMaxSize(outputMaxSize), m_nam(nam)
    {
        m_timer = timers.makeTimer([this]() { onTimeout(); });
    }
    ~HttpProbe() override { abandon(); }

    void run(Done done) override
    {
        abandon();
        m_done = std::move(done);
        m_body.clear();
        QNetworkRequest req{QUrl(m_def.http)};
        bool userAgent = false, accept = false;
        for (auto it = m_def.header.cbegin(); it != m_def.header.cend(); ++it) {
            // Go sends each value as its own header line; one comma-joined line means the same (RFC 9110 §5.3).
            req.setRawHeader(it.key().toUtf8(), it.value().join(QStringLiteral(", ")).toUtf8());
            userAgent |= it.key().compare(QLatin1String("User-Agent"), Qt::CaseInsensitive) == 0;
            accept |= it.key().compare(QLatin1String("Accept"), Qt::CaseInsensitive) == 0;
        }
        if (!userAgent)
            req.setRawHeader("User-Agent", "Consul Health Check");
        if (!accept)
            req.setRawHeader("Accept", "text/plain, text/*, */*");
        req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         m_def.disableRedirects ? QNetworkRequest::ManualRedirectPolicy
                                                : QNetworkRequest::NoLessSafeRedirectPolicy);
        req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
#if QT_CONFIG(ssl)
        if (req.url().scheme() == QLatin1String("https") && QSslSocket::supportsSsl()) {
            QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
            if (m_def.tlsSkipVerify)
                ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
            req.setSslConfiguration(ssl);
            if (!m_def.tlsServerName.isEmpty())
                req.setPeerVerifyName(m_def.tlsServerName);
        }
#endif
        m_reply = m_nam.sendCustomRequest(req, m_method.toLatin1(), m_def.body.toUtf8());
        if (m_def.tlsSkipVerify)
            m_reply->ignoreSslErrors();
        QObject::connect(m_reply, &QNetworkReply::readyRead, &m_context, [this]() { readBody(); });
        QObject::connect(m_reply, &QNetworkReply::finished, &m_context, [this]() { onFinished(); });
        m_timer->start(m_timeoutMs);
    }

private:
    void readBody()
    {
        // Keep the first OutputMaxSize bytes; read and drop the rest so the transfer completes.
        const QByteArray chunk = m_reply->readAll();
        if (m_body.size() < m_outputMaxSize)
            m_body += chunk.left(m_outputMaxSize - m_body.size());
    }

    void onFinished()
    {
        m_timer->stop();
        readBody();
        QNetworkReply *reply = m_reply;
        m_reply = nullptr;
        reply->deleteLater();
        const QVariant code = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (!code.isValid()) {
            // Go's wording for the common case, so scripts matching Consul's output keep working.
            const QUrl url(m_def.http);
            const QString why = reply->error() == QNetworkReply::ConnectionRefusedError
                                    ? QStringLiteral("dial tcp %1:%2: connect: connection refused")
                                          .arg(url.host())
                                          .arg(url.port(url.scheme() == QLatin1String("https") ? 443 : 80))
                                    : reply->errorString();
            finish(model::status::Critical, QStringLiteral("%1 \"%2\": %3").arg(goMethodOp(m_method), m_def.http, why));
            return;
        }
        const int status = code.toInt();
        const QString reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
        // Consul: fmt.Sprintf("HTTP %s %s: %s Output: %s", method, target, resp.Status, body).
        const QString output = QStringLiteral("HTTP %1 %2: %3 %4 Output: %5")
                                   .arg(m_method, m_def.http, QString::number(status), reason,
                                        QString::fromUtf8(m_body));
        if (status >= 200 && status <= 299)
            finish(model::status::Passing, output);
        else if (status == 429)
            finish(model::status::Warning, output);
        else
            finish(model::status::Critical, output);
    }

    void onTimeout()
    {
        abandon();
        finish(model::status::Critical,
               QStringLiteral("%1 \"%2\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
                   .arg(goMethodOp(m_method), m_def.http));
    }

    void abandon()
    {
        m_timer->stop();
        if (m_reply) {
            QNetworkReply *reply = m_reply;
            m_reply = nullptr;
            // Only our own connections: the reply's abort reaches the HTTP connection through
            // signals of its own, and cutting those left the connection busy for good (six hung
            // checks then stalled every other check to the same host:port).
            QObject::disconnect(reply, nullptr, &m_context, nullptr);
            reply->abort();
            reply->deleteLater();
        }
    }

    void finish(const QString &status, const QString &output)
    {
        if (auto done = std::exchange(m_done, nullptr))
            done(ProbeResult{status, output});
    }

    model::CheckDefinition m_def;
    QString m_method;
    qint64 m_timeoutMs;
    qsizetype m_outputMaxSize;
    QNetworkAccessManager &m_nam;
    QObject m_context;  // receiver of our connections to the reply, so that they alone can be cut
    std::unique_ptr<CheckTimer> m_timer;
    QNetworkReply *m_reply = nullptr;
    QByteArray m_body;
    Done m_done;
};

class TcpProbe final : public CheckProbe {
public:
    TcpProbe(const QString &address, qint64 timeoutMs, TimerMaker &timers) : m_address(address), m_timeoutMs(timeoutMs)
    {
        m_timer = timers.makeTimer([this]() {
            abandon();
            finish(model::status::Critical, QStringLiteral("dial tcp %1: i/o timeout").arg(m_address));
        });
    }
    ~TcpProbe() override { abandon(); }

    void run(Done done) override
    {
        abandon();
        m_done = std::move(done);
        // "host:port" or "[v6]:port", as Go's net.SplitHostPort reads it.
        const QUrl url(QStringLiteral("tcp://") + m_address);
        if (!url.isValid() || url.host().isEmpty() || url.port() <= 0) {
            finish(model::status::Critical, QStringLiteral("dial tcp %1: address %1: missing port in address").arg(m_address));
            return;
        }
        m_socket = new QTcpSocket();
        QObject::connect(m_socket, &QTcpSocket::connected, [this]() {
            abandon();
            finish(model::status::Passing, QStringLiteral("TCP connect %1: Success").arg(m_address));
        });
        QObject::connect(m_socket, &QTcpSocket::errorOccurred, [this](QAbstractSocket::SocketError error) {
            const QString why = error == QAbstractSocket::ConnectionRefusedError
                                    ? QStringLiteral("connect: connection refused")
                                    : m_socket->errorString();
            abandon();
            finish(model::status::Critical, QStringLiteral("dial tcp %1: %2").arg(m_address, why));
        });
        m_timer->start(m_timeoutMs);
        m_socket->connectToHost(url.host(), quint16(url.port()));
    }

private:
    void abandon()
    {
        m_timer->stop();
        if (m_socket) {
            QTcpSocket *s = m_socket;
            m_socket = nullptr;
            QObject::disconnect(s, nullptr, nullptr, nullptr);
            s->abort();
            s->deleteLater();
        }
    }
    void finish(const QString &status, const QString &output)
    {
        if (auto done = std::exchange(m_done, nullptr))
            done(ProbeResult{status, output});
    }

    QString m_address;
    qint64 m_timeoutMs;
    std::unique_ptr<CheckTimer> m_timer;
    QTcpSocket *m_socket = nullptr;
    Done m_done;
};

class ScriptProbe final : public CheckProbe {
public:
    ScriptProbe(const QStringList &args, qint64 timeoutMs, int outputMaxSize, TimerMaker &timers)
        : m_args(args), m_timeoutMs(timeoutMs), m_outputMaxSize(std::max(1, outputMaxSize))
    {
        m_timer = timers.makeTimer([this]() {
            abandon();
            finish(model::status::Critical,
                   QStringLiteral("Timed out (%1) running check").arg(util::formatDuration(m_timeoutMs * 1000000)));
        });
    }
    ~ScriptProbe() override { abandon(); }

    void run(Done done) override
    {
        abandon();
        m_done = std::move(done);
        m_output.clear();
        m_written = 0;
        m_process = new QProcess();
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        m_process->setInputChannelMode(QProcess::ManagedInputChannel);
        QObject::connect(m_process, &QProcess::readyRead, [this]() { readOutput(); });
        QObject::connect(m_process, &QProcess::finished, [this](int exitCode, QProcess::ExitStatus exitStatus) {
            readOutput();
            const QString output = outputText();
            abandon();
            if (exitStatus == QProcess::CrashExit)
                finish(model::status::Critical, output);
            else if (exitCode == 0)
                finish(model::status::Passing, output);
            else if (exitCode == 1)
                finish(model::status::Warning, output);
            else
                finish(model::status::Critical, output);
        });
        QObject::connect(m_process, &QProcess::errorOccurred, [this](QProcess::ProcessError error) {
            if (error != QProcess::FailedToStart)
                return;  // crashes and kills arrive through finished()
            const QString why = m_process->errorString();
            abandon();
            finish(model::status::Critical, QStringLiteral("exec: \"%1\": %2").arg(m_args.value(0), why));
        });
        m_timer->start(m_timeoutMs);
        m_process->start(m_args.value(0), m_args.mid(1));
        m_process->closeWriteChannel();
    }

private:
    void readOutput()
    {
        // Consul keeps the newest bytes (circbuf) and counts everything written.
        const QByteArray chunk = m_process->readAll();
        m_written += chunk.size();
        m_output += chunk;
        if (m_output.size() > m_outputMaxSize)
            m_output = m_output.right(m_outputMaxSize);
    }

    QString outputText() const
    {
        QString text = QString::fromUtf8(m_output);
        if (m_written > m_output.size())
            text = QStringLiteral("Captured %1 of %2 bytes\n...\n%3").arg(m_output.size()).arg(m_written).arg(text);
        return text;
    }

    void abandon()
    {
        m_timer->stop();
        if (!m_process)
            return;
        QProcess *p = m_process;
        m_process = nullptr;
        QObject::disconnect(p, nullptr, nullptr, nullptr);
        if (p->state() == QProcess::NotRunning) {
            p->deleteLater();
            return;
        }
        // Deleting a running QProcess would wait for it; kill it and free it once it is reaped.
        QObject::connect(p, &QProcess::finished, p, &QObject::deleteLater);
        p->kill();
    }

    void finish(const QString &status, const QString &output)
    {
        if (auto done = std::exchange(m_done, nullptr))
            done(ProbeResult{status, output});
    }

    QStringList m_args;
    qint64 m_timeoutMs;
    qsizetype m_outputMaxSize;
    std::unique_ptr<CheckTimer> m_timer;
    QProcess *m_process = nullptr;
    QByteArray m_output;
    qint64 m_written = 0;
    Done m_done;
};

}  // namespace

QtTimerMaker::QtTimerMaker() : m_epochMs(monotonic().elapsed()) {}

std::unique_ptr<CheckTimer> QtTimerMaker::makeTimer(std::function<void()> onTimeout)
{
    return std::make_unique<QtCheckTimer>(std::move(onTimeout));
}

qint64 QtTimerMaker::nowMs() const
{
    return monotonic().elapsed() - m_epochMs;
}

qint64 checkTimeoutMs(const QString &type, const model::CheckDefinition &definition)
{
    if (definition.timeout > 0)
        return std::max<qint64>(1, definition.timeout / 1000000);
    if (type == QLatin1String("script"))
        return kDefaultScriptTimeoutMs;
    const qint64 intervalMs = definition.interval / 1000000;
    if (intervalMs > 0 && intervalMs < kDefaultTimeoutMs)
        return intervalMs;
    return kDefaultTimeoutMs;
}

int checkOutputLimit(int agentLimit, const model::CheckDefinition &definition)
{
    if (definition.outputMaxSize > 0)
        return std::min(agentLimit, definition.outputMaxSize);
    return agentLimit;
}

std::unique_ptr<CheckProbe> makeHttpProbe(const model::CheckDefinition &definition, qint64 timeoutMs,
                                          int outputMaxSize, TimerMaker &timers, QNetworkAccessManager &nam)
{
    return std::make_unique<HttpProbe>(definition, timeoutMs, outputMaxSize, timers, nam);
}

std::unique_ptr<CheckProbe> makeTcpProbe(const QString &address, qint64 timeoutMs, TimerMaker &timers)
{
    return std::make_unique<TcpProbe>(address, timeoutMs, timers);
}

std::unique_ptr<CheckProbe> makeScriptProbe(const QStringList &args, qint64 timeoutMs, int outputMaxSize,
                                            TimerMaker &timers)
{
    return std::make_unique<ScriptProbe>(args, timeoutMs, outputMaxSize, timers);
}

StatusHandler::StatusHandler(int successBeforePassing, int failuresBeforeWarning, int failuresBeforeCritical)
    : m_successBeforePassing(successBeforePassing),
      m_failuresBeforeWarning(failuresBeforeWarning > 0 ? failuresBeforeWarning : failuresBeforeCritical),
      m_failuresBeforeCritical(failuresBeforeCritical)
{
}

std::optional<ProbeResult> StatusHandler::filter(const ProbeResult &raw)
{
    // agent/checks/check.go StatusHandler.updateCheck: warning counts as a success.
    if (raw.status == model::status::Passing || raw.status == model::status::Warning) {
        ++m_successes;
        m_failures = 0;
        if (m_successes >= m_successBeforePassing)
            return raw;
        return std::nullopt;
    }
    ++m_failures;
    m_successes = 0;
    if (m_failures >= m_failuresBeforeCritical)
        return raw;
    if (m_failures >= m_failuresBeforeWarning)
        return ProbeResult{model::status::Warning, raw.output};
    return std::nullopt;
}

CheckRunner::CheckRunner(std::unique_ptr<CheckProbe> probe, qint64 intervalMs, StatusHandler handler,
                         TimerMaker &timers, Update update)
    : m_probe(std::move(probe)), m_intervalMs(std::max<qint64>(1, intervalMs)), m_handler(handler),
      m_update(std::move(update))
{
    m_timer = timers.makeTimer([this]() { runOnce(); });
}

CheckRunner::~CheckRunner() = default;

void CheckRunner::start(qint64 firstDelayMs)
{
    m_timer->start(std::max<qint64>(0, firstDelayMs));
}

void CheckRunner::runOnce()
{
    m_probe->run([this](const ProbeResult &raw) {
        // The next run is due one interval after this one ended, as Consul's check loops do.
        m_timer->start(m_intervalMs);
        if (auto reported = m_handler.filter(raw))
            m_update(*reported);
    });
}

}  // namespace conclave::agent
