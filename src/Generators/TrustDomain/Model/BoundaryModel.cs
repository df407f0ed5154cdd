using TailGuard.Generators.Common;

namespace TailGuard.Generators.TrustDomain.Model;

/// <summary>Everything the emitter needs for one [TrustDomain] or [HostCalls] interface, as plain values.</summary>
internal sealed record BoundaryModel(
    string HintName,
    string Namespace,
    EquatableArray<ContainingTypeInfo> ContainingTypes,
    string InterfaceName,
    string InterfaceDisplayName,
    string Accessibility,
    string BaseName,
    bool IsHostCalls,
    EquatableArray<BoundaryMethod> Methods);
