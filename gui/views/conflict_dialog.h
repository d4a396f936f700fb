#pragma once
// ConflictDialog: a save hit a concurrent change (the cas index no longer matched). Shows the
// user's version next to the one now stored, and lets them overwrite (a new cas on the index they
// have now seen), take the stored version, or go back to editing. Never overwrites on its own.
// Owned by the KV editor; shown with open().

#include "shared/model/types.h"

#include <QDialog>

class QPlainTextEdit;
class QLabel;

namespace conclave::gui {

class ConflictDialog : public QDialog {
    Q_OBJECT
public:
    enum Choice { KeepEditing = 0, Overwrite = 1, TakeTheirs = 2 };

    ConflictDialog(const QString &key, const QByteArray &mine, const std::optional<model::KvEntry> &theirs,
                   QWidget *parent = nullptr);

    Choice choice() const { return m_choice; }
    const std::optional<model::KvEntry> &theirs() const { return m_theirs; }

private:
    Choice m_choice = KeepEditing;
    std::optional<model::KvEntry> m_theirs;
};

}  // namespace conclave::gui
