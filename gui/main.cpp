// conclave-gui: a live desktop viewer of a Conclave cluster (issue #6).
// Usage: conclave-gui [host:port] [--token TOKEN]
#include "gui/app/gui_application.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Conclave"));
    QApplication::setApplicationName(QStringLiteral("conclave-gui"));
    QApplication::setApplicationVersion(QStringLiteral(CONCLAVE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Live viewer of a Conclave cluster"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption token(QStringLiteral("token"), QStringLiteral("ACL token sent to the agent"), QStringLiteral("token"));
    parser.addOption(token);
    parser.addPositionalArgument(QStringLiteral("address"), QStringLiteral("agent address, e.g. 127.0.0.1:8500"));
    parser.process(app);

    conclave::gui::GuiApplication gui;
    const QStringList args = parser.positionalArguments();
    gui.start(args.isEmpty() ? QString() : args.first(), parser.value(token));
    return app.exec();
}
