#include "gui/views/kv_editor.h"

#include "gui/models/kv_tree_model.h"
#include "gui/views/conflict_dialog.h"

#include <QButtonGroup>
#include <QEvent>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStringDecoder>
#include <QStyle>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace conclave::gui {

namespace {

bool isText(const QByteArray &value)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString s = decoder.decode(value);
    if (decoder.hasError())
        return false;
    for (const QChar c : s)
        if (c.unicode() < 0x20 && c != QLatin1Char('\n') && c != QLatin1Char('\r') && c != QLatin1Char('\t'))
            return false;
    return true;
}

}  // namespace

KvEditor::Mode KvEditor::modeFor(const QByteArray &value)
{
    if (!isText(value))
        return Mode::Hex;
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(value, &err);
    return (err.error == QJsonParseError::NoError && !doc.isNull()) ? Mode::Json : Mode::Text;
}

QString KvEditor::render(const QByteArray &value, Mode mode)
{
    switch (mode) {
    case Mode::Text:
        return QString::fromUtf8(value);
    case Mode::Json: {
        const QJsonDocument doc = QJsonDocument::fromJson(value);
        return doc.isNull() ? QString::fromUtf8(value) : QString::fromUtf8(doc.toJson(QJsonDocument::Indented)).trimmed();
    }
    case Mode::Hex: {
        QString out;
        for (qsizetype i = 0; i < value.size(); i += 16) {
            if (i)
                out += QLatin1Char('\n');
            out += QString::fromLatin1(value.mid(i, 16).toHex(' '));
        }
        return out;
    }
    }
    return {};
}

std::optional<QByteArray> KvEditor::editorBytes(QString *error) const
{
    const QString text = m_editor->toPlainText();
    switch (m_mode) {
    case Mode::Text:
        return text.toUtf8();
    case Mode::Json: {
        QJsonParseError err{};
        QJsonDocument::fromJson(text.toUtf8(), &err);
        if (err.error != QJsonParseError::NoError) {
            // Line and column of the offset, for a message a person can act on.
            const QString before = text.left(err.offset);
            const int line = int(before.count(QLatin1Char('\n'))) + 1;
            const int column = int(before.size() - before.lastIndexOf(QLatin1Char('\n')));
            *error = tr("Not valid JSON (line %1, column %2): %3").arg(line).arg(column).arg(err.errorString());
            return std::nullopt;
        }
        return text.toUtf8();
    }
    case Mode::Hex: {
        QByteArray digits;
        for (const QChar c : text) {
            if (c.isSpace())
                continue;
            if (!isxdigit(c.toLatin1())) {
                *error = tr("Not valid hex: '%1' is not a hex digit").arg(c);
                return std::nullopt;
            }
            digits.append(c.toLatin1());
        }
        if (digits.size() % 2) {
            *error = tr("Not valid hex: odd number of digits");
            return std::nullopt;
        }
        return QByteArray::fromHex(digits);
    }
    }
    return std::nullopt;
}

