using System.Collections.Immutable;

namespace TailGuard.Generators.Tests.Properties;

/// <summary>Where the contracts of a scenario are declared.</summary>
internal enum Nesting
{
    BlockNamespace,
    FileScopedNamespace,
    GlobalNamespace,
    NestedInClass,
    NestedInGenericClasses,
    NestedInRecord,
}

/// <summary>How a parameter crosses, which decides how the implementation records it and how the driver checks it.</summary>
internal enum Shape
{
    /// <summary>A value passed as is (scalars, enums, structs, tuples, nullable values).</summary>
    Value,

    /// <summary>A string (possibly nullable).</summary>
    Text,

    /// <summary>An input span (R2P2 <c>ReadOnlySpan&lt;byte&gt;</c>, trust-boundary <c>ReadOnlySpan&lt;T&gt;</c>, <c>[UserCheck] ReadOnlySpan&lt;byte&gt;</c>).</summary>
    SpanIn,

    /// <summary>An output span (R2P2 destination, trust-boundary <c>Span&lt;T&gt;</c>, <c>[UserCheck] Span&lt;byte&gt;</c>).</summary>
    SpanOut,

    /// <summary>A trust-boundary <c>[InOut] Span&lt;T&gt;</c>.</summary>
    SpanInOut,
}

/// <summary>
/// One parameter. <see cref="Type"/> is the declared type, fully qualified (the element type for spans);
/// <see cref="Value"/> the argument as a C# expression (an array for spans); <see cref="Output"/> the array the
/// implementation writes into an output span; <see cref="Length"/> the caller's buffer length for output spans.
/// </summary>
internal sealed record ParamSpec(string Name, Shape Shape, string Type, string Attributes, string Value, string Output, int Length);

/// <summary>A result: its declared type (fully qualified), the value the implementation returns, and [return:] attributes.</summary>
internal sealed record ReturnSpec(string Type, string Value, string Attributes);

/// <summary>
/// One contract method; a null <see cref="Return"/> is void. With <see cref="DefaultBody"/> the interface gives it a
/// body returning the result, and the implementation does not implement it (the body runs on the callee's side).
/// </summary>
internal sealed record MethodSpec(string Name, ImmutableArray<ParamSpec> Parameters, ReturnSpec? Return, string Attributes, bool Documented, bool DefaultBody = false);

/// <summary>
/// One contract interface. <see cref="Extras"/> adds members that are not calls: a constant, a private and a sealed
/// helper method with bodies.
/// </summary>
internal sealed record ContractSpec(string Name, string Accessibility, string Attributes, bool Documented, ImmutableArray<MethodSpec> Methods, bool Extras = false)
{
    /// <summary>The interface name without the I-prefix convention, as the generators derive it.</summary>
    public string BaseName => Name.Length > 1 && Name[0] == 'I' && char.IsUpper(Name[1]) ? Name.Substring(1) : Name;
}

/// <summary>An enum or struct the contracts use, declared beside them (or inside the R2P2 interface).</summary>
internal sealed record UserTypeSpec(string Declaration);

/// <summary>
/// A compilation's worth of random contracts: an R2P2 service, a trust domain and a [HostCalls] interface, declared in
/// one nesting form, with the enums and structs they use.
/// </summary>
internal sealed record Scenario(
    Nesting Nesting,
    bool TypesInService,
    ImmutableArray<UserTypeSpec> Types,
    ContractSpec Service,
    ContractSpec Domain,
    ContractSpec HostCalls)
{
    public string Namespace => Nesting == Nesting.GlobalNamespace ? string.Empty : "Tg.Generated";

    /// <summary>The fully qualified prefix of the contracts' scope, as seen from inside it.</summary>
    public string Qualifier => Nesting switch
    {
        Nesting.GlobalNamespace => "global::",
        Nesting.NestedInClass => "global::Tg.Generated.Outer.",
        Nesting.NestedInGenericClasses => "global::Tg.Generated.Outer<T>.Inner.",
        Nesting.NestedInRecord => "global::Tg.Generated.Holder.",
        _ => "global::Tg.Generated.",
    };

    /// <summary>Where the enums and structs live: beside the contracts, or in the R2P2 interface.</summary>
    public string TypeQualifier => TypesInService ? Qualifier + Source.Id(Service.Name) + "." : TypesQualifier;

    // Under generic containers the helper types stay at namespace level, so no contract depends on the type parameter.
    private string TypesQualifier => Nesting switch
    {
        Nesting.GlobalNamespace => "global::",
        Nesting.NestedInGenericClasses => "global::Tg.Generated.",
        _ => Qualifier,
    };
}
