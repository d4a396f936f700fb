#include "gui/app/gui_application.h"

#include "gui/net/api_client.h"
#include "gui/net/ws_agent_link.h"
#include "gui/state/cluster_cache.h"
#include "gui/views/main_window.h"

#include <QApplication>
#include <QLocale>
#include <QSettings>

namespace conclave::gui {

namespace {
const QString kRecentKey = QStringLiteral("connection/recent");
const QString kLanguageKey = QStringLiteral("ui/language");
}  // namespace

GuiApplication::GuiApplication(std::unique_ptr<AgentLink> link, QObject *parent)
    : QObject(parent), m_link(link ? std::move(link) : std::make_unique<WsAgentLink>())
{
    m_cache = new ClusterCache(m_link.get(), this);
    m_api = new ApiClient(this);
    m_window = std::make_unique<MainWindow>(m_cache, m_link.get(), m_api);
    connect(m_window.get(), &MainWindow::connectRequested, this, &GuiApplication::connectTo);
    connect(m_window.get(), &MainWindow::disconnectRequested, this, &GuiApplication::disconnectFromAgent);
    connect(m_window.get(), &MainWindow::languageRequested, this, &GuiApplication::setLanguage);
    connect(m_window.get(), &MainWindow::connectDialogRequested, this, &GuiApplication::openConnectDialog);
    setLanguage(QSettings().value(kLanguageKey).toString());
}

GuiApplication::~GuiApplication()
{
    m_window.reset();
    if (m_translatorInstalled)
        QCoreApplication::removeTranslator(&m_translator);
}

QStringList GuiApplication::recentAddresses() const
{
    return QSettings().value(kRecentKey).toStringList();
}

void GuiApplication::start(const QString &address, const QString &token)
{
    m_window->show();
    const QStringList recent = recentAddresses();
    if (!address.isEmpty())
        connectTo(address, token);
    else if (!recent.isEmpty())
        connectTo(recent.first(), token);
    else
        openConnectDialog();
}

void GuiApplication::openConnectDialog()
{
    const QStringList recent = recentAddresses();
    m_window->showConnectDialog(recent, m_link->address().isEmpty() && !recent.isEmpty() ? recent.first() : m_link->address(), m_token);
}

void GuiApplication::connectTo(const QString &address, const QString &token)
{
    QStringList recent = recentAddresses();
    recent.removeAll(address);
    recent.prepend(address);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    QSettings().setValue(kRecentKey, recent);
    m_token = token;
    if (address != m_link->address())
        m_cache->clear();  // another cluster: nothing of the old one may linger
    m_api->setAgent(address, token);
    m_link->open(address, token);
}

void GuiApplication::disconnectFromAgent()
{
    m_link->close();
}

void GuiApplication::setLanguage(const QString &code)
{
    m_language = code;
    QSettings().setValue(kLanguageKey, code);
    QString effective = code;
    if (effective.isEmpty())
        effective = QLocale::system().name().startsWith(QLatin1String("th")) ? QStringLiteral("th") : QStringLiteral("en");
    if (m_translatorInstalled) {
        QCoreApplication::removeTranslator(&m_translator);
        m_translatorInstalled = false;
    }
    // English is the source language; its .qm only carries plural forms.
    if (m_translator.load(QStringLiteral(":/i18n/conclave_%1.qm").arg(effective)))
        m_translatorInstalled = QCoreApplication::installTranslator(&m_translator);
    m_effective = effective;
    QLocale::setDefault(QLocale(effective == QLatin1String("th") ? QLocale::Thai : QLocale::English));
    m_window->setLanguageChecked(code);
    // installTranslator/removeTranslator post LanguageChange to every widget; each retranslates.
}

}  // namespace conclave::gui
