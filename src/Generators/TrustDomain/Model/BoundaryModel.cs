using TailGuard.Generators.Common;

namespace TailGuard.Generators.TrustDomain.Model;

/// <summary>
/// Everything the emitter needs for one [TrustDomain] or [HostCalls] interface, as plain values. <see cref="Qualifier"/>
/// names the scope the generated types share with the interface ("global::Ns.Outer&lt;T&gt;.", or "global::"), so generated
/// code can name them where a user parameter could shadow a simple name. <see cref="Obsolete"/>
/// is the interface's <c>[Obsolete]</c> ("" if none), carried onto the generated types; <see cref="ScopeNames"/> are
/// user identifiers in scope (<see cref="ObsoleteDiagnosticIds"/>: the custom ids of obsolete types the signatures use) around the generated types (containing types' type parameters).
/// </summary>
internal sealed record BoundaryModel(
    string HintName,
    string Namespace,
    EquatableArray<ContainingTypeInfo> ContainingTypes,
    string InterfaceName,
    string InterfaceDisplayName,
    string InterfaceCref,
    string Qualifier,
    string Accessibility,
    string BaseName,
    bool IsHostCalls,
    string Obsolete,
    EquatableArray<string> ObsoleteDiagnosticIds,
    EquatableArray<string> ScopeNames,
    EquatableArray<BoundaryMethod> Methods);
