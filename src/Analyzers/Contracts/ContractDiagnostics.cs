using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using TailGuard.Generators.Common;

namespace TailGuard.Analyzers.Contracts;

/// <summary>
/// What both contract analyzers share: finding the contract's attribute and the declaration that carries it (the node
/// the generator parses), and turning the shared parser's <see cref="DiagnosticInfo"/> values back into diagnostics
/// located in the compilation's own syntax trees, so pragmas, <c>[SuppressMessage]</c> and .editorconfig apply.
/// </summary>
internal sealed class ContractDiagnostics
{
    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<string, SyntaxTree?> _trees = new(StringComparer.Ordinal);

    public ContractDiagnostics(Compilation compilation) => _compilation = compilation;

    /// <summary>The first attribute of class <paramref name="attributeClass"/> on <paramref name="type"/>, and the interface declaration it is applied to.</summary>
    public static (AttributeData Attribute, InterfaceDeclarationSyntax Declaration)? FindContract(INamedTypeSymbol type, INamedTypeSymbol attributeClass, CancellationToken cancellationToken)
    {
        if (type.TypeKind != TypeKind.Interface)
        {
            return null;
        }

        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeClass)
                && attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).FirstAncestorOrSelf<InterfaceDeclarationSyntax>() is { } declaration)
            {
                return (attribute, declaration);
            }
        }

        return null;
    }

    /// <summary>Reports every diagnostic the parser found.</summary>
    public void Report(SymbolAnalysisContext context, EquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (DiagnosticInfo info in diagnostics)
        {
            context.ReportDiagnostic(info.ToDiagnostic(Locate(info.Location)));
        }
    }

    // The parser keeps locations as plain values (for the generator's caching); map them back into their trees.
    private Location? Locate(LocationInfo? location)
    {
        if (location is null)
        {
            return null;
        }

        SyntaxTree? tree = _trees.GetOrAdd(location.FilePath, path => _compilation.SyntaxTrees.FirstOrDefault(t => string.Equals(t.FilePath, path, StringComparison.Ordinal)));
        return tree is null ? location.ToLocation() : Location.Create(tree, location.TextSpan);
    }
}
