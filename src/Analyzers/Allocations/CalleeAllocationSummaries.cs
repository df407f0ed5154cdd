using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using TailGuard.Analyzers.Common;

namespace TailGuard.Analyzers.Allocations;

/// <summary>
/// Answers "does running this method of the compilation allocate, within N calls?" for TG3018, with the chain of calls
/// that leads to the first allocation found. Each method's body is walked once per compilation
/// (<see cref="MethodAllocationFacts"/>); chains are cached per method and remaining depth. The work is bounded by
/// <see cref="MaxDepth"/> and by the methods in source. A recursive cycle is cut (counted as not allocating). Not
/// followed: callees that are hot paths themselves (their own diagnostics cover them) and local functions (their code
/// is part of the method that declares them, reported or summarized there).
/// </summary>
internal sealed class CalleeAllocationSummaries
{
    /// <summary>How many calls deep TG3018 follows: the call reported plus two more.</summary>
    internal const int MaxDepth = 3;

    private static readonly object NoAllocation = new();

    private readonly Compilation _compilation;
    private readonly AllocationDetector _detector;
    private readonly HotPathScope _scope;
    private readonly MethodBodies _bodies;
    private readonly ConcurrentDictionary<IMethodSymbol, MethodAllocationFacts> _facts = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, object>[] _chains;
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _followed = new(SymbolEqualityComparer.Default);

    internal CalleeAllocationSummaries(Compilation compilation, AllocationDetector detector, HotPathScope scope)
    {
        _compilation = compilation;
        _bodies = new MethodBodies(compilation);
        _detector = detector;
        _scope = scope;
        _chains = new ConcurrentDictionary<IMethodSymbol, object>[MaxDepth + 1];
        for (var depth = 0; depth <= MaxDepth; depth++)
        {
            _chains[depth] = new ConcurrentDictionary<IMethodSymbol, object>(SymbolEqualityComparer.Default);
        }
    }

    /// <summary>
    /// The chain ("'B' -> 'C': string concatenation (TG3011)") when running <paramref name="callee"/> allocates, or null.
    /// </summary>
    internal string? AllocationChain(IMethodSymbol callee, SemanticModel? callerModel)
    {
        // Most calls are answered from the cache, without a cycle-tracking set.
        var definition = MethodBodies.Definition(callee);
        return _chains[MaxDepth].TryGetValue(definition, out var cached)
            ? cached as string
            : Summarize(definition, MaxDepth, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), callerModel);
    }

    /// <summary>
    /// True when a call can be followed: a method with code in this compilation that is neither a hot path nor a local
    /// function.
    /// </summary>
    internal bool IsFollowed(IMethodSymbol method)
    {
        method = MethodBodies.Definition(method);
        if (method.MethodKind == MethodKind.LocalFunction || !MethodBodies.IsInSource(_compilation, method))
        {
            return false;
        }

        return _followed.TryGetValue(method, out var followed) ? followed : _followed.GetOrAdd(method, !_scope.IsHotPath(method));
    }

    private string? Summarize(IMethodSymbol method, int depth, HashSet<IMethodSymbol> visiting, SemanticModel? callerModel)
    {
        method = MethodBodies.Definition(method);
        if (depth <= 0 || !IsFollowed(method))
        {
            return null;
        }

        if (_chains[depth].TryGetValue(method, out var cached))
        {
            return cached as string;
        }

        if (!visiting.Add(method))
        {
            return null;
        }

        var chain = Compute(method, depth, visiting, callerModel);
        visiting.Remove(method);
        _chains[depth].TryAdd(method, (object?)chain ?? NoAllocation);
        return chain;
    }

    private string? Compute(IMethodSymbol method, int depth, HashSet<IMethodSymbol> visiting, SemanticModel? callerModel)
    {
        var facts = _facts.TryGetValue(method, out var known)
            ? known
            : _facts.GetOrAdd(method, MethodAllocationFacts.Compute(method, _bodies.Get(method, callerModel), _detector));
        var name = "'" + InvokedMethods.Describe(method) + "'";
        if (facts.Allocation is { } allocation)
        {
            return name + ": " + allocation.Describe();
        }

        if (depth <= 1)
        {
            return null;
        }

        foreach (var callee in facts.Callees)
        {
            if (Summarize(callee, depth - 1, visiting, facts.Model) is { } inner)
            {
                return name + " -> " + inner;
            }
        }

        return null;
    }
}
