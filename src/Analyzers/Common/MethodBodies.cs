using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.Common;

/// <summary>
/// The operation trees of methods' bodies in source, for the interprocedural parts of the analyzers, bound once per
/// compilation: one semantic model per tree and one set of bodies per method, however many callers and summaries ask.
/// (The analyzer driver drops its own cached model of a tree once the tree is analyzed, and a fresh model binds again.)
/// </summary>
internal sealed class MethodBodies
{
    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<SyntaxTree, SemanticModel> _models = new();
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<IOperation>> _bodies = new(SymbolEqualityComparer.Default);

    internal MethodBodies(Compilation compilation) => _compilation = compilation;

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

    /// <summary>
    /// The bodies of <paramref name="method"/>. <paramref name="callerModel"/> is the model the driver is analyzing the
    /// caller with; a callee in the same tree is bound with it, so its body is bound once for the driver and for us.
    /// </summary>
    internal ImmutableArray<IOperation> Get(IMethodSymbol method, SemanticModel? callerModel) =>
        _bodies.TryGetValue(method, out var bodies) ? bodies : _bodies.GetOrAdd(method, Bind(method, callerModel));

    private ImmutableArray<IOperation> Bind(IMethodSymbol method, SemanticModel? callerModel)
    {
        var bodies = ImmutableArray.CreateBuilder<IOperation>();
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax();
            var model = callerModel is not null && callerModel.SyntaxTree == syntax.SyntaxTree
                ? callerModel
                : _models.GetOrAdd(syntax.SyntaxTree, CreateModel);
            if (model.GetOperation(syntax) is { } body)
            {
                bodies.Add(body);
            }
        }

        return bodies.ToImmutable();
    }

    // The interprocedural analyses of dotnet/roslyn-analyzers get callee bodies the same way.
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
    private SemanticModel CreateModel(SyntaxTree tree) => _compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
}
