using TailGuard.Generators.Common;

namespace TailGuard.Generators.R2P2.Model;

/// <summary>
/// Everything the emitter needs for one [R2P2Service] interface, as plain values: the emitter never sees a symbol.
/// Methods are in ordinal order of name (stable output whatever order partial declarations are merged in).
/// <see cref="Obsolete"/> is the interface's own <c>[Obsolete]</c> ("" if none), carried onto the generated types;
/// <see cref="ObsoleteDiagnosticIds"/> are the custom ids of obsolete types the signatures use;
/// <see cref="ContainerCref"/> is the cref prefix of the scope the generated types share with the interface;
/// <see cref="ScopeNames"/> are user identifiers in scope around the generated types (containing types' type parameters);
/// <see cref="TraceContext"/> is <c>[R2P2Service(TraceContext = true)]</c>: requests carry a trace context after the method id.
/// <see cref="Replicated"/>: <c>[R2P2Service(Replicated = true)]</c> (docs/replication.md): the client wraps a
/// ReplicatedClient and the dispatcher is also the replicas' IReplicatedService.
/// </summary>
internal sealed record ServiceModel(
    string HintName,
    string Namespace,
    EquatableArray<ContainingTypeInfo> ContainingTypes,
    string InterfaceName,
    string InterfaceDisplayName,
    string InterfaceCref,
    string ContainerCref,
    string Accessibility,
    string ClientName,
    string ClientInterfaceName,
    string DispatcherName,
    string Obsolete,
    EquatableArray<string> ObsoleteDiagnosticIds,
    EquatableArray<string> ScopeNames,
    EquatableArray<MethodModel> Methods,
    bool TraceContext,
    bool Replicated = false);
