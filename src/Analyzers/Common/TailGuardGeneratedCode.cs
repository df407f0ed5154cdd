using System;
using System.IO;
using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.Common;

/// <summary>
/// The files TailGuard's own generators emit: R2P2 clients and dispatchers, trust-boundary proxies and entries. The
/// compiler names a generated tree {generator assembly}/{generator type}/{hint name}, so the folder says which
/// generator wrote it. Such code is proven leak-free and allocation-free by the generator tests, reads no [Secret]
/// source under a name its contract does not already declare, and is most of a project's code when it has many contracts
/// (docs/performance.md, "Eighteenth integration").
/// </summary>
internal static class TailGuardGeneratedCode
{
    private static readonly string[] GeneratorTypes =
    [
        "TailGuard.Generators.R2P2.R2P2ServiceGenerator",
        "TailGuard.Generators.TrustDomain.TrustDomainGenerator",
    ];

    /// <summary>Whether <paramref name="tree"/> is a file one of TailGuard's generators emitted.</summary>
    internal static bool Contains(SyntaxTree tree)
    {
        var path = tree.FilePath;
        if (!path.EndsWith(".g.cs", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var folder = Path.GetFileName(Path.GetDirectoryName(path));
        return Array.IndexOf(GeneratorTypes, folder) >= 0;
    }

    /// <summary>Whether every part of <paramref name="type"/> is declared in files TailGuard's generators emitted.</summary>
    internal static bool DeclaresOnly(INamedTypeSymbol type)
    {
        var references = type.DeclaringSyntaxReferences;
        if (references.IsEmpty)
        {
            return false;
        }

        foreach (var reference in references)
        {
            if (!Contains(reference.SyntaxTree))
            {
                return false;
            }
        }

        return true;
    }
}