KvEditor::KvEditor(ClusterCache *cache, ApiClient *api, QWidget *parent)
    : QWidget(parent), m_cache(cache), m_api(api), m_model(new KvTreeModel(cache, this)),
      m_proxy(new QSortFilterProxyModel(this))
{
    m_proxy->setSourceModel(m_model);
    m_proxy->setRecursiveFilteringEnabled(true);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterRole(KvTreeModel::FullKeyRole);

    auto *split = new QSplitter(Qt::Horizontal);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addWidget(split);

    // Left: the tree with its filter and actions.
    auto *left = new QWidget;
    auto *ll = new QVBoxLayout(left);
    ll->setContentsMargins(0, 0, 0, 0);
    m_filter = new QLineEdit;
    m_filter->setClearButtonEnabled(true);
    ll->addWidget(m_filter);
    m_tree = new QTreeView;
    m_tree->setModel(m_proxy);
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->header()->setSectionResizeMode(KvTreeModel::KeyColumn, QHeaderView::Stretch);
    m_tree->header()->setStretchLastSection(false);
    m_tree->setColumnWidth(KvTreeModel::SizeColumn, 90);
    m_tree->setColumnWidth(KvTreeModel::IndexColumn, 100);
    ll->addWidget(m_tree, 1);
    auto *actions = new QHBoxLayout;
    auto tool = [&](QStyle::StandardPixmap icon) {
        auto *b = new QToolButton;
        b->setIcon(style()->standardIcon(icon));
        b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        actions->addWidget(b);
        return b;
    };
    m_newButton = tool(QStyle::SP_FileIcon);
    m_renameButton = tool(QStyle::SP_FileDialogContentsView);
    m_deleteButton = tool(QStyle::SP_TrashIcon);
    actions->addStretch();
    ll->addLayout(actions);
    split->addWidget(left);

    // Right: the value.
    auto *right = new QWidget;
    auto *rl = new QVBoxLayout(right);
    rl->setContentsMargins(8, 0, 0, 0);
    m_keyLabel = new QLabel;
    QFont kf = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    kf.setBold(true);
    kf.setPointSizeF(kf.pointSizeF() * 1.15);
    m_keyLabel->setFont(kf);
    m_keyLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    rl->addWidget(m_keyLabel);
    auto *metaRow = new QHBoxLayout;
    m_meta = new QLabel;
    m_meta->setStyleSheet(QStringLiteral("color: #5a6170"));
    metaRow->addWidget(m_meta, 1);
    m_modes = new QButtonGroup(this);
    for (int i = 0; i < 3; ++i) {
        m_modeButtons[i] = new QToolButton;
        m_modeButtons[i]->setCheckable(true);
        m_modeButtons[i]->setAutoRaise(false);
        m_modes->addButton(m_modeButtons[i], i);
        metaRow->addWidget(m_modeButtons[i]);
    }
    m_modeButtons[0]->setChecked(true);
    rl->addLayout(metaRow);
    m_editor = new QPlainTextEdit;
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_editor->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_editor->setTabStopDistance(m_editor->fontMetrics().horizontalAdvance(QLatin1Char(' ')) * 4);
    rl->addWidget(m_editor, 1);
    m_message = new QLabel;
    m_message->setWordWrap(true);
    rl->addWidget(m_message);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch();
    m_revert = new QPushButton;
    m_saveButton = new QPushButton;
    m_saveButton->setObjectName(QStringLiteral("save"));
    m_saveButton->setIcon(style()->standardIcon(QStyle::SP_DialogSaveButton));
    m_saveButton->setDefault(true);
    buttons->addWidget(m_revert);
    buttons->addWidget(m_saveButton);
    rl->addLayout(buttons);
    split->addWidget(right);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setSizes({380, 620});

    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &t) {
        m_proxy->setFilterFixedString(t);
        if (!t.isEmpty())
            m_tree->expandAll();
    });
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, &KvEditor::onSelectionChanged);
    connect(m_modes, &QButtonGroup::idClicked, this, [this](int id) {
        if (!setMode(Mode(id)))
            m_modeButtons[int(m_mode)]->setChecked(true);
    });
    connect(m_saveButton, &QPushButton::clicked, this, &KvEditor::save);
    connect(m_revert, &QPushButton::clicked, this, [this] {
        if (m_isNew)
            startNewKey(m_key);
        else
            openKey(m_key);
    });
    connect(m_newButton, &QToolButton::clicked, this, &KvEditor::askNewKey);
    connect(m_renameButton, &QToolButton::clicked, this, &KvEditor::askRename);
    connect(m_deleteButton, &QToolButton::clicked, this, &KvEditor::deleteSelected);
    connect(m_editor, &QPlainTextEdit::textChanged, this, &KvEditor::updateHeader);
    connect(cache, &ClusterCache::topicChanged, this, &KvEditor::onCacheChanged);
    retranslate();
    load(QString(), std::nullopt);
}

void KvEditor::retranslate()
{
    m_filter->setPlaceholderText(tr("Filter keys"));
    m_newButton->setText(tr("New key"));
    m_renameButton->setText(tr("Rename"));
    m_deleteButton->setText(tr("Delete"));
    m_modeButtons[0]->setText(tr("Text"));
    m_modeButtons[1]->setText(tr("JSON"));
    m_modeButtons[2]->setText(tr("Hex"));
    m_revert->setText(tr("Revert"));
    m_saveButton->setText(tr("Save"));
    updateHeader();
}

