#include "gui/views/conflict_dialog.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QGridLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace conclave::gui {

namespace {

QPlainTextEdit *makePane(const QString &text)
{
    auto *e = new QPlainTextEdit(text);
    e->setReadOnly(true);
    e->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    e->setLineWrapMode(QPlainTextEdit::NoWrap);
    return e;
}

}  // namespace

ConflictDialog::ConflictDialog(const QString &key, const QByteArray &mine, const std::optional<model::KvEntry> &theirs,
                               QWidget *parent)
    : QDialog(parent), m_theirs(theirs)
{
    setObjectName(QStringLiteral("conflictDialog"));
    setWindowTitle(tr("Conflicting change"));
    resize(760, 420);
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(theirs ? tr("Someone changed <b>%1</b> while you were editing it (it is now at index %2). "
                                         "Nothing was saved. Compare the two versions and choose.")
                                          .arg(key.toHtmlEscaped())
                                          .arg(theirs->index.modifyIndex)
                                    : tr("<b>%1</b> was deleted while you were editing it. Nothing was saved.").arg(key.toHtmlEscaped()));
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto *grid = new QGridLayout;
    grid->addWidget(new QLabel(tr("Your version")), 0, 0);
    grid->addWidget(new QLabel(theirs ? tr("Stored version (index %1)").arg(theirs->index.modifyIndex) : tr("Stored version (deleted)")), 0, 1);
    auto *minePane = makePane(QString::fromUtf8(mine));
    minePane->setObjectName(QStringLiteral("mine"));
    auto *theirsPane = makePane(theirs ? QString::fromUtf8(theirs->value) : QString());
    theirsPane->setObjectName(QStringLiteral("theirs"));
    grid->addWidget(minePane, 1, 0);
    grid->addWidget(theirsPane, 1, 1);
    layout->addLayout(grid, 1);

    auto *buttons = new QDialogButtonBox;
    QPushButton *overwrite = buttons->addButton(tr("Overwrite with mine"), QDialogButtonBox::DestructiveRole);
    overwrite->setObjectName(QStringLiteral("overwrite"));
    QPushButton *take = buttons->addButton(tr("Take stored version"), QDialogButtonBox::AcceptRole);
    take->setObjectName(QStringLiteral("takeTheirs"));
    take->setEnabled(theirs.has_value());
    QPushButton *keep = buttons->addButton(tr("Keep editing"), QDialogButtonBox::RejectRole);
    keep->setObjectName(QStringLiteral("keepEditing"));
    keep->setDefault(true);
    layout->addWidget(buttons);
    connect(overwrite, &QPushButton::clicked, this, [this] { m_choice = Overwrite; accept(); });
    connect(take, &QPushButton::clicked, this, [this] { m_choice = TakeTheirs; accept(); });
    connect(keep, &QPushButton::clicked, this, [this] { m_choice = KeepEditing; reject(); });
}

}  // namespace conclave::gui
