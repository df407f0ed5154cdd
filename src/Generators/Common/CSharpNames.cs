using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TailGuard.Generators.Common;

/// <summary>How generated code spells identifiers, types and accessibility.</summary>
internal static class CSharpNames
{
    /// <summary>Fully qualified with <c>global::</c>, so generated code never depends on the user's usings.</summary>
    public static string FullyQualified(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

    /// <summary>
    /// The fully qualified prefix of the scope <paramref name="type"/> is declared in ("global::Ns.Outer&lt;T&gt;.", or
    /// "global::" in the global namespace): a sibling type's full name is this plus its name.
    /// </summary>
    public static string Qualifier(INamedTypeSymbol type)
        => type.ContainingType is { } outer
            ? FullyQualified(outer) + "."
            : type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." : "global::";

    /// <summary>An identifier usable as-is in source: keywords get an '@'.</summary>
    public static string Identifier(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) == SyntaxKind.AwaitKeyword
            ? "@" + name
            : name;

    /// <summary>A C# string literal of <paramref name="text"/>, quoted and escaped the way the compiler displays one.</summary>
    public static string Literal(string text) => SymbolDisplay.FormatLiteral(text, quote: true);

    /// <summary>The metadata name with namespace and containing types ("Ns.Outer+IInner"), for hint names.</summary>
    public static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.MetadataName;
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            name = outer.MetadataName + "+" + name;
        }

        return type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + name : name;
    }

    /// <summary>The accessibility keyword(s) of a declared accessibility.</summary>
    public static string Accessibility(Accessibility accessibility) => accessibility switch
    {
        Microsoft.CodeAnalysis.Accessibility.Public => "public",
        Microsoft.CodeAnalysis.Accessibility.Private => "private",
        Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
        Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
        Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
        _ => "internal",
    };

    /// <summary>The keyword of a by-reference kind, for diagnostics ("ref", "out", "in", "ref readonly").</summary>
    public static string RefKindKeyword(RefKind kind) => kind switch
    {
        RefKind.Ref => "ref",
        RefKind.Out => "out",
        RefKind.In => "in",
        _ => "ref readonly",
    };

    /// <summary>"IKeyValue" -> "KeyValue"; a name without the I-prefix convention is kept whole.</summary>
    public static string WithoutInterfacePrefix(string interfaceName)
        => interfaceName.Length > 1 && interfaceName[0] == 'I' && char.IsUpper(interfaceName[1]) ? interfaceName.Substring(1) : interfaceName;

    /// <summary>The declaration keyword of a containing type ("class", "struct", "record struct", ...).</summary>
    public static string TypeKeyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };
}
