using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TailGuard.Generators.Common;

/// <summary>A type that contains a generated type, spelled for a <c>partial</c> redeclaration ("partial class Outer&lt;T&gt;").</summary>
internal sealed record ContainingTypeInfo(string Keyword, string NameWithTypeParameters, bool IsPartial, string Name)
{
    /// <summary>The containing types of <paramref name="type"/>, outermost first.</summary>
    public static List<(ContainingTypeInfo Info, INamedTypeSymbol Symbol)> Of(INamedTypeSymbol type)
    {
        var result = new List<(ContainingTypeInfo, INamedTypeSymbol)>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            string name = outer.TypeParameters.Length == 0
                ? CSharpNames.Identifier(outer.Name)
                : CSharpNames.Identifier(outer.Name) + "<" + string.Join(", ", System.Linq.Enumerable.Select(outer.TypeParameters, p => CSharpNames.Identifier(p.Name))) + ">";
            result.Insert(0, (new ContainingTypeInfo(CSharpNames.TypeKeyword(outer), name, HasPartialDeclaration(outer), outer.Name), outer));
        }

        return result;
    }

    /// <summary>Reports <paramref name="notPartial"/> (arguments: the containing type's name, <paramref name="nestedName"/>) on each containing type not declared partial.</summary>
    public static void ReportNotPartial(List<(ContainingTypeInfo Info, INamedTypeSymbol Symbol)> containingTypes, DiagnosticDescriptor notPartial, string nestedName, List<DiagnosticInfo> diagnostics)
    {
        foreach ((ContainingTypeInfo info, INamedTypeSymbol symbol) in containingTypes)
        {
            if (!info.IsPartial)
            {
                diagnostics.Add(DiagnosticInfo.Create(notPartial, LocationInfo.Of(symbol), symbol.Name, nestedName));
            }
        }
    }

    /// <summary>
    /// "file-local" or "inside file-local 'Outer'" when the contract or a containing type is a <c>file</c> type, which
    /// generated code (another file) cannot name; null otherwise.
    /// </summary>
    public static string? FileLocalScope(INamedTypeSymbol contract)
    {
        if (contract.IsFileLocal)
        {
            return "file-local";
        }

        for (INamedTypeSymbol? outer = contract.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.IsFileLocal)
            {
                return "inside file-local '" + outer.Name + "'";
            }
        }

        return null;
    }

    /// <summary>The type parameter names of the containing types: user identifiers in scope in every generated type.</summary>
    public static List<string> TypeParameterNames(INamedTypeSymbol contract)
    {
        var names = new List<string>();
        for (INamedTypeSymbol? outer = contract.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            foreach (ITypeParameterSymbol parameter in outer.TypeParameters)
            {
                names.Add(parameter.Name);
            }
        }

        return names;
    }

    private static bool HasPartialDeclaration(INamedTypeSymbol type)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                return true;
            }
        }

        return false;
    }
}
