// gui_bench: how conclave-gui copes with a large cluster (issue #6 "Scale"). Feeds, through a
// FakeAgentLink, a snapshot of 1,000 nodes × 10 services (11,000 checks) and 10,000 KV keys into
// the real ClusterCache, models and widgets, then 100 changes/s for a few seconds, and prints:
//   - time from the snapshots' arrival until models, tree, picture and a first full paint are done;
//   - per-change apply time and the event loop's worst stall while changes stream in.
// Prints figures only; never fails on time. Runs offscreen unless a display is set.
// Usage: gui_bench [nodes] [keys] [seconds]
#include "gui/app/gui_application.h"
#include "gui/net/agent_link.h"
#include "gui/state/cluster_cache.h"
#include "gui/views/main_window.h"
#include "gui/views/topology_view.h"
#include "gui/fake_agent_link.h"  // tests/gui

#include <QApplication>
#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>
#include <ctime>
#include <cstdio>

using namespace conclave;
using namespace conclave::gui;
using test::FakeAgentLink;
using stream::Topic;

namespace {

double percentile(QList<double> v, double p)
{
    if (v.isEmpty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[qsizetype(std::min<double>(double(v.size() - 1), p * double(v.size())))];
}

}  // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("ConclaveBench"));
    const int nodes = argc > 1 ? atoi(argv[1]) : 1000;
    const int keys = argc > 2 ? atoi(argv[2]) : 10000;
    const int seconds = argc > 3 ? atoi(argv[3]) : 5;
    const int servicesPerNode = 10;
    const QStringList dcs = {QStringLiteral("dc1"), QStringLiteral("dc2"), QStringLiteral("dc3")};

    auto linkOwner = std::make_unique<FakeAgentLink>();
    FakeAgentLink *link = linkOwner.get();
    GuiApplication gui(std::move(linkOwner));
    gui.window()->resize(1440, 900);
    gui.window()->show();
    gui.connectTo(QStringLiteral("bench:1"), {});

    // Build the rows first: only their delivery is timed.
    QJsonArray dcRows, nodeRows, serviceRows, checkRows, kvRows;
    for (const QString &dc : dcs)
        dcRows.append(FakeAgentLink::dcRow(dc, dc + QStringLiteral("-node-0000")));
    for (int n = 0; n < nodes; ++n) {
        const QString dc = dcs[n % dcs.size()];
        const QString name = QStringLiteral("%1-node-%2").arg(dc).arg(n, 4, 10, QLatin1Char('0'));
        nodeRows.append(FakeAgentLink::nodeRow(name, QStringLiteral("10.%1.%2.%3").arg(n % 3).arg(n / 250).arg(n % 250), dc));
        checkRows.append(FakeAgentLink::checkRow(name, QStringLiteral("serfHealth"), QStringLiteral("passing")));
        for (int s = 0; s < servicesPerNode; ++s) {
            const QString svc = QStringLiteral("svc-%1").arg(s);
            serviceRows.append(FakeAgentLink::serviceRow(name, svc, 8000 + s, {QStringLiteral("v%1").arg(s % 3)}));
            checkRows.append(FakeAgentLink::checkRow(name, svc + QStringLiteral("-check"), (n + s) % 97 == 0 ? QStringLiteral("critical") : QStringLiteral("passing"), svc));
        }
    }
    for (int k = 0; k < keys; ++k)
        kvRows.append(FakeAgentLink::kvRow(QStringLiteral("config/app-%1/setting-%2").arg(k / 100).arg(k % 100),
                                           QByteArray("{\"value\":") + QByteArray::number(k) + "}", 10));

