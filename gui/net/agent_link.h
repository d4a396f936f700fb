#pragma once
// AgentLink: the viewer's connection to one agent's stream (shared/stream/README.md), as an
// interface so that tests and benchmarks feed the GUI through a FakeAgentLink while the product
// uses WsAgentLink. Transmission's RpcClient idea: one API, several transports.
//
// Owned by the GUI composition root (GuiApplication) or a test. GUI thread only. Implementations
// only move messages; they never interpret rows (ClusterCache does).

#include "shared/stream/messages.h"

#include <QObject>
#include <QString>

namespace conclave::gui {

class AgentLink : public QObject {
    Q_OBJECT
public:
    enum class State { Disconnected, Connecting, Connected, Reconnecting };
    Q_ENUM(State)

    using QObject::QObject;
    ~AgentLink() override = default;

    /// Connects to `address` ("host:port") with an optional ACL token; reconnects on its own after
    /// a failure until close().
    virtual void open(const QString &address, const QString &token) = 0;
    virtual void close() = 0;
    /// Sends a Subscribe; only meaningful while Connected (ClusterCache sends it on connected()).
    virtual void subscribe(const stream::Subscribe &subscribe) = 0;

    State state() const { return m_state; }
    /// Human-readable reason of the last failure, or "" (translated by the implementation).
    QString detail() const { return m_detail; }
    QString address() const { return m_address; }
    QString token() const { return m_token; }

signals:
    void stateChanged(conclave::gui::AgentLink::State state, const QString &detail);
    /// Emitted each time the link becomes Connected: time to (re)subscribe.
    void connected();
    void snapshotReceived(const conclave::stream::Snapshot &snapshot);
    /// The agent continues a topic from the index the viewer asked: keep the state, Changes follow.
    void resumeReceived(const conclave::stream::Resume &resume);
    void changeReceived(const conclave::stream::Change &change);
    void errorReceived(const QString &reason);

protected:
    void setState(State state, const QString &detail = {})
    {
        if (state == m_state && detail == m_detail)
            return;
        m_state = state;
        m_detail = detail;
        emit stateChanged(state, detail);
        if (state == State::Connected)
            emit connected();
    }
    /// Decodes one text message and emits the matching signal.
    void dispatch(const QByteArray &text)
    {
        QString error;
        const auto m = stream::decode(text, &error);
        if (!m) {
            emit errorReceived(error);
            return;
        }
        switch (m->type) {
        case stream::MessageType::Snapshot:
            emit snapshotReceived(m->snapshot);
            break;
        case stream::MessageType::Change:
            emit changeReceived(m->change);
            break;
        case stream::MessageType::Resume:
            emit resumeReceived(m->resume);
            break;
        case stream::MessageType::Error:
            emit errorReceived(m->error.reason);
            break;
        case stream::MessageType::Subscribe:
            break;
        }
    }

    QString m_address;
    QString m_token;

private:
    State m_state = State::Disconnected;
    QString m_detail;
};

}  // namespace conclave::gui
