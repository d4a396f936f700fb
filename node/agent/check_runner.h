#pragma once
// Running health checks (Consul agent/checks): the probes that test a target once (HTTP, TCP,
// script), Consul's StatusHandler thresholds, and CheckRunner, which repeats a probe every
// Interval. Results go to a callback; LocalState decides what reaches the catalog.
//
// Everything here lives on the event-loop thread and never blocks it: HTTP runs through
// QNetworkAccessManager, TCP through QTcpSocket, scripts through QProcess, each bounded by a
// timeout timer. Time and timers come from an injected TimerMaker (Transmission's timer.h idea)
// so that the scheduling is tested with a manual clock.

#include "shared/model/types.h"

#include <QString>
#include <functional>
#include <memory>
#include <optional>

class QNetworkAccessManager;

namespace conclave::agent {

/// A one-shot timer. Owned by whoever asked the TimerMaker for it; destroying it cancels it.
class CheckTimer {
public:
    virtual ~CheckTimer() = default;
    /// (Re)starts the timer; the callback runs once, `ms` from now.
    virtual void start(qint64 ms) = 0;
    virtual void stop() = 0;
    virtual bool isActive() const = 0;
};

/// Makes timers and reads a monotonic clock (ms). The product uses QtTimerMaker; tests a manual one.
class TimerMaker {
public:
    virtual ~TimerMaker() = default;
    virtual std::unique_ptr<CheckTimer> makeTimer(std::function<void()> onTimeout) = 0;
    virtual qint64 nowMs() const = 0;
};

/// QTimer and QElapsedTimer. Event-loop thread.
class QtTimerMaker final : public TimerMaker {
public:
    QtTimerMaker();
    std::unique_ptr<CheckTimer> makeTimer(std::function<void()> onTimeout) override;
    qint64 nowMs() const override;

private:
    qint64 m_epochMs;
};

/// What one run of a check found.
struct ProbeResult {
    QString status;  // model::status::Passing / Warning / Critical
    QString output;
    bool operator==(const ProbeResult &) const = default;
};

/// One kind of check run against its target. run() starts a run and calls `done` exactly once,
/// unless the probe is destroyed first (then never). A probe runs once at a time; the runner
/// calls run() again only after `done`.
class CheckProbe {
public:
    using Done = std::function<void(const ProbeResult &)>;
    virtual ~CheckProbe() = default;
    virtual void run(Done done) = 0;
};

/// Consul's default timeouts: 30 s for scripts; 10 s otherwise, or the interval when that is
/// shorter and no Timeout was given (so one run ends before the next is due).
qint64 checkTimeoutMs(const QString &type, const model::CheckDefinition &definition);

/// Output limit of a check: the agent's `check_output_max_size`, lowered by the check's own.
int checkOutputLimit(int agentLimit, const model::CheckDefinition &definition);

/// HTTP check: Method (GET), Header, Body, TLSSkipVerify, TLSServerName, DisableRedirects.
/// 2xx passing, 429 warning, other statuses and errors critical. `nam` must outlive the probe.
std::unique_ptr<CheckProbe> makeHttpProbe(const model::CheckDefinition &definition, qint64 timeoutMs,
                                          int outputMaxSize, TimerMaker &timers, QNetworkAccessManager &nam);
/// TCP check: a connection to `host:port` within the timeout is passing.
std::unique_ptr<CheckProbe> makeTcpProbe(const QString &address, qint64 timeoutMs, TimerMaker &timers);
/// Script check: exit 0 passing, 1 warning, anything else critical; killed at the timeout.
/// Output is stdout and stderr merged, the last `outputMaxSize` bytes (as Consul's circbuf).
std::unique_ptr<CheckProbe> makeScriptProbe(const QStringList &args, qint64 timeoutMs, int outputMaxSize,
                                            TimerMaker &timers);

/// Consul's StatusHandler: consecutive successes/failures needed before a result is reported.
/// FailuresBeforeWarning defaults to FailuresBeforeCritical. Pure.
class StatusHandler {
public:
    StatusHandler(int successBeforePassing, int failuresBeforeWarning, int failuresBeforeCritical);
    /// What to report for a raw result; nullopt while a threshold is not reached (keep the status).
    std::optional<ProbeResult> filter(const ProbeResult &raw);

private:
    int m_successBeforePassing;
    int m_failuresBeforeWarning;
    int m_failuresBeforeCritical;
    int m_successes = 0;
    int m_failures = 0;
};

/// Runs one probe repeatedly: first after `firstDelayMs` (Consul staggers it randomly within
/// the interval), then `intervalMs` after each run ends. Filters results through a
/// StatusHandler and reports them with `update`. Owned by LocalState, one per monitored check.
class CheckRunner {
public:
    using Update = std::function<void(const ProbeResult &)>;
    CheckRunner(std::unique_ptr<CheckProbe> probe, qint64 intervalMs, StatusHandler handler, TimerMaker &timers,
                Update update);
    ~CheckRunner();
    void start(qint64 firstDelayMs);

private:
    void runOnce();

    std::unique_ptr<CheckProbe> m_probe;
    qint64 m_intervalMs;
    StatusHandler m_handler;
    Update m_update;
    std::unique_ptr<CheckTimer> m_timer;
};

}  // namespace conclave::agent