    // Wall time and this process's CPU time: on a shared machine the wall clock includes waiting.
    auto cpuMs = [] { return 1000.0 * double(std::clock()) / CLOCKS_PER_SEC; };
    QElapsedTimer t;
    t.start();
    const double cpu0 = cpuMs();
    link->snapshot(Topic::Datacenters, 10, dcRows);
    link->snapshot(Topic::Nodes, 10, nodeRows);
    link->snapshot(Topic::Services, 10, serviceRows);
    link->snapshot(Topic::Checks, 10, checkRows);
    link->snapshot(Topic::Kv, 10, kvRows);
    const double applied = t.nsecsElapsed() / 1e6;
    gui.window()->topologyView()->relayoutNow();
    QCoreApplication::processEvents();
    const double laidOut = t.nsecsElapsed() / 1e6;
    const QPixmap frame = gui.window()->grab();  // one full paint of the visible window
    const double painted = t.nsecsElapsed() / 1e6;
    const double paintedCpu = cpuMs() - cpu0;
    std::printf("gui_bench: %d nodes x %d services (%lld checks), %d KV keys\n", nodes, servicesPerNode,
                qint64(checkRows.size()), keys);
    std::printf("  snapshot into cache + models + widgets : %8.1f ms\n", applied);
    std::printf("  + picture layout and pending events    : %8.1f ms\n", laidOut);
    std::printf("  + first full paint (%dx%d)           : %8.1f ms   (target: < 2000 ms)\n", frame.width(), frame.height(), painted);
    std::printf("    of which CPU time of this process    : %8.1f ms\n", paintedCpu);

    // 100 changes/s: alternate check flips, KV writes and service tag changes.
    QList<double> applyMs;
    double worstStall = 0;
    quint64 index = 11;
    int sent = 0;
    QTimer changes;
    changes.setInterval(10);
    QObject::connect(&changes, &QTimer::timeout, [&] {
        const int n = sent % nodes;
        const QString dc = dcs[n % dcs.size()];
        const QString name = QStringLiteral("%1-node-%2").arg(dc).arg(n, 4, 10, QLatin1Char('0'));
        QElapsedTimer c;
        c.start();
        switch (sent % 3) {
        case 0:
            link->change(Topic::Checks, index++, {FakeAgentLink::checkRow(name, QStringLiteral("svc-1-check"), sent % 2 ? QStringLiteral("warning") : QStringLiteral("passing"), QStringLiteral("svc-1"), QStringLiteral("flip %1").arg(sent))});
            break;
        case 1:
            link->change(Topic::Kv, index++, {FakeAgentLink::kvRow(QStringLiteral("config/app-%1/setting-x").arg(sent % 100), QByteArray::number(sent), index)});
            break;
        default:
            link->change(Topic::Services, index++, {FakeAgentLink::serviceRow(name, QStringLiteral("svc-2"), 8002, {QStringLiteral("rev%1").arg(sent)})});
            break;
        }
        applyMs.append(c.nsecsElapsed() / 1e6);
        ++sent;
    });
    // A 5 ms heartbeat: its lateness is how long the event loop was busy (what a user would feel).
    QElapsedTimer beat;
    QTimer heartbeat;
    heartbeat.setInterval(5);
    QObject::connect(&heartbeat, &QTimer::timeout, [&] {
        if (beat.isValid())
            worstStall = std::max(worstStall, beat.nsecsElapsed() / 1e6 - 5.0);
        beat.restart();
    });
    QTimer stop;
    stop.setSingleShot(true);
    QObject::connect(&stop, &QTimer::timeout, &app, &QCoreApplication::quit);
    changes.start();
    heartbeat.start();
    stop.start(seconds * 1000);
    QElapsedTimer run;
    run.start();
    app.exec();
    std::printf("  changes streamed                       : %8d in %.1f s (%.0f/s)\n", sent, run.elapsed() / 1000.0,
                sent / (run.elapsed() / 1000.0));
    std::printf("  change apply time p50 / p99 / max      : %6.2f / %6.2f / %6.2f ms\n", percentile(applyMs, 0.5),
                percentile(applyMs, 0.99), applyMs.isEmpty() ? 0.0 : *std::max_element(applyMs.begin(), applyMs.end()));
    std::printf("  worst event-loop stall                 : %8.1f ms\n", worstStall);
    return 0;
}
