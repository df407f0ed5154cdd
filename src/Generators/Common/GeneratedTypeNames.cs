using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TailGuard.Generators.Common;

/// <summary>
/// The generated type names are documented API ({Name}Client, {Name}Proxy, ...), so they cannot be renamed around a
/// user's declarations like other generated identifiers; instead a contract whose generated type would collide with
/// something already in its scope is reported (TG1015, TG2021) and generates nothing.
/// </summary>
internal static class GeneratedTypeNames
{
    /// <summary>
    /// Why one of <paramref name="names"/> cannot be declared beside <paramref name="contract"/>, or null when all can.
    /// <paramref name="siblingNames"/> gives the names another type in the same scope generates with the same generator
    /// (empty for a type that is not such a contract).
    /// </summary>
    public static (string Name, string Reason)? FindConflict(INamedTypeSymbol contract, IReadOnlyList<string> names, Func<INamedTypeSymbol, IEnumerable<string>> siblingNames)
    {
        INamespaceOrTypeSymbol container = (INamespaceOrTypeSymbol?)contract.ContainingType ?? contract.ContainingNamespace;
        Dictionary<string, INamedTypeSymbol>? siblings = null;
        foreach (string name in names)
        {
            for (INamedTypeSymbol? outer = contract.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                if (outer.Name == name)
                {
                    return (name, "a containing type has that name");
                }

                if (outer.TypeParameters.Any(p => p.Name == name))
                {
                    return (name, "a type parameter of '" + outer.Name + "' has that name");
                }
            }

            foreach (ISymbol member in container.GetMembers(name))
            {
                if (member is not INamedTypeSymbol type)
                {
                    return (name, "a member of that name is already declared");
                }

                if (type.Arity == 0 && !IsGeneratedHere(type) && !IsUserPartialClass(type))
                {
                    return (name, "a type of that name is already declared (a partial class extending the generated one is fine)");
                }
            }

            siblings ??= SiblingsGenerating(contract, container, names, siblingNames);
            if (siblings.TryGetValue(name, out INamedTypeSymbol? sibling))
            {
                return (name, "'" + sibling.ToDisplayString() + "' generates a type of that name too");
            }
        }

        return null;
    }

    // One pass over the scope's types, whatever the number of names: which sibling first generates each of the names.
    // (A namespace can hold thousands of types, and every contract in it asks.)
    private static Dictionary<string, INamedTypeSymbol> SiblingsGenerating(INamedTypeSymbol contract, INamespaceOrTypeSymbol container, IReadOnlyList<string> names, Func<INamedTypeSymbol, IEnumerable<string>> siblingNames)
    {
        var siblings = new Dictionary<string, INamedTypeSymbol>(StringComparer.Ordinal);
        foreach (INamedTypeSymbol sibling in container.GetTypeMembers())
        {
            if (SymbolEqualityComparer.Default.Equals(sibling, contract))
            {
                continue;
            }

            foreach (string generated in siblingNames(sibling))
            {
                if (!siblings.ContainsKey(generated) && names.Contains(generated, StringComparer.Ordinal))
                {
                    siblings.Add(generated, sibling);
                }
            }
        }

        return siblings;
    }

    // Seen by an analyzer after generation: the generated type itself (merged with any user partial) is not a conflict.
    private static bool IsGeneratedHere(INamedTypeSymbol type)
        => type.GetAttributes().Any(a => a.AttributeClass is { Name: "GeneratedCodeAttribute" }
            && a.ConstructorArguments.Length > 0
            && a.ConstructorArguments[0].Value as string == GeneratorNames.Assembly);

    private static bool IsUserPartialClass(INamedTypeSymbol type)
        => type.TypeKind is TypeKind.Class or TypeKind.Interface
            && type.DeclaringSyntaxReferences.All(r => r.GetSyntax() is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));
}

/// <summary>Names shared by the parsers and the emitters.</summary>
internal static class GeneratorNames
{
    /// <summary>The tool name in every generated <c>[GeneratedCode]</c>.</summary>
    public const string Assembly = "TailGuard.Generators";
}
