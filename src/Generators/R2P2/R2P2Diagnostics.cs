using Microsoft.CodeAnalysis;
using TailGuard.Generators.Common;

namespace TailGuard.Generators.R2P2;

/// <summary>
/// The TG1xxx rules: declarations the R2P2 service generator cannot serve. The contract analyzer reports them; every one
/// stops generation of its service (the generator itself reports nothing).
/// </summary>
internal static class R2P2Diagnostics
{
    private const string Category = "TailGuard.R2P2";

    public static readonly DiagnosticDescriptor UnsupportedParameterType = Create(
        "TG1001",
        "Parameter type cannot cross an R2P2 service",
        "Parameter '{0}' of '{1}' has type '{2}', which cannot cross an R2P2 service: {3}");

    public static readonly DiagnosticDescriptor UnsupportedReturnType = Create(
        "TG1002",
        "Return type cannot cross an R2P2 service",
        "'{0}' returns '{1}', which cannot cross an R2P2 service: {2}");

    public static readonly DiagnosticDescriptor ByRefNotAllowed = Create(
        "TG1003",
        "By-reference parameters and returns are not allowed on an R2P2 service",
        "{0} of '{1}' is passed by reference ('{2}'); an R2P2 call copies values across the network, so declare it by value (use Span<byte> for output bytes)");

    public static readonly DiagnosticDescriptor GenericMethod = Create(
        "TG1004",
        "R2P2 service methods cannot be generic",
        "'{0}' is generic; the wire format has no type information, so declare one method per concrete type");

    public static readonly DiagnosticDescriptor GenericInterface = Create(
        "TG1005",
        "R2P2 service interfaces cannot be generic",
        "R2P2 service '{0}' is generic; declare a non-generic interface per concrete service");

    public static readonly DiagnosticDescriptor MethodIdCollision = Create(
        "TG1006",
        "Two R2P2 methods have the same id",
        "'{0}' has method id {1} ({2}), which '{3}' already uses; give one of them an explicit unused [R2P2Method(id)]");

    public static readonly DiagnosticDescriptor ClientNameCollision = Create(
        "TG1007",
        "R2P2 methods collide by name",
        "'{0}' collides with '{1}': both would generate the client method '{2}'; overloads and names that differ only by an 'Async' or 'Lease' suffix are not supported, rename one");

    public static readonly DiagnosticDescriptor UnsupportedMember = Create(
        "TG1008",
        "R2P2 service interfaces may declare only instance methods",
        "'{0}' is a {1}; an R2P2 service interface may declare only instance methods, which become remote calls");

    public static readonly DiagnosticDescriptor DestinationMisuse = Create(
        "TG1009",
        "A Span<byte> destination needs an int result and must be the only one",
        "'{0}' {1}; a method with a Span<byte> destination must have exactly one and return int (the number of bytes written)");

    public static readonly DiagnosticDescriptor InheritedInterface = Create(
        "TG1010",
        "R2P2 service interfaces cannot inherit interfaces",
        "R2P2 service '{0}' inherits '{1}'; inherited members would not be served, declare them on the service interface");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Create(
        "TG1011",
        "A type containing an R2P2 service must be partial",
        "'{0}' contains R2P2 service '{1}' and must be declared 'partial' so the client and dispatcher can be generated beside it");

    public static readonly DiagnosticDescriptor InvalidRoutingPolicy = Create(
        "TG1012",
        "Invalid R2P2 routing policy",
        "{0} has routing policy {1}; use LoadBalanced, Fixed, Replicated or ReplicatedReadOnly{2}");

    public static readonly DiagnosticDescriptor InvalidMaxLength = Create(
        "TG1013",
        "Invalid [R2P2MaxLength] bound",
        "[R2P2MaxLength({0})] on {1} {2}");

    public static readonly DiagnosticDescriptor FileLocalService = Create(
        "TG1014",
        "An R2P2 service cannot be file-local",
        "R2P2 service '{0}' is {1}; the generated client and dispatcher live in another file, which cannot name a file-local type: remove 'file' (make it private or internal instead)");

    public static readonly DiagnosticDescriptor GeneratedNameTaken = Create(
        "TG1015",
        "A generated R2P2 type name is already in use",
        "R2P2 service '{0}' generates '{1}', but {2}; rename the interface or the other declaration");

    public static readonly DiagnosticDescriptor MaxLengthAboveCeiling = Create(
        "TG1030",
        "[R2P2MaxLength] bound above the ceiling",
        "[R2P2MaxLength({0})] on {1} is above the ceiling of {2} bytes: a bound is what one request may make the server read or rent, so keep it to what the method needs");

    /// <summary>Every TG1xxx rule, in id order: what the contract analyzer supports.</summary>
    public static readonly System.Collections.Immutable.ImmutableArray<DiagnosticDescriptor> All = System.Collections.Immutable.ImmutableArray.Create(
        UnsupportedParameterType,
        UnsupportedReturnType,
        ByRefNotAllowed,
        GenericMethod,
        GenericInterface,
        MethodIdCollision,
        ClientNameCollision,
        UnsupportedMember,
        DestinationMisuse,
        InheritedInterface,
        ContainingTypeNotPartial,
        InvalidRoutingPolicy,
        InvalidMaxLength,
        FileLocalService,
        GeneratedNameTaken,
        MaxLengthAboveCeiling);

    private static DiagnosticDescriptor Create(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.Link(id));
}
