#pragma once
// WsAgentLink: the product AgentLink over QWebSocket to ws://<address>/v1/stream. Reconnects after
// a failure with exponential back-off (0.5 s doubling to 30 s, reset on success) and turns socket
// errors into one sentence a person can act on ("connection refused: is an agent running on …?").
//
// Owned by GuiApplication; GUI thread only; never blocks (QWebSocket and a QTimer).

#include "gui/net/agent_link.h"

#include <QAbstractSocket>
#include <QTimer>

class QWebSocket;

namespace conclave::gui {

class WsAgentLink : public AgentLink {
    Q_OBJECT
public:
    explicit WsAgentLink(QObject *parent = nullptr);
    ~WsAgentLink() override;

    void open(const QString &address, const QString &token) override;
    void close() override;
    void subscribe(const stream::Subscribe &subscribe) override;

    /// Delay before the next reconnect attempt (for the status line).
    int nextRetryMs() const { return m_backoffMs; }

private:
    void connectNow();
    void onDisconnected();
    QString describe(QAbstractSocket::SocketError error) const;

    QWebSocket *m_ws = nullptr;
    QTimer m_retry;
    int m_backoffMs = 500;
    bool m_wanted = false;
    QString m_lastError;
    bool m_handshakeRefused = false;  // the server answered the upgrade with plain HTTP
};

}  // namespace conclave::gui
