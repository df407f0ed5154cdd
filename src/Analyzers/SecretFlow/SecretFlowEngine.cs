using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Common;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// The per-compilation part of the secret-flow analysis: which symbols are sources and sinks (<see cref="Catalog"/>),
/// and the cached facts and summaries of methods in source: their <see cref="SourceFacts"/>, their control-flow graphs,
/// and what each does with a secret argument or with its own secrets (<see cref="FlowSummary"/>). The per-method work
/// is a <see cref="TaintRun"/>.
/// </summary>
internal sealed class SecretFlowEngine
{
    /// <summary>How many calls deep the analysis follows a secret into methods of the compilation (three nested helpers).</summary>
    internal const int MaxDepth = 3;

    /// <summary>The "parameter index" of the summary of a method's own [Secret] sources.</summary>
    internal const int OwnSources = -1;

    private readonly ConcurrentDictionary<SummaryKey, FlowSummary> _summaries = new();
    private readonly ConcurrentDictionary<SummaryKey, bool> _mayReturnOwnSecret = new();
    private readonly ConcurrentDictionary<IMethodSymbol, SourceFacts> _facts = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<ControlFlowGraph>> _graphs = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IParameterSymbol, bool> _secretParameters = new(SymbolEqualityComparer.Default);

    private readonly MethodBodies _bodies;
    private readonly Lazy<SourceNames> _sourceNames;