void KvEditor::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

bool KvEditor::isModified() const
{
    return m_editor->toPlainText() != m_loadedText;
}

void KvEditor::updateHeader()
{
    if (m_key.isEmpty()) {
        m_keyLabel->setText(tr("No key selected"));
        m_meta->setText(tr("Pick a key in the tree, or create one."));
    } else {
        m_keyLabel->setText(m_key);
        QString meta = m_isNew ? tr("new key") : tr("ModifyIndex %1 · flags %2 · %3 bytes").arg(m_loadedIndex).arg(m_flags).arg(m_loadedValue.size());
        if (isModified())
            meta += QStringLiteral(" · ") + tr("edited");
        m_meta->setText(meta);
    }
    const bool editable = !m_key.isEmpty() && !m_busy;
    m_saveButton->setEnabled(editable && (isModified() || m_isNew));
    m_revert->setEnabled(editable && isModified());
    m_editor->setReadOnly(m_key.isEmpty());
    m_renameButton->setEnabled(!m_key.isEmpty() && !m_isNew);
    m_deleteButton->setEnabled(m_tree->currentIndex().isValid());
}

void KvEditor::setMessage(const QString &text, bool error)
{
    m_message->setStyleSheet(error ? QStringLiteral("color: #b42318") : QStringLiteral("color: #2e7d32"));
    m_message->setText(text);
    if (!text.isEmpty())
        emit statusMessage(text);
}

void KvEditor::load(const QString &key, const std::optional<model::KvEntry> &entry)
{
    m_key = key;
    m_isNew = false;
    m_loadedValue = entry ? entry->value : QByteArray();
    m_loadedIndex = entry ? entry->index.modifyIndex : 0;
    m_flags = entry ? entry->flags : 0;
    m_mode = modeFor(m_loadedValue);
    m_modeButtons[int(m_mode)]->setChecked(true);
    const QSignalBlocker block(m_editor);
    m_editor->setPlainText(render(m_loadedValue, m_mode));
    m_loadedText = m_editor->toPlainText();
    setMessage(QString(), false);
    updateHeader();
}

void KvEditor::openKey(const QString &key)
{
    const QModelIndex src = m_model->indexForKey(key);
    if (src.isValid()) {
        const QModelIndex idx = m_proxy->mapFromSource(src);
        const QSignalBlocker block(m_tree->selectionModel());
        m_tree->setCurrentIndex(idx);
        m_tree->scrollTo(idx);
    }
    const auto it = m_cache->kv().constFind(key);
    load(key, it == m_cache->kv().cend() ? std::nullopt : std::optional<model::KvEntry>(*it));
}

void KvEditor::startNewKey(const QString &key)
{
    load(key, std::nullopt);
    m_isNew = true;
    m_mode = Mode::Text;
    m_modeButtons[0]->setChecked(true);
    updateHeader();
    m_editor->setFocus();
}

void KvEditor::onSelectionChanged()
{
    const QModelIndex idx = m_tree->currentIndex();
    if (!idx.isValid())
        return;
    const QString key = idx.data(KvTreeModel::FullKeyRole).toString();
    if (idx.data(KvTreeModel::HasValueRole).toBool())
        openKey(key);
    else {
        load(QString(), std::nullopt);
        m_meta->setText(tr("Folder %1: %n key(s)", nullptr, m_model->entryCountUnder(key)).arg(key));
    }
    updateHeader();
}

void KvEditor::onCacheChanged(stream::Topic topic, const QStringList &upserted, const QStringList &deleted)
{
    if (topic != stream::Topic::Kv || m_key.isEmpty() || m_busy)
        return;
    if (upserted.contains(m_key) || deleted.contains(m_key)) {
        const auto it = m_cache->kv().constFind(m_key);
        const quint64 now = it == m_cache->kv().cend() ? 0 : it->index.modifyIndex;
        if (now == m_loadedIndex && !m_isNew)
            return;
        if (!isModified() && !m_isNew)
            openKey(m_key);  // follow live changes while the user is only looking
        else
            setMessage(now ? tr("This key changed on the agent (index %1) since you opened it; saving will ask what to do.").arg(now)
                           : tr("This key was deleted on the agent since you opened it."),
                       true);
    }
    updateHeader();
}

