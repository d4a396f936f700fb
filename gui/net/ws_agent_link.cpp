#include "gui/net/ws_agent_link.h"

#include <QNetworkRequest>
#include <QUrl>
#include <QWebSocket>

namespace conclave::gui {

namespace {
constexpr int kFirstBackoffMs = 500;
constexpr int kMaxBackoffMs = 30000;

/// True when QWebSocket's error text says the server answered the upgrade with plain HTTP (a
/// 404 from a web server, say) rather than failing at the socket level.
bool isHandshakeRefusal(const QString &errorString)
{
    return errorString.contains(QLatin1String("processHandshake"))
        || errorString.contains(QLatin1String("status code"), Qt::CaseInsensitive)
        || errorString.contains(QLatin1String("404"));
}
}  // namespace

WsAgentLink::WsAgentLink(QObject *parent) : AgentLink(parent)
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &WsAgentLink::connectNow);
}

WsAgentLink::~WsAgentLink()
{
    m_wanted = false;
    if (m_ws)
        m_ws->disconnect(this);
}

void WsAgentLink::open(const QString &address, const QString &token)
{
    close();
    m_address = address.trimmed();
    m_token = token;
    m_wanted = true;
    m_backoffMs = kFirstBackoffMs;
    connectNow();
}

void WsAgentLink::close()
{
    m_wanted = false;
    m_retry.stop();
    if (m_ws) {
        m_ws->disconnect(this);
        m_ws->abort();
        m_ws->deleteLater();
        m_ws = nullptr;
    }
    setState(State::Disconnected);
}

void WsAgentLink::subscribe(const stream::Subscribe &subscribe)
{
    if (!m_ws || state() != State::Connected)
        return;
    stream::Subscribe s = subscribe;
    s.token = m_token;
    m_ws->sendTextMessage(QString::fromUtf8(stream::encode(s)));
}

void WsAgentLink::connectNow()
{
    if (!m_wanted)
        return;
    if (m_ws) {
        m_ws->disconnect(this);
        m_ws->deleteLater();
    }
    m_lastError.clear();
    m_handshakeRefused = false;
    m_ws = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    connect(m_ws, &QWebSocket::connected, this, [this] {
        m_backoffMs = kFirstBackoffMs;
        setState(State::Connected);
    });
    // A refused connection never emits disconnected(), only an error and the Unconnected state;
    // react to the state, queued, so the error text is known by then.
    QWebSocket *ws = m_ws;
    connect(m_ws, &QWebSocket::stateChanged, this, [this, ws](QAbstractSocket::SocketState s) {
        if (s == QAbstractSocket::UnconnectedState)
            QMetaObject::invokeMethod(this, [this, ws] {
                if (ws == m_ws)
                    onDisconnected();
            }, Qt::QueuedConnection);
    });
    // The first error that says the server answered HTTP without a stream wins: the server
    // closing the connection right after (an HTTP/1.0 server does) is only its consequence.
    connect(m_ws, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError e) {
                if (m_handshakeRefused)
                    return;
                m_handshakeRefused = m_ws && isHandshakeRefusal(m_ws->errorString());
                m_lastError = describe(e);
            });
    connect(m_ws, &QWebSocket::textMessageReceived, this,
            [this](const QString &text) { dispatch(text.toUtf8()); });
    QNetworkRequest req(QUrl(QStringLiteral("ws://%1/v1/stream").arg(m_address)));
    if (!m_token.isEmpty())
        req.setRawHeader("X-Consul-Token", m_token.toUtf8());
    setState(state() == State::Disconnected ? State::Connecting : State::Reconnecting, detail());
    m_ws->open(req);
}

void WsAgentLink::onDisconnected()
{
    if (!m_wanted || m_retry.isActive())
        return;
    QString why = m_lastError;
    if (why.isEmpty() && m_ws && m_ws->closeCode() != QWebSocketProtocol::CloseCodeNormal && !m_ws->closeReason().isEmpty())
        why = tr("the agent closed the stream: %1").arg(m_ws->closeReason());
    if (why.isEmpty())
        why = tr("the connection to %1 was lost").arg(m_address);
    const QString detail = tr("%1 — retrying in %2 s").arg(why).arg(m_backoffMs / 1000.0, 0, 'f', 1);
    setState(State::Reconnecting, detail);
    m_retry.start(m_backoffMs);
    m_backoffMs = std::min(m_backoffMs * 2, kMaxBackoffMs);
}

QString WsAgentLink::describe(QAbstractSocket::SocketError error) const
{
    if (m_ws && isHandshakeRefusal(m_ws->errorString()))
        return tr("%1 answers HTTP but has no viewer stream (is it a Conclave agent?)").arg(m_address);
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError:
        return tr("connection refused: is an agent running on %1?").arg(m_address);
    case QAbstractSocket::HostNotFoundError:
        return tr("host not found: check the address %1").arg(m_address);
    case QAbstractSocket::SocketTimeoutError:
        return tr("%1 did not answer in time").arg(m_address);
    case QAbstractSocket::RemoteHostClosedError:
        return tr("the agent at %1 closed the connection").arg(m_address);
    case QAbstractSocket::NetworkError:
        return tr("network unreachable for %1").arg(m_address);
    default:
        return tr("cannot reach %1: %2").arg(m_address, m_ws ? m_ws->errorString() : QString());
    }
}

}  // namespace conclave::gui
