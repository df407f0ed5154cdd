using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using TailGuard.Analyzers.Common;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// The per-compilation part of the secret-flow analysis: which symbols are sources, which calls are sinks, and the cached
/// summaries of methods in source (what a method does with a secret argument, and whether it returns a secret of its own).
/// The per-method work is a <see cref="TaintRun"/>.
/// </summary>
internal sealed class SecretFlowEngine
{
    /// <summary>How many calls deep the analysis follows a secret into methods of the compilation.</summary>
    internal const int MaxDepth = 3;

    /// <summary>The "parameter index" of the summary of a method's own [Secret] sources.</summary>
    internal const int OwnSources = -1;

    private readonly ConcurrentDictionary<SummaryKey, FlowSummary> _summaries = new();
    private readonly ConcurrentDictionary<IParameterSymbol, bool> _secretParameters = new(SymbolEqualityComparer.Default);

    private readonly MethodBodies _bodies;

    internal SecretFlowEngine(TailGuardSymbols symbols, Compilation compilation)
    {
        _bodies = new MethodBodies(compilation);
        Symbols = symbols;
        Compilation = compilation;
    }

    internal TailGuardSymbols Symbols { get; }
    internal Compilation Compilation { get; }

    /// <summary>Analyzes one body with the [Secret] sources in it and reports every sink they reach.</summary>
    internal void Analyze(ISymbol owner, IOperation body, Action<Diagnostic> report)
    {
        var run = new TaintRun(this, owner as IMethodSymbol, initial: null, attributeSources: true, MaxDepth,
            new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default));
        if (!run.HasAnySource(body))
        {
            return;
        }

        run.Execute(body);
        foreach (var sink in run.Sinks)
        {
            report(sink.ToDiagnostic());
        }
    }

    /// <summary>
    /// What <paramref name="method"/> does with a secret in parameter <paramref name="parameterIndex"/> (or with its own
    /// sources, for <see cref="OwnSources"/>), following calls <paramref name="depth"/> deep. Cycles are cut.
    /// </summary>
    internal FlowSummary Summarize(IMethodSymbol method, int parameterIndex, int depth, HashSet<IMethodSymbol> visiting, SemanticModel? callerModel)
    {
        method = MethodBodies.Definition(method);
        if (depth <= 0 || !MethodBodies.IsInSource(Compilation, method))
        {
            return FlowSummary.Empty;
        }

        var key = new SummaryKey(method, parameterIndex, depth);
        if (_summaries.TryGetValue(key, out var cached))
        {
            return cached;
        }

        if (!visiting.Add(method))
        {
            return FlowSummary.Empty;
        }

        Dictionary<ISymbol, string>? initial = null;
        if (parameterIndex >= 0)
        {
            if (parameterIndex >= method.Parameters.Length)
            {
                visiting.Remove(method);
                return FlowSummary.Empty;
            }

            var parameter = method.Parameters[parameterIndex];
            initial = new Dictionary<ISymbol, string>(SymbolEqualityComparer.Default) { [parameter] = "'" + parameter.Name + "'" };
        }

        var run = new TaintRun(this, method, initial, attributeSources: parameterIndex == OwnSources, depth, visiting);
        foreach (var body in _bodies.Get(method, callerModel))
        {
            if (run.HasAnySource(body))
            {
                run.Execute(body);
            }
        }

        visiting.Remove(method);
        var summary = new FlowSummary(run.ReturnPath, run.Sinks);
        _summaries.TryAdd(key, summary);
        return summary;
    }

    /// <summary>True for [Secret] parameters, including those whose interface or base declaration is [Secret].</summary>
    internal bool IsSecretParameter(IParameterSymbol parameter) => _secretParameters.GetOrAdd(parameter, ComputeSecretParameter);

    private bool ComputeSecretParameter(IParameterSymbol parameter)
    {
        if (TailGuardSymbols.Has(parameter, Symbols.Secret))
        {
            return true;
        }

        if (parameter.ContainingSymbol is not IMethodSymbol method)
        {
            return false;
        }

        for (var overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            if (parameter.Ordinal < overridden.Parameters.Length && TailGuardSymbols.Has(overridden.Parameters[parameter.Ordinal], Symbols.Secret))
            {
                return true;
            }
        }

        foreach (var implemented in ImplementedInterfaceMethods(method))
        {
            if (parameter.Ordinal < implemented.Parameters.Length && TailGuardSymbols.Has(implemented.Parameters[parameter.Ordinal], Symbols.Secret))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<IMethodSymbol> ImplementedInterfaceMethods(IMethodSymbol method)
    {
        foreach (var explicitImplementation in method.ExplicitInterfaceImplementations)
        {
            yield return explicitImplementation;
        }

        if (method.ContainingType is null || method.DeclaredAccessibility != Accessibility.Public)
        {
            yield break;
        }

        foreach (var @interface in method.ContainingType.AllInterfaces)
        {
            foreach (var member in @interface.GetMembers(method.Name))
            {
                if (member is IMethodSymbol interfaceMethod &&
                    SymbolEqualityComparer.Default.Equals(method.ContainingType.FindImplementationForInterfaceMember(interfaceMethod), method))
                {
                    yield return interfaceMethod;
                }
            }
        }
    }

    private readonly struct SummaryKey : IEquatable<SummaryKey>
    {
        private readonly IMethodSymbol _method;
        private readonly int _parameter;
        private readonly int _depth;

        internal SummaryKey(IMethodSymbol method, int parameter, int depth)
        {
            _method = method;
            _parameter = parameter;
            _depth = depth;
        }

        public bool Equals(SummaryKey other) =>
            SymbolEqualityComparer.Default.Equals(_method, other._method) && _parameter == other._parameter && _depth == other._depth;

        public override bool Equals(object? obj) => obj is SummaryKey other && Equals(other);

        public override int GetHashCode() =>
            (SymbolEqualityComparer.Default.GetHashCode(_method) * 31 + _parameter) * 31 + _depth;
    }
}
