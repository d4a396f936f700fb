#pragma once
// Replicated-log commands: what a write becomes before it is proposed, and how the FSM reads it
// back. CBOR-encoded with an explicit numeric type tag. Type numbers are append-only: they live on
// in logs and snapshots (Consul structs.go MessageType). Unknown types are rejected, never guessed.

#include "shared/model/types.h"

#include <QByteArray>
#include <QList>
#include <optional>
#include <variant>

namespace conclave::state {

enum class CommandType : quint8 {
    Kv = 1,                 // KvCommand
    CatalogRegister = 2,    // model::RegisterRequest
    CatalogDeregister = 3,  // model::DeregisterRequest
    // append only
};

/// KV operation verbs, as Consul's api.KVOp.
enum class KvVerb : quint8 {
    Set = 1,
    Cas = 2,         // write iff ModifyIndex == entry.index.modifyIndex (0 = must not exist)
    Delete = 3,
    DeleteTree = 4,  // every key with entry.key as prefix
    DeleteCas = 5,   // delete iff ModifyIndex == entry.index.modifyIndex (0 never deletes)
    Lock = 6,        // acquire with entry.session (sessions arrive later; rejected until then)
    Unlock = 7,
    // append only
};

struct KvCommand {
    KvVerb verb = KvVerb::Set;
    model::KvEntry entry;  // key, value, flags, session; index.modifyIndex carries the cas index
};

struct Command {
    CommandType type = CommandType::Kv;
    std::variant<KvCommand, model::RegisterRequest, model::DeregisterRequest> body;
};

QByteArray encodeCommand(const Command &cmd);
/// nullopt on malformed bytes or an unknown type; error says why.
std::optional<Command> decodeCommand(const QByteArray &bytes, QString *error = nullptr);

}  // namespace conclave::state
