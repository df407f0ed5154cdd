using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TailGuard.Generators.Common;

/// <summary>
/// A contract member's <c>[Obsolete]</c>, rewritten for generated code: the generated member a user calls instead
/// carries the same message, error flag, diagnostic id and URL, so the user is warned (or stopped) exactly as by the
/// contract member itself.
/// </summary>
internal static class ObsoleteAttributeText
{
    /// <summary>The attribute to write, or "" when <paramref name="symbol"/> is not obsolete.</summary>
    public static string Of(ISymbol symbol)
    {
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "ObsoleteAttribute", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } })
            {
                var arguments = new List<string>();
                foreach (TypedConstant argument in attribute.ConstructorArguments)
                {
                    arguments.Add(argument.ToCSharpString());
                }

                foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
                {
                    arguments.Add(argument.Key + " = " + argument.Value.ToCSharpString());
                }

                return "[global::System.Obsolete(" + string.Join(", ", arguments) + ")]";
            }
        }

        return string.Empty;
    }

    /// <summary>
    /// The custom diagnostic ids (<c>[Obsolete(DiagnosticId = ...)]</c>) of the obsolete types among
    /// <paramref name="types"/>, their type arguments, elements and containing types: generated code that names such a
    /// type gets that id, not CS0618, so the file disables these too. Sorted, without duplicates.
    /// </summary>
    public static List<string> DiagnosticIds(IEnumerable<ITypeSymbol> types)
    {
        var ids = new SortedSet<string>(System.StringComparer.Ordinal);
        var seen = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        foreach (ITypeSymbol type in types)
        {
            Collect(type, ids, seen);
        }

        return new List<string>(ids);
    }

    private static void Collect(ITypeSymbol type, SortedSet<string> ids, HashSet<ITypeSymbol> seen)
    {
        if (!seen.Add(type))
        {
            return;
        }

        switch (type)
        {
            case IArrayTypeSymbol array:
                Collect(array.ElementType, ids, seen);
                return;
            case INamedTypeSymbol named:
                foreach (ITypeSymbol argument in named.TypeArguments)
                {
                    Collect(argument, ids, seen);
                }

                break;
        }

        for (ISymbol? symbol = type; symbol is ITypeSymbol current; symbol = current.ContainingType)
        {
            foreach (AttributeData attribute in symbol.GetAttributes())
            {
                if (attribute.AttributeClass is { Name: "ObsoleteAttribute", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } })
                {
                    foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
                    {
                        if (argument.Key == "DiagnosticId" && argument.Value.Value is string id && id.Length > 0)
                        {
                            ids.Add(id);
                        }
                    }
                }
            }
        }
    }

    /// <summary>The plain marker for generated helpers of an obsolete member: their bodies may then use it (even an error-level one) without a diagnostic.</summary>
    public const string Marker = "[global::System.Obsolete]";
}