bool KvEditor::setMode(Mode mode)
{
    if (mode == m_mode)
        return true;
    QString error;
    const auto bytes = editorBytes(&error);
    if (!bytes) {
        setMessage(error, true);
        return false;
    }
    if (mode != Mode::Hex && !isText(*bytes)) {
        setMessage(tr("This value is binary; it can only be shown as hex."), true);
        return false;
    }
    if (mode == Mode::Json) {
        QJsonParseError err{};
        QJsonDocument::fromJson(*bytes, &err);
        if (err.error != QJsonParseError::NoError) {
            setMessage(tr("This value is not JSON: %1").arg(err.errorString()), true);
            return false;
        }
    }
    const bool wasModified = isModified();
    m_mode = mode;
    m_modeButtons[int(mode)]->setChecked(true);
    {
        const QSignalBlocker block(m_editor);
        m_editor->setPlainText(render(*bytes, mode));
    }
    if (!wasModified)
        m_loadedText = m_editor->toPlainText();
    setMessage(QString(), false);
    updateHeader();
    return true;
}

void KvEditor::save()
{
    if (m_key.isEmpty() || m_busy)
        return;
    QString error;
    const auto bytes = editorBytes(&error);
    if (!bytes) {
        setMessage(error, true);
        emit failed(m_key, error);
        return;
    }
    if (bytes->size() > ApiClient::kMaxValueBytes) {
        // In KiB unless that rounds to the limit itself ("512 KiB; at most 512 KiB").
        const QString text = bytes->size() / 1024 <= ApiClient::kMaxValueBytes / 1024
            ? tr("The value is %L1 bytes; the agent accepts at most %L2 bytes (%3 KiB). Nothing was sent.")
                  .arg(bytes->size())
                  .arg(ApiClient::kMaxValueBytes)
                  .arg(ApiClient::kMaxValueBytes / 1024)
            : tr("The value is %1 KiB; the agent accepts at most %2 KiB. Nothing was sent.")
                  .arg(bytes->size() / 1024)
                  .arg(ApiClient::kMaxValueBytes / 1024);
        setMessage(text, true);
        emit failed(m_key, text);
        return;
    }
    putValue(m_key, *bytes, m_isNew ? 0 : m_loadedIndex);
}

void KvEditor::putValue(const QString &key, const QByteArray &bytes, quint64 cas)
{
    m_busy = true;
    updateHeader();
    setMessage(tr("Saving…"), false);
    m_api->kvPut(key, bytes, cas, [this, key, bytes](const ApiClient::WriteResult &r) {
        m_busy = false;
        if (!r.ok) {
            setMessage(r.error, true);
            emit failed(key, r.error);
            updateHeader();
            return;
        }
        if (!r.applied) {
            showConflict(key, bytes);
            updateHeader();
            return;
        }
        // Read back the new ModifyIndex so the next save is a cas on exactly what we wrote.
        m_api->kvGet(key, [this, key](const ApiClient::GetResult &g) {
            if (key != m_key)
                return;
            load(key, g.entry);
            setMessage(tr("Saved %1 (index %2).").arg(key).arg(m_loadedIndex), false);
            emit saved(key);
        });
    });
}

void KvEditor::showConflict(const QString &key, const QByteArray &mine)
{
    setMessage(tr("Not saved: %1 changed on the agent meanwhile.").arg(key), true);
    m_api->kvGet(key, [this, key, mine](const ApiClient::GetResult &g) {
        auto *dialog = new ConflictDialog(key, mine, g.entry, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QDialog::finished, this, [this, dialog, key, mine] {
            switch (dialog->choice()) {
            case ConflictDialog::Overwrite:
                putValue(key, mine, dialog->theirs() ? dialog->theirs()->index.modifyIndex : 0);
                break;
            case ConflictDialog::TakeTheirs:
                load(key, dialog->theirs());
                setMessage(tr("Loaded the stored version (index %1).").arg(m_loadedIndex), false);
                break;
            case ConflictDialog::KeepEditing:
                break;
            }
        });
        dialog->open();
        emit conflictOpened(dialog);
    });
}

