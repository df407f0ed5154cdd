using TailGuard.Generators.Common;

namespace TailGuard.Generators.R2P2.Model;

/// <summary>
/// Everything the emitter needs for one [R2P2Service] interface, as plain values: the emitter never sees a symbol.
/// Methods are in declaration order, which the emitters keep (stable output for a given source).
/// </summary>
internal sealed record ServiceModel(
    string HintName,
    string Namespace,
    EquatableArray<ContainingTypeInfo> ContainingTypes,
    string InterfaceName,
    string InterfaceDisplayName,
    string Accessibility,
    string ClientName,
    string DispatcherName,
    EquatableArray<MethodModel> Methods);
