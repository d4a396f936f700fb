#pragma once
// Every JSON field name of Consul's HTTP API that Conclave reads or writes, spelled once.
// Only json/codec.cpp uses these (like Transmission's quark.h); everything else speaks model
// types. Grouped by the Consul type that owns the field; a name shared by several types sits
// with the first that uses it. Golden tests in tests/unit/shared spell the JSON literally, so a
// typo here fails them.

#include <QLatin1String>

namespace conclave::json::key {

// Raft indexes (structs.RaftIndex), on every row.
inline constexpr QLatin1String CreateIndex{"CreateIndex"};
inline constexpr QLatin1String ModifyIndex{"ModifyIndex"};

// KV entry (structs.DirEntry).
inline constexpr QLatin1String LockIndex{"LockIndex"};
inline constexpr QLatin1String Key{"Key"};
inline constexpr QLatin1String Flags{"Flags"};
inline constexpr QLatin1String Value{"Value"};
inline constexpr QLatin1String Session{"Session"};

// `consul kv export` entries are lower case.
inline constexpr QLatin1String ExportKey{"key"};
inline constexpr QLatin1String ExportFlags{"flags"};
inline constexpr QLatin1String ExportValue{"value"};

// Node (structs.Node) and RegisterRequest.
inline constexpr QLatin1String ID{"ID"};
inline constexpr QLatin1String Node{"Node"};
inline constexpr QLatin1String Address{"Address"};
inline constexpr QLatin1String Datacenter{"Datacenter"};
inline constexpr QLatin1String TaggedAddresses{"TaggedAddresses"};
inline constexpr QLatin1String Meta{"Meta"};
inline constexpr QLatin1String NodeMeta{"NodeMeta"};
inline constexpr QLatin1String Service{"Service"};
inline constexpr QLatin1String Check{"Check"};
inline constexpr QLatin1String Checks{"Checks"};
inline constexpr QLatin1String SkipNodeUpdate{"SkipNodeUpdate"};

// NodeService / AgentService / service registration.
inline constexpr QLatin1String Kind{"Kind"};
inline constexpr QLatin1String Name{"Name"};
inline constexpr QLatin1String Tags{"Tags"};
inline constexpr QLatin1String Port{"Port"};
inline constexpr QLatin1String SocketPath{"SocketPath"};
inline constexpr QLatin1String Weights{"Weights"};
inline constexpr QLatin1String Passing{"Passing"};
inline constexpr QLatin1String Warning{"Warning"};
inline constexpr QLatin1String EnableTagOverride{"EnableTagOverride"};
inline constexpr QLatin1String Proxy{"Proxy"};
inline constexpr QLatin1String Mode{"Mode"};
inline constexpr QLatin1String MeshGateway{"MeshGateway"};
inline constexpr QLatin1String Expose{"Expose"};
inline constexpr QLatin1String Connect{"Connect"};
inline constexpr QLatin1String PeerName{"PeerName"};

// ServiceNode (the flattened catalog service row).
inline constexpr QLatin1String ServiceKind{"ServiceKind"};
inline constexpr QLatin1String ServiceID{"ServiceID"};
inline constexpr QLatin1String ServiceName{"ServiceName"};
inline constexpr QLatin1String ServiceTags{"ServiceTags"};
inline constexpr QLatin1String ServiceAddress{"ServiceAddress"};
inline constexpr QLatin1String ServiceTaggedAddresses{"ServiceTaggedAddresses"};
inline constexpr QLatin1String ServiceWeights{"ServiceWeights"};
inline constexpr QLatin1String ServiceMeta{"ServiceMeta"};
inline constexpr QLatin1String ServicePort{"ServicePort"};
inline constexpr QLatin1String ServiceSocketPath{"ServiceSocketPath"};
inline constexpr QLatin1String ServiceEnableTagOverride{"ServiceEnableTagOverride"};
inline constexpr QLatin1String ServiceProxy{"ServiceProxy"};
inline constexpr QLatin1String ServiceConnect{"ServiceConnect"};
inline constexpr QLatin1String ServiceLocality{"ServiceLocality"};
inline constexpr QLatin1String Services{"Services"};

// HealthCheck, its Definition, and check registration bodies.
inline constexpr QLatin1String CheckID{"CheckID"};
inline constexpr QLatin1String Status{"Status"};
inline constexpr QLatin1String Notes{"Notes"};
inline constexpr QLatin1String Output{"Output"};
inline constexpr QLatin1String Type{"Type"};
inline constexpr QLatin1String Interval{"Interval"};
inline constexpr QLatin1String Timeout{"Timeout"};
inline constexpr QLatin1String ExposedPort{"ExposedPort"};
inline constexpr QLatin1String Definition{"Definition"};
inline constexpr QLatin1String HTTP{"HTTP"};
inline constexpr QLatin1String TLSServerName{"TLSServerName"};
inline constexpr QLatin1String TLSSkipVerify{"TLSSkipVerify"};
inline constexpr QLatin1String Header{"Header"};
inline constexpr QLatin1String Method{"Method"};
inline constexpr QLatin1String Body{"Body"};
inline constexpr QLatin1String DisableRedirects{"DisableRedirects"};
inline constexpr QLatin1String TCP{"TCP"};
inline constexpr QLatin1String TTL{"TTL"};
inline constexpr QLatin1String OutputMaxSize{"OutputMaxSize"};
inline constexpr QLatin1String DeregisterCriticalServiceAfter{"DeregisterCriticalServiceAfter"};
inline constexpr QLatin1String ScriptArgs{"ScriptArgs"};
inline constexpr QLatin1String Args{"Args"};  // input alias of ScriptArgs (the docs' name)
inline constexpr QLatin1String SuccessBeforePassing{"SuccessBeforePassing"};
inline constexpr QLatin1String FailuresBeforeWarning{"FailuresBeforeWarning"};
inline constexpr QLatin1String FailuresBeforeCritical{"FailuresBeforeCritical"};

// Member (serf.Member, /v1/agent/members).
inline constexpr QLatin1String Addr{"Addr"};
inline constexpr QLatin1String ProtocolMin{"ProtocolMin"};
inline constexpr QLatin1String ProtocolMax{"ProtocolMax"};
inline constexpr QLatin1String ProtocolCur{"ProtocolCur"};
inline constexpr QLatin1String DelegateMin{"DelegateMin"};
inline constexpr QLatin1String DelegateMax{"DelegateMax"};
inline constexpr QLatin1String DelegateCur{"DelegateCur"};

}  // namespace conclave::json::key
