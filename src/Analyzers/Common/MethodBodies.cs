using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.Common;

/// <summary>The operation trees of a method's bodies in source, for the interprocedural parts of the analyzers.</summary>
internal static class MethodBodies
{
    /// <summary>The declaration that has the body: the implementation part of a partial method, the unreduced extension.</summary>
    internal static IMethodSymbol Definition(IMethodSymbol method)
    {
        method = method.ReducedFrom ?? method;
        method = method.OriginalDefinition;
        return method.PartialImplementationPart ?? method;
    }

    /// <summary>True when <paramref name="method"/> is declared in source of <paramref name="compilation"/>.</summary>
    internal static bool IsInSource(Compilation compilation, IMethodSymbol method) =>
        SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, compilation.Assembly) && method.DeclaringSyntaxReferences.Length > 0;

    internal static List<IOperation> Get(Compilation compilation, IMethodSymbol method)
    {
        var bodies = new List<IOperation>();
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax();
            // The analyzer driver hands out its cached semantic models here (CachingSemanticModelProvider), the way the
            // interprocedural analyses of dotnet/roslyn-analyzers get callee bodies.
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
            var model = compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
            if (model.GetOperation(syntax) is { } body)
            {
                bodies.Add(body);
            }
        }

        return bodies;
    }
}
