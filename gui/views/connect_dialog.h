#pragma once
// ConnectDialog: where to connect: agent address (default 127.0.0.1:8500, recent ones offered) and
// an optional ACL token. Owned by the main window; shown with open() (never a nested exec()).

#include <QDialog>

class QComboBox;
class QLineEdit;
class QLabel;
class QDialogButtonBox;

namespace conclave::gui {

class ConnectDialog : public QDialog {
    Q_OBJECT
public:
    static constexpr const char *kDefaultAddress = "127.0.0.1:8500";

    explicit ConnectDialog(QWidget *parent = nullptr);

    void setRecent(const QStringList &addresses);
    void setAddress(const QString &address);
    QString address() const;
    QString token() const;
    void setToken(const QString &token);

    /// "host:port" with a valid port (1-65535) and a non-empty host.
    static bool isValidAddress(const QString &address);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    void validate();

    QLabel *m_intro, *m_addressLabel, *m_tokenLabel, *m_hint;
    QComboBox *m_address;
    QLineEdit *m_token;
    QDialogButtonBox *m_buttons;
};

}  // namespace conclave::gui
