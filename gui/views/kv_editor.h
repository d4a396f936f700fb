#pragma once
// KvEditor: browse the KV tree and edit values safely. A value is shown as text, as pretty JSON
// (validated before saving) or as hex (binary values). Saves are check-and-set on the ModifyIndex
// that was loaded: if someone changed the key meanwhile the agent refuses, and a ConflictDialog
// shows both versions instead of overwriting. Create, rename (create the new key with cas=0, then
// delete the old one with cas) and delete (folders recursively, after confirmation) are offered.
// Values over ApiClient::kMaxValueBytes are refused before anything is sent.
//
// Owned by the main window; GUI thread only; writes only through ApiClient, reads the ClusterCache.
// Dialogs are opened with open(), never exec(): the event loop keeps running.

#include "gui/net/api_client.h"
#include "gui/state/cluster_cache.h"

#include <QWidget>
#include <optional>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QToolButton;
class QTreeView;
class QButtonGroup;
class QSortFilterProxyModel;

namespace conclave::gui {

class KvTreeModel;
class ConflictDialog;

class KvEditor : public QWidget {
    Q_OBJECT
public:
    enum class Mode { Text = 0, Json = 1, Hex = 2 };

    KvEditor(ClusterCache *cache, ApiClient *api, QWidget *parent = nullptr);

    /// Selects `key` in the tree and loads its value and ModifyIndex from the cache.
    void openKey(const QString &key);
    /// Starts editing a key that does not exist yet (saved with cas=0).
    void startNewKey(const QString &key);
    QString currentKey() const { return m_key; }
    quint64 loadedIndex() const { return m_loadedIndex; }
    bool isModified() const;
    Mode mode() const { return m_mode; }
    /// Converts the editor content to `mode`; false (and a message) if the current text is not
    /// valid in its present mode.
    bool setMode(Mode mode);
    QPlainTextEdit *editor() const { return m_editor; }
    KvTreeModel *model() const { return m_model; }
    QTreeView *tree() const { return m_tree; }

    /// Validates and saves the editor content with cas = the loaded ModifyIndex.
    void save();
    /// Asks, then deletes the selected key, or the selected folder recursively.
    void deleteSelected();
    /// Renames the current key to `newKey` (create with cas=0, then delete the old with cas).
    void renameTo(const QString &newKey);

    /// Bytes the editor would save in the current mode; nullopt + *error if invalid.
    std::optional<QByteArray> editorBytes(QString *error) const;
    /// How a value would first be shown: hex if not UTF-8 text, JSON if it parses as a document.
    static Mode modeFor(const QByteArray &value);
    static QString render(const QByteArray &value, Mode mode);

signals:
    void saved(const QString &key);
    void failed(const QString &key, const QString &reason);
    void deleted(const QString &key);
    void conflictOpened(conclave::gui::ConflictDialog *dialog);
    void statusMessage(const QString &text);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    void load(const QString &key, const std::optional<model::KvEntry> &entry);
    void onSelectionChanged();
    void onCacheChanged(stream::Topic topic, const QStringList &upserted, const QStringList &deleted);
    void putValue(const QString &key, const QByteArray &bytes, quint64 cas);
    void showConflict(const QString &key, const QByteArray &mine);
    void setMessage(const QString &text, bool error);
    void updateHeader();
    void askNewKey();
    void askRename();

    ClusterCache *m_cache;
    ApiClient *m_api;
    KvTreeModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTreeView *m_tree;
    QLineEdit *m_filter;
    QToolButton *m_newButton, *m_renameButton, *m_deleteButton;
    QLabel *m_keyLabel, *m_meta, *m_message;
    QButtonGroup *m_modes;
    QToolButton *m_modeButtons[3];
    QPlainTextEdit *m_editor;
    QPushButton *m_revert, *m_saveButton;

    QString m_key;
    QByteArray m_loadedValue;
    quint64 m_loadedIndex = 0;
    quint64 m_flags = 0;
    bool m_isNew = false;
    bool m_busy = false;
    Mode m_mode = Mode::Text;
    QString m_loadedText;  // editor text right after load, to tell whether the user edited
};

}  // namespace conclave::gui
