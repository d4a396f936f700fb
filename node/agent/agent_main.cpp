#include "agent/agent_main.h"

#include "agent/agent.h"
#include "agent/config.h"

#include <QLoggingCategory>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

namespace conclave::agent {

namespace {

int g_signalFd[2] = {-1, -1};

void onSignal(int sig)
{
    const char c = char(sig);
    [[maybe_unused]] ssize_t n = ::write(g_signalFd[1], &c, 1);
}

void setLogLevel(const QString &level)
{
    // Consul's levels onto Qt's categories: trace/debug show debug messages, warn hides info.
    QString rules = QStringLiteral("qt.*=false\n");
    if (level == QLatin1String("TRACE") || level == QLatin1String("DEBUG"))
        rules += QStringLiteral("conclave.*.debug=true\n");
    else
        rules += QStringLiteral("conclave.*.debug=false\n");
    if (level == QLatin1String("WARN") || level == QLatin1String("ERR") || level == QLatin1String("ERROR"))
        rules += QStringLiteral("conclave.*.info=false\n");
    if (level == QLatin1String("ERR") || level == QLatin1String("ERROR"))
        rules += QStringLiteral("conclave.*.warning=false\n");
    QLoggingCategory::setFilterRules(rules);
}

}  // namespace

int runAgent(QCoreApplication &app, const QStringList &args)
{
    qSetMessagePattern(QStringLiteral("%{time yyyy-MM-ddThh:mm:ss.zzzt} [%{if-debug}DEBUG%{endif}%{if-info}INFO%{endif}"
                                      "%{if-warning}WARN%{endif}%{if-critical}ERROR%{endif}%{if-fatal}FATAL%{endif}] "
                                      "%{category}: %{message}"));
    QString error;
    bool help = false;
    auto cfg = loadConfig(args, &error, &help);
    if (help) {
        fputs(qPrintable(agentUsage()), stdout);
        return 0;
    }
    if (!cfg) {
        fprintf(stderr, "==> Invalid agent configuration: %s\n", qPrintable(error));
        return 1;
    }
    setLogLevel(cfg->logLevel);

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFd) != 0) {
        fprintf(stderr, "==> Cannot set up signal handling\n");
        return 1;
    }
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    // SIGHUP is Consul's reload (systemctl reload sends it), SIGUSR1 its metrics dump: neither may
    // kill the agent. They are logged until reload and metrics exist.
    sigaction(SIGHUP, &sa, nullptr);
    sigaction(SIGUSR1, &sa, nullptr);
    sigaction(SIGUSR2, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    Agent agent(*cfg);
    if (!agent.start(&error)) {
        fprintf(stderr, "==> Error starting agent: %s\n", qPrintable(error));
        return 1;
    }

    int exitCode = 0;
    bool shuttingDown = false;
    QSocketNotifier notifier(g_signalFd[0], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, [&]() {
        char c = 0;
        [[maybe_unused]] ssize_t n = ::read(g_signalFd[0], &c, 1);
        if (c == SIGHUP) {
            fprintf(stderr, "==> Caught signal: hangup; configuration reload is not implemented yet, nothing changed\n");
            return;
        }
        if (c == SIGUSR1 || c == SIGUSR2) {
            fprintf(stderr, "==> Caught signal: %s; ignored (no metrics dump yet)\n", c == SIGUSR1 ? "user defined signal 1" : "user defined signal 2");
            return;
        }
        fprintf(stderr, "==> Caught signal: %s\n", c == SIGINT ? "interrupt" : "terminated");
        if (shuttingDown) {
            app.quit();  // a second signal does not wait for the leadership transfer
            return;
        }
        shuttingDown = true;
        fprintf(stderr, "==> Gracefully shutting down agent...\n");
        agent.prepareShutdown([&app] { app.quit(); });
    });
    // A failed write to storage (a full disk, an I/O error) stops writes but not the agent: reads,
    // health answers and DNS keep being served, as Consul does, until an operator restarts it.
    QObject::connect(&agent, &Agent::fatal, &app, [&](const QString &text) {
        fprintf(stderr, "==> Storage failed; writes are refused until the agent is restarted: %s\n", qPrintable(text));
        exitCode = 1;
    });
    const int rc = app.exec();
    agent.shutdown();
    fprintf(stderr, "==> Agent stopped\n");
    return exitCode ? exitCode : rc;
}

}  // namespace conclave::agent
