#include "gui/views/connect_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QEvent>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace conclave::gui {

ConnectDialog::ConnectDialog(QWidget *parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("connectDialog"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 16, 16, 12);
    layout->setSpacing(12);
    m_intro = new QLabel;
    m_intro->setWordWrap(true);
    layout->addWidget(m_intro);
    auto *form = new QFormLayout;
    m_address = new QComboBox;
    m_address->setObjectName(QStringLiteral("address"));
    m_address->setEditable(true);
    m_address->setMinimumWidth(280);
    m_address->setEditText(QString::fromLatin1(kDefaultAddress));
    m_token = new QLineEdit;
    m_token->setObjectName(QStringLiteral("token"));
    m_token->setEchoMode(QLineEdit::Password);
    m_addressLabel = new QLabel;
    m_tokenLabel = new QLabel;
    form->addRow(m_addressLabel, m_address);
    form->addRow(m_tokenLabel, m_token);
    layout->addLayout(form);
    m_hint = new QLabel;
    m_hint->setStyleSheet(QStringLiteral("color: #b03030"));
    layout->addWidget(m_hint);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_address, &QComboBox::editTextChanged, this, &ConnectDialog::validate);
    retranslate();
    validate();
}

void ConnectDialog::retranslate()
{
    setWindowTitle(tr("Connect to an agent"));
    m_intro->setText(tr("Conclave follows one agent's view of the cluster live. Any agent of the cluster will do."));
    m_addressLabel->setText(tr("&Address:"));
    m_addressLabel->setBuddy(m_address);
    m_tokenLabel->setText(tr("ACL &token:"));
    m_tokenLabel->setBuddy(m_token);
    m_token->setPlaceholderText(tr("optional"));
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    m_buttons->button(QDialogButtonBox::Cancel)->setText(tr("Cancel"));
    validate();
}

void ConnectDialog::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QDialog::changeEvent(event);
}

bool ConnectDialog::isValidAddress(const QString &address)
{
    const QString a = address.trimmed();
    const qsizetype colon = a.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return false;
    bool ok = false;
    const int port = a.mid(colon + 1).toInt(&ok);
    return ok && port > 0 && port < 65536 && !a.left(colon).contains(QLatin1Char(' '));
}

void ConnectDialog::validate()
{
    const bool ok = isValidAddress(address());
    m_hint->setText(ok ? QString() : tr("Enter host:port, for example 127.0.0.1:8500"));
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(ok);
}

void ConnectDialog::setRecent(const QStringList &addresses)
{
    const QString current = address();
    m_address->clear();
    m_address->addItems(addresses);
    m_address->setEditText(current);
}

void ConnectDialog::setAddress(const QString &address)
{
    m_address->setEditText(address);
}

QString ConnectDialog::address() const
{
    return m_address->currentText().trimmed();
}

QString ConnectDialog::token() const
{
    return m_token->text();
}

void ConnectDialog::setToken(const QString &token)
{
    m_token->setText(token);
}

}  // namespace conclave::gui
