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
    SnapshotRestore = 4,    // SnapshotRestoreCommand
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

/// Replaces the whole state with a snapshot (PUT /v1/snapshot). Through the log so that every
/// server applies it at the same index. The payload's own lastApplied is ignored: the state then
/// stands at this entry's index. Its size is bounded by kMaxSnapshotRestoreBytes (snapshot_archive.h).
struct SnapshotRestoreCommand {
    QByteArray snapshot;  // Fsm::snapshot() bytes
};

struct Command {
    CommandType type = CommandType::Kv;
    std::variant<KvCommand, model::RegisterRequest, model::DeregisterRequest, SnapshotRestoreCommand> body;
};

/// CBOR field tags: every struct is a CBOR map with these small integer keys. Like the type
/// numbers they are append-only (they live in logs and snapshots). Decoders treat a missing key as
/// the field's default and a key of the wrong CBOR type as malformed; unknown keys are ignored.
/// Unsigned 64-bit values are stored as their two's-complement qint64 (QCborValue has no uint64).
namespace cbor {
namespace command { enum : int { Type = 0, Body = 1 }; }
namespace kvcommand { enum : int { Verb = 1, Entry = 2 }; }
namespace kventry {
enum : int { Key = 1, Value = 2, Flags = 3, LockIndex = 4, Session = 5, CreateIndex = 6, ModifyIndex = 7 };
}
namespace node {
enum : int {
    Id = 1, Name = 2, Address = 3, Datacenter = 4, TaggedAddresses = 5, Meta = 6,
    CreateIndex = 7, ModifyIndex = 8
};
}
namespace service {
enum : int {
    Kind = 1, Id = 2, Name = 3, Tags = 4, Address = 5, TaggedAddresses = 6, Meta = 7, Port = 8,
    SocketPath = 9, WeightsPassing = 10, WeightsWarning = 11, EnableTagOverride = 12,
    CreateIndex = 13, ModifyIndex = 14
};
}
namespace serviceaddress { enum : int { Address = 1, Port = 2 }; }
namespace definition {
enum : int {
    Http = 1, Method = 2, Body = 3, Header = 4, TlsSkipVerify = 5, TlsServerName = 6,
    DisableRedirects = 7, Tcp = 8, ScriptArgs = 9, Ttl = 10, Interval = 11, Timeout = 12,
    DeregisterCriticalServiceAfter = 13, OutputMaxSize = 14, SuccessBeforePassing = 15,
    FailuresBeforeWarning = 16, FailuresBeforeCritical = 17
};
}
namespace check {
enum : int {
    Node = 1, CheckId = 2, Name = 3, Status = 4, Notes = 5, Output = 6, ServiceId = 7,
    ServiceName = 8, ServiceTags = 9, Type = 10, Definition = 11, CreateIndex = 12, ModifyIndex = 13
};
}
namespace registerrequest {
enum : int {
    Id = 1, Node = 2, Address = 3, Datacenter = 4, TaggedAddresses = 5, NodeMeta = 6,
    HasService = 7, Service = 8, Checks = 9, SkipNodeUpdate = 10
};
}
namespace deregisterrequest { enum : int { Node = 1, Datacenter = 2, ServiceId = 3, CheckId = 4 }; }
namespace snapshotrestore { enum : int { Snapshot = 1 }; }
}  // namespace cbor

QByteArray encodeCommand(const Command &cmd);
/// nullopt on malformed bytes or an unknown type; error says why.
std::optional<Command> decodeCommand(const QByteArray &bytes, QString *error = nullptr);

}  // namespace conclave::state
