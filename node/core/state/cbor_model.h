#pragma once
// CBOR form of the model values, shared by the command codec and the snapshot. Field tags are the
// constants in command.h (cbor::…). Internal to conclave_state.
//
// Decoders never trust their input (log entries and snapshots may be corrupt or fuzzed): every
// field's CBOR type and integer range is checked, and the first problem is reported in `error`.

#include "shared/model/types.h"

#include <QCborMap>
#include <QCborValue>
#include <QString>

namespace conclave::state::cbormodel {

QCborValue encode(const model::KvEntry &v);
QCborValue encode(const model::Node &v);
QCborValue encode(const model::Service &v);
QCborValue encode(const model::Check &v);
QCborValue encode(const model::RegisterRequest &v);
QCborValue encode(const model::DeregisterRequest &v);

bool decode(const QCborValue &in, model::KvEntry &out, QString *error);
bool decode(const QCborValue &in, model::Node &out, QString *error);
bool decode(const QCborValue &in, model::Service &out, QString *error);
bool decode(const QCborValue &in, model::Check &out, QString *error);
bool decode(const QCborValue &in, model::RegisterRequest &out, QString *error);
bool decode(const QCborValue &in, model::DeregisterRequest &out, QString *error);

/// Unsigned values travel as their two's-complement qint64 bit pattern.
inline QCborValue u64(quint64 v) { return QCborValue(qint64(v)); }

/// Checked access to one CBOR map; remembers the first error. Missing keys leave the default.
class MapReader {
public:
    MapReader(const QCborValue &value, const char *what);

    bool ok() const { return m_error.isEmpty(); }
    const QString &error() const { return m_error; }
    /// Records an error found by the caller (first one wins).
    void fail(int key, const QString &why);
    /// The raw value under key (Undefined when absent, or after an error).
    QCborValue value(int key) const;

    void text(int key, QString &out);
    void bytes(int key, QByteArray &out);
    void u64(int key, quint64 &out);
    void i64(int key, qint64 &out);
    void i32(int key, int &out);
    void u8(int key, quint8 &out);
    void boolean(int key, bool &out);
    void textList(int key, QStringList &out);
    void textMap(int key, QMap<QString, QString> &out);

private:
    bool integer(int key, qint64 &out);

    QCborMap m_map;
    const char *m_what;
    QString m_error;
};

}  // namespace conclave::state::cbormodel
