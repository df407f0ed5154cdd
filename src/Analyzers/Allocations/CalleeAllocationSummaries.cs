using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Common;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.Allocations;

/// <summary>
/// Answers "does this method of the compilation allocate, within N calls?" for TG3018, with the chain of calls that
/// leads to the first allocation found. Answers are cached per compilation and per remaining depth; the work is bounded
/// by <see cref="MaxDepth"/> and by the methods in source. A recursive cycle is cut (counted as not allocating).
/// Callees that are hot paths themselves are not followed: their own diagnostics already cover them.
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
    private readonly ConcurrentDictionary<IMethodSymbol, object>[] _cache;

    internal CalleeAllocationSummaries(Compilation compilation, AllocationDetector detector, HotPathScope scope)
    {
        _compilation = compilation;
        _bodies = new MethodBodies(compilation);
        _detector = detector;
        _scope = scope;
        _cache = new ConcurrentDictionary<IMethodSymbol, object>[MaxDepth + 1];
        for (var depth = 0; depth <= MaxDepth; depth++)
        {
            _cache[depth] = new ConcurrentDictionary<IMethodSymbol, object>(SymbolEqualityComparer.Default);
        }
    }

    /// <summary>
    /// The chain ("'B' -> 'C': string concatenation (TG3011)") when calling <paramref name="callee"/> allocates, or null.
    /// </summary>
    internal string? AllocationChain(IMethodSymbol callee, SemanticModel? callerModel) =>
        Summarize(callee, MaxDepth, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), callerModel);

    /// <summary>True when the call can be followed: a method with a body in this compilation that is not a hot path.</summary>
    internal bool IsFollowed(IMethodSymbol method)
    {
        method = MethodBodies.Definition(method);
        return MethodBodies.IsInSource(_compilation, method) && !_scope.IsHotPath(method);
    }

    private string? Summarize(IMethodSymbol method, int depth, HashSet<IMethodSymbol> visiting, SemanticModel? callerModel)
    {
        method = MethodBodies.Definition(method);
        if (depth <= 0 || !IsFollowed(method))
        {
            return null;
        }

        if (_cache[depth].TryGetValue(method, out var cached))
        {
            return cached as string;
        }

        if (!visiting.Add(method))
        {
            return null;
        }

        var chain = Compute(method, depth, visiting, callerModel);
        visiting.Remove(method);
        _cache[depth].TryAdd(method, (object?)chain ?? NoAllocation);
        return chain;
    }

    private string? Compute(IMethodSymbol method, int depth, HashSet<IMethodSymbol> visiting, SemanticModel? callerModel)
    {
        var name = "'" + method.Name + "'";
        var bodies = _bodies.Get(method, callerModel);

        foreach (var body in bodies)
        {
            var stateMachine = _detector.StateMachine(method, body, method.Locations.Length > 0 ? method.Locations[0] : Location.None);
            if (stateMachine is not null)
            {
                return name + ": " + stateMachine.Describe();
            }

            foreach (var operation in body.DescendantsAndSelf())
            {
                if (_detector.Detect(operation) is { } finding && finding.Rule != DiagnosticRules.LambdaCouldBeStatic)
                {
                    return name + ": " + finding.Describe();
                }
            }
        }

        if (depth <= 1)
        {
            return null;
        }

        foreach (var body in bodies)
        {
            foreach (var operation in body.DescendantsAndSelf())
            {
                if (operation is IInvocationOperation invocation && Summarize(invocation.TargetMethod, depth - 1, visiting, invocation.SemanticModel) is { } inner)
                {
                    return name + " -> " + inner;
                }
            }
        }

        return null;
    }
}
