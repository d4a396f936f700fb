#pragma once
// GuiApplication: the viewer's composition root. Builds the AgentLink (WsAgentLink unless one is
// injected, as tests and the benchmark do), the ClusterCache, the ApiClient and the MainWindow,
// connects them, remembers recent connections and the language in QSettings, and installs the
// translator (system locale by default, or the language picked in the menu).
//
// Created once by main() after the QApplication; GUI thread only; owns everything it builds.

#include "gui/net/agent_link.h"

#include <QObject>
#include <QStringList>
#include <QTranslator>
#include <memory>

namespace conclave::gui {

class ApiClient;
class ClusterCache;
class MainWindow;

class GuiApplication : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxRecent = 8;

    /// `link` = nullptr builds the product WsAgentLink.
    explicit GuiApplication(std::unique_ptr<AgentLink> link = nullptr, QObject *parent = nullptr);
    ~GuiApplication() override;

    MainWindow *window() const { return m_window.get(); }
    ClusterCache *cache() const { return m_cache; }
    AgentLink *link() const { return m_link.get(); }
    ApiClient *api() const { return m_api; }

    /// Shows the window; connects to `address` if given, else to the last address used, else
    /// opens the connect dialog.
    void start(const QString &address = {}, const QString &token = {});
    /// Connects (or reconnects) to an agent and remembers the address.
    void connectTo(const QString &address, const QString &token);
    void disconnectFromAgent();

    /// "" follows the system locale; "en" or "th". Remembered in the settings.
    void setLanguage(const QString &code);
    QString language() const { return m_language; }
    /// The language actually in effect ("en" or "th").
    QString effectiveLanguage() const { return m_effective; }
    QStringList recentAddresses() const;

private:
    void openConnectDialog();

    std::unique_ptr<AgentLink> m_link;
    ClusterCache *m_cache = nullptr;
    ApiClient *m_api = nullptr;
    std::unique_ptr<MainWindow> m_window;
    QTranslator m_translator;
    bool m_translatorInstalled = false;
    QString m_language;
    QString m_effective = QStringLiteral("en");
    QString m_token;
};

}  // namespace conclave::gui