void KvEditor::deleteSelected()
{
    const QModelIndex idx = m_tree->currentIndex();
    if (!idx.isValid())
        return;
    const QString key = idx.data(KvTreeModel::FullKeyRole).toString();
    const bool folder = idx.data(KvTreeModel::IsFolderRole).toBool();
    const int count = folder ? m_model->entryCountUnder(key) : 1;
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Delete"),
                                folder ? tr("Delete %1 and everything under it (%n key(s))?", nullptr, count).arg(key)
                                       : tr("Delete the key %1?").arg(key),
                                QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("confirmDelete"));
    QPushButton *yes = box->addButton(tr("Delete"), QMessageBox::DestructiveRole);
    yes->setObjectName(QStringLiteral("confirm"));
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    const auto entry = m_cache->kv().value(key);
    connect(box, &QMessageBox::finished, this, [this, box, yes, key, folder, entry] {
        if (box->clickedButton() != yes)
            return;
        const std::optional<quint64> cas = folder ? std::nullopt : std::optional<quint64>(entry.index.modifyIndex);
        m_api->kvDelete(key, folder, cas, [this, key](const ApiClient::WriteResult &r) {
            if (!r.ok)
                setMessage(r.error, true);
            else if (!r.applied)
                setMessage(tr("Not deleted: %1 changed on the agent meanwhile.").arg(key), true);
            else {
                setMessage(tr("Deleted %1.").arg(key), false);
                if (m_key == key || (key.endsWith(QLatin1Char('/')) && m_key.startsWith(key)))
                    load(QString(), std::nullopt);
                emit deleted(key);
            }
        });
    });
    box->open();
}

void KvEditor::renameTo(const QString &newKey)
{
    if (m_key.isEmpty() || m_isNew || newKey.isEmpty() || newKey == m_key)
        return;
    const QString oldKey = m_key;
    const quint64 oldIndex = m_loadedIndex;
    const QByteArray value = m_loadedValue;
    m_api->kvPut(newKey, value, 0, [this, oldKey, oldIndex, newKey](const ApiClient::WriteResult &r) {
        if (!r.ok || !r.applied) {
            setMessage(r.ok ? tr("Not renamed: %1 already exists.").arg(newKey) : r.error, true);
            return;
        }
        m_api->kvDelete(oldKey, false, oldIndex, [this, oldKey, newKey](const ApiClient::WriteResult &d) {
            if (!d.ok || !d.applied)
                setMessage(tr("Copied to %1, but %2 changed meanwhile and was kept.").arg(newKey, oldKey), true);
            else
                setMessage(tr("Renamed %1 to %2.").arg(oldKey, newKey), false);
            m_api->kvGet(newKey, [this, newKey](const ApiClient::GetResult &g) { load(newKey, g.entry); });
        });
    });
}

void KvEditor::askNewKey()
{
    auto *dlg = new QInputDialog(this);
    dlg->setWindowTitle(tr("New key"));
    dlg->setLabelText(tr("Key (use / to make folders):"));
    const QModelIndex idx = m_tree->currentIndex();
    QString prefix = idx.isValid() ? idx.data(KvTreeModel::FullKeyRole).toString() : QString();
    if (!prefix.endsWith(QLatin1Char('/')))
        prefix = prefix.left(prefix.lastIndexOf(QLatin1Char('/')) + 1);
    dlg->setTextValue(prefix);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    connect(dlg, &QInputDialog::textValueSelected, this, [this](const QString &k) {
        if (m_cache->kv().contains(k))
            openKey(k);
        else if (!k.isEmpty())
            startNewKey(k);
    });
    dlg->open();
}

void KvEditor::askRename()
{
    auto *dlg = new QInputDialog(this);
    dlg->setWindowTitle(tr("Rename key"));
    dlg->setLabelText(tr("New name for %1:").arg(m_key));
    dlg->setTextValue(m_key);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    connect(dlg, &QInputDialog::textValueSelected, this, &KvEditor::renameTo);
    dlg->open();
}

}  // namespace conclave::gui
