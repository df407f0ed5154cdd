using Microsoft.CodeAnalysis;
using TailGuard.Generators.Common;

namespace TailGuard.Generators.TrustDomain;

/// <summary>
/// The TG2xxx rules (behaviour B11 of docs/design/tyche.md): declarations that cannot cross a trust boundary safely.
/// The contract analyzer reports them; an error stops generation of its interface (the generator itself reports nothing).
/// </summary>
internal static class TrustDomainDiagnostics
{
    private const string Category = "TailGuard.TrustBoundary";

    public static readonly DiagnosticDescriptor BufferWithoutDirection = Create(
        "TG2001",
        "Trust-boundary buffer without a direction",
        "Parameter '{0}' of '{1}' is a buffer of type '{2}' without a direction; declare ReadOnlySpan<T> (in), Span<T> (out) or [InOut] Span<T> (in-out)");

    public static readonly DiagnosticDescriptor StringNotIn = Create(
        "TG2002",
        "Trust-boundary strings cross in only",
        "{0} of '{1}' is a string that would cross outward; strings cross in only (bounded UTF-8): return or fill a Span<byte> instead");

    public static readonly DiagnosticDescriptor UserCheckMisuse = Create(
        "TG2003",
        "[UserCheck] cannot be combined with a direction",
        "Parameter '{0}' of '{1}' is [UserCheck] {2}; [UserCheck] applies alone, to a ReadOnlySpan<byte> or Span<byte>");

    public static readonly DiagnosticDescriptor TypeCannotCross = Create(
        "TG2004",
        "Type cannot cross a trust boundary",
        "{0} of '{1}' has type '{2}', which cannot cross a trust boundary: {3}");

    public static readonly DiagnosticDescriptor MissingBound = Create(
        "TG2005",
        "Trust-boundary buffer without a bound",
        "Parameter '{0}' of '{1}' is a span without [Bounded(n)]; the callee's private scratch is sized from the bound, so every span needs one");

    public static readonly DiagnosticDescriptor ByReference = Create(
        "TG2006",
        "By-reference parameters and returns cannot cross a trust boundary",
        "{0} of '{1}' is passed by reference ('{2}'); address spaces differ across the boundary: pass it by value, or use Span<T> for output");

    public static readonly DiagnosticDescriptor Generic = Create(
        "TG2007",
        "Trust-boundary contracts cannot be generic",
        "'{0}' is generic; the frame layout is fixed at compile time, so declare one non-generic {1} per concrete type");

    public static readonly DiagnosticDescriptor UnsupportedMember = Create(
        "TG2008",
        "Only instance methods can cross a trust boundary",
        "'{0}' is a {1}; a trust-boundary interface declares instance methods only");

    public static readonly DiagnosticDescriptor UserCheckUsed = new(
        "TG2009",
        "[UserCheck] passes shared memory without a copy",
        "Parameter '{0}' of '{1}' is [UserCheck]: the callee reads shared memory the other side can rewrite at any moment (no copy, no double-fetch protection); copy what you validate",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: DiagnosticHelp.Link("TG2009"));

    public static readonly DiagnosticDescriptor InvalidBound = Create(
        "TG2010",
        "Invalid [Bounded] bound",
        "[Bounded({0})] on parameter '{1}' of '{2}' {3}");

    public static readonly DiagnosticDescriptor InOutMisuse = Create(
        "TG2011",
        "[InOut] applies to Span<T> only",
        "Parameter '{0}' of '{1}' is [InOut] but has type '{2}'; [InOut] marks a Span<T> whose contents cross in and back out");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Create(
        "TG2012",
        "Type containing a trust-boundary interface must be partial",
        "'{0}' contains trust-boundary interface '{1}' and must be declared 'partial' so the proxy and entry can be generated beside it");

    public static readonly DiagnosticDescriptor InheritedInterface = Create(
        "TG2013",
        "Trust-boundary interfaces cannot inherit interfaces",
        "'{0}' inherits '{1}'; inherited members would have no frame layout: declare every method on the trust-boundary interface itself");

    public static readonly DiagnosticDescriptor StructPadding = Create(
        "TG2014",
        "A struct crossing a trust boundary has implicit padding",
        "{0} of '{1}' has type '{2}', which has {3} byte(s) of implicit padding ({4}); a struct is copied whole, so padding would carry whatever memory the sender's copy held: reorder its fields largest first, add explicit padding fields, or give it an explicit layout with no gaps");

    public static readonly DiagnosticDescriptor StructInvalidField = Create(
        "TG2015",
        "A struct crossing a trust boundary holds a bool or decimal field",
        "{0} of '{1}' has type '{2}', whose field '{3}' is a {4}: not every bit pattern of a {4} is valid, and fields inside a struct are not validated at the boundary; use an integer field (a byte 0/1, a scaled long), or pass the {4} as a parameter of its own, where it is checked");

    public static readonly DiagnosticDescriptor StructLayoutUnknown = Create(
        "TG2016",
        "The layout of a struct crossing a trust boundary cannot be checked",
        "{0} of '{1}' has type '{2}', whose layout cannot be checked for padding: {3}; use a sequential or explicit layout declared in source");

    public static readonly DiagnosticDescriptor FileLocalContract = Create(
        "TG2020",
        "A trust-boundary interface cannot be file-local",
        "'{0}' is {1}; the generated boundary, proxy and entry live in another file, which cannot name a file-local type: remove 'file' (make it private or internal instead)");

    public static readonly DiagnosticDescriptor GeneratedNameTaken = Create(
        "TG2021",
        "A generated trust-boundary type name is already in use",
        "'{0}' generates '{1}', but {2}; rename the interface or the other declaration");

    /// <summary>
    /// Every TG2xxx rule: what the contract analyzer supports. A new rule is a descriptor above plus its entry here
    /// (a test holds this list equal to the descriptors declared in this class).
    /// </summary>
    public static readonly System.Collections.Immutable.ImmutableArray<DiagnosticDescriptor> All = System.Collections.Immutable.ImmutableArray.Create(
        BufferWithoutDirection,
        StringNotIn,
        UserCheckMisuse,
        TypeCannotCross,
        MissingBound,
        ByReference,
        Generic,
        UnsupportedMember,
        UserCheckUsed,
        InvalidBound,
        InOutMisuse,
        ContainingTypeNotPartial,
        InheritedInterface,
        StructPadding,
        StructInvalidField,
        StructLayoutUnknown,
        FileLocalContract,
        GeneratedNameTaken);

    private static DiagnosticDescriptor Create(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: DiagnosticHelp.Link(id));
}