    internal SecretFlowEngine(TailGuardSymbols symbols, Compilation compilation)
    {
        _bodies = new MethodBodies(compilation);
        Symbols = symbols;
        Catalog = new SinkCatalog(symbols);
        Compilation = compilation;
        _sourceNames = new Lazy<SourceNames>(() => SourceNames.Build(this), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    internal TailGuardSymbols Symbols { get; }
    internal SinkCatalog Catalog { get; }
    internal Compilation Compilation { get; }

    /// <summary>
    /// Analyzes one code block (a member's declaration, as the driver hands it to code-block actions) with the [Secret]
    /// sources in it and reports every sink they reach. <paramref name="model"/> is the driver's model of its tree.
    /// </summary>
    /// <remarks>
    /// The block is bound only once its text passes <see cref="SourceNames"/>. An operation-block action would have the
    /// driver bind every body of the compilation a second time (the compile binds it once for itself) before the text
    /// filter could skip most of them (docs/performance.md, "Analyzers and generators: share of build time").
    /// </remarks>
    internal void Analyze(ISymbol owner, SyntaxNode codeBlock, SemanticModel model, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        // Most bodies mention no name a source can be reached through: they are not even bound.
        if (MethodBodies.ExecutableRoot(owner, codeBlock) is not { } root ||
            !_sourceNames.Value.MayReachSource(owner, root is TypeDeclarationSyntax type ? MethodBodies.PrimaryConstructorBaseCall(type) ?? root : root, this) ||
            model.GetOperation(root, cancellationToken) is not { } body ||
            body is IMethodBodyOperation { BlockBody: null, ExpressionBody: null })
        {
            return;
        }

        var method = owner as IMethodSymbol;
        var facts = method is not null && MethodBodies.Definition(method) is var definition && definition.MethodKind != MethodKind.LocalFunction
            ? Facts(definition, ImmutableArray.Create(body))
            : SourceFacts.Compute(ImmutableArray.Create(body), this);
        if (!MayHaveSource(facts, body.SemanticModel))
        {
            return;
        }

        // A method whose body is this block alone shares its graph with the summaries its callers ask for, so the graph
        // is built once whichever comes first.
        var graphs = method is not null && IsWholeBody(method, root)
            ? Graphs(method, model)
            : CreateGraph(body) is { } own ? ImmutableArray.Create(own) : ImmutableArray<ControlFlowGraph>.Empty;
        if (graphs.IsEmpty)
        {
            return;
        }

        var run = new TaintRun(this, method, initial: null, attributeSources: true, MaxDepth, NewVisiting());
        foreach (var graph in graphs)
        {
            run.Execute(graph);
        }

        foreach (var sink in run.Sinks)
        {
            report(sink.ToDiagnostic());
        }
    }

    /// <summary>
    /// What <paramref name="method"/> does with a secret in parameter <paramref name="parameterIndex"/> (or with its own
    /// sources, for <see cref="OwnSources"/>), following the calls it makes <paramref name="levels"/> - 1 more levels
    /// deep. Cycles are cut.
    /// </summary>
    internal FlowSummary Summarize(IMethodSymbol method, int parameterIndex, int levels, HashSet<IMethodSymbol> visiting, SemanticModel? callerModel)
    {
        method = MethodBodies.Definition(method);
        if (levels <= 0 || !MethodBodies.IsInSource(Compilation, method) || parameterIndex >= method.Parameters.Length)
        {
            return FlowSummary.Empty;
        }

        if (parameterIndex == OwnSources && !MayReturnOwnSecret(method, levels, visiting, callerModel))
        {
            return FlowSummary.Empty;
        }

        var key = new SummaryKey(method, parameterIndex, levels);
        if (_summaries.TryGetValue(key, out var cached))
        {
            return cached;
        }

        if (!visiting.Add(method))
        {
            return FlowSummary.Empty;
        }

        TaintState? initial = null;
        if (parameterIndex >= 0)
        {
            var parameter = method.Parameters[parameterIndex];
            initial = new TaintState();
            initial.Set(parameter, Taint.Whole("'" + parameter.Name + "'"));
        }

        var run = new TaintRun(this, method, initial, attributeSources: parameterIndex == OwnSources, levels - 1, visiting);
        foreach (var graph in Graphs(method, callerModel))
        {
            run.Execute(graph);
        }

        visiting.Remove(method);
        var summary = new FlowSummary(run.Return, run.Sinks);
        _summaries.TryAdd(key, summary);
        return summary;
    }

    /// <summary>True for [Secret] parameters, including those whose interface or base declaration is [Secret].</summary>
    /// <remarks>
    /// Asked for every parameter of the compilation (<see cref="SourceNames"/>): a parameter of a method that can take
    /// the attribute from no other declaration is answered from its own attributes, without the cache.
    /// </remarks>
    internal bool IsSecretParameter(IParameterSymbol parameter) =>
        parameter.ContainingSymbol is IMethodSymbol method && !InheritedDeclarations.MayExist(method)
            ? TailGuardSymbols.Has(parameter, Symbols.Secret)
            : _secretParameters.GetOrAdd(parameter, ComputeSecretParameter);

    internal static HashSet<IMethodSymbol> NewVisiting() => new(SymbolEqualityComparer.Default);

    /// <summary>
    /// A source in the body itself, or a call to a method that may return a secret of its own. <paramref name="model"/>
    /// is the driver's model of the body: a callee in the same tree is bound with it, once for the driver and for us.
    /// </summary>
    private bool MayHaveSource(SourceFacts facts, SemanticModel? model)
    {
        if (facts.ReadsSource)
        {
            return true;
        }

        foreach (var callee in facts.Callees)
        {
            if (MayReturnOwnSecret(callee, MaxDepth, NewVisiting(), model))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Cheap and conservative: the method reads a source, or runs (within the levels left) one that does. Only then is
    /// its own-sources summary worth a flow analysis.
    /// </summary>
    private bool MayReturnOwnSecret(IMethodSymbol method, int levels, HashSet<IMethodSymbol> visiting, SemanticModel? callerModel)
    {
        if (levels <= 0 || method.ReturnsVoid || Catalog.IsDeclassifier(method) || !_sourceNames.Value.MayReturnSource(method))
        {
            return false;
        }

        var key = new SummaryKey(method, OwnSources, levels);
        if (_mayReturnOwnSecret.TryGetValue(key, out var known))
        {
            return known;
        }

        if (!visiting.Add(method))
        {
            return false;
        }

        var bodies = _bodies.Get(method, callerModel);
        var facts = Facts(method, bodies);
        var result = facts.ReadsSource;
        // The callees' callees are usually in the same tree: bind them with the same model.
        var model = bodies.IsDefaultOrEmpty ? callerModel : bodies[0].SemanticModel;
        for (var i = 0; !result && i < facts.Callees.Length; i++)
        {
            result = MayReturnOwnSecret(facts.Callees[i], levels - 1, visiting, model);
        }

        visiting.Remove(method);
        _mayReturnOwnSecret.TryAdd(key, result);
        return result;
    }

    private SourceFacts Facts(IMethodSymbol method, ImmutableArray<IOperation> bodies) =>
        _facts.TryGetValue(method, out var facts) ? facts : _facts.GetOrAdd(method, SourceFacts.Compute(bodies, this));

    /// <summary>The control-flow graphs of a method's bodies (and, for a constructor, of the initializers it runs).</summary>
    private ImmutableArray<ControlFlowGraph> Graphs(IMethodSymbol method, SemanticModel? callerModel)
    {
        if (_graphs.TryGetValue(method, out var graphs))
        {
            return graphs;
        }

        var builder = ImmutableArray.CreateBuilder<ControlFlowGraph>();
        foreach (var body in _bodies.Get(method, callerModel))
        {
            if (CreateGraph(body) is { } graph)
            {
                builder.Add(graph);
            }
        }

        return _graphs.GetOrAdd(method, builder.ToImmutable());
    }

    /// <summary>
    /// Whether <paramref name="root"/> is all <see cref="Graphs"/> would build a graph of for <paramref name="method"/>:
    /// its one declaration, not a constructor (whose graphs add the initializers it runs) nor a partial method's other part.
    /// </summary>
    private static bool IsWholeBody(IMethodSymbol method, SyntaxNode root) =>
        method.MethodKind is not (MethodKind.Constructor or MethodKind.StaticConstructor) &&
        method.PartialDefinitionPart is null && method.PartialImplementationPart is null &&
        method.DeclaringSyntaxReferences is { Length: 1 } references && references[0].GetSyntax() == root;

    /// <summary>A graph for the roots the control-flow graph builder accepts; null for others (attributes, base calls).</summary>
    internal static ControlFlowGraph? CreateGraph(IOperation root) => root switch
    {
        IMethodBodyOperation body => ControlFlowGraph.Create(body),
        IConstructorBodyOperation constructor => ControlFlowGraph.Create(constructor),
        IBlockOperation { Parent: null } block => ControlFlowGraph.Create(block),
        IFieldInitializerOperation field => ControlFlowGraph.Create(field),
        IPropertyInitializerOperation property => ControlFlowGraph.Create(property),
        IParameterInitializerOperation parameter => ControlFlowGraph.Create(parameter),
        _ => null,
    };

    private bool ComputeSecretParameter(IParameterSymbol parameter) =>
        TailGuardSymbols.Has(parameter, Symbols.Secret) ||
        (parameter.ContainingSymbol is IMethodSymbol method && InheritedDeclarations.Any(method, declaration => IsSecretAt(declaration, parameter.Ordinal)));

    private bool IsSecretAt(IMethodSymbol method, int ordinal) =>
        ordinal < method.Parameters.Length && TailGuardSymbols.Has(method.Parameters[ordinal], Symbols.Secret);

    private readonly struct SummaryKey : IEquatable<SummaryKey>
    {
        private readonly IMethodSymbol _method;
        private readonly int _parameter;
        private readonly int _levels;

        internal SummaryKey(IMethodSymbol method, int parameter, int levels)
        {
            _method = method;
            _parameter = parameter;
            _levels = levels;
        }

        public bool Equals(SummaryKey other) =>
            SymbolEqualityComparer.Default.Equals(_method, other._method) && _parameter == other._parameter && _levels == other._levels;

        public override bool Equals(object? obj) => obj is SummaryKey other && Equals(other);

        public override int GetHashCode() =>
            (SymbolEqualityComparer.Default.GetHashCode(_method) * 31 + _parameter) * 31 + _levels;
    }
}
