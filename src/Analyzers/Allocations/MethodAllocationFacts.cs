using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Common;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.Allocations;

/// <summary>
/// What one method of the compilation does, as far as TG3018 cares: the first allocation in its own code (its body,
/// its lambdas and local functions, and for a constructor the initializers it runs), or else the methods it runs, in
/// order. Computed in one walk of the method's operation tree, which stops at the first allocation; cached per
/// compilation by <see cref="CalleeAllocationSummaries"/>, so no method is walked twice.
/// </summary>
internal sealed class MethodAllocationFacts
{
    private MethodAllocationFacts(AllocationFinding? allocation, ImmutableArray<IMethodSymbol> callees, SemanticModel? model = null)
    {
        Allocation = allocation;
        Callees = callees;
        Model = model;
    }

    /// <summary>The first allocation the method's own code makes, or null.</summary>
    internal AllocationFinding? Allocation { get; }

    /// <summary>When <see cref="Allocation"/> is null: the methods it runs, distinct, in source order.</summary>
    internal ImmutableArray<IMethodSymbol> Callees { get; }

    /// <summary>The model the method's body was bound with: callees in the same file are bound with it too.</summary>
    internal SemanticModel? Model { get; }

    internal static MethodAllocationFacts Compute(IMethodSymbol method, ImmutableArray<IOperation> bodies, AllocationDetector detector)
    {
        var location = method.Locations.Length > 0 ? method.Locations[0] : Location.None;
        if (detector.StateMachine(method, body: null, location) is { } asyncStateMachine)
        {
            return new MethodAllocationFacts(asyncStateMachine, ImmutableArray<IMethodSymbol>.Empty);
        }

        var callees = new List<IMethodSymbol>();
        if (BaseConstructorRunWithoutSyntax(method) is { } baseConstructor)
        {
            callees.Add(baseConstructor);
        }

        // Operations and whether they sit in a lambda or local function (where 'yield' belongs to that function).
        var pending = new Stack<(IOperation Operation, bool Nested)>();
        for (var i = bodies.Length - 1; i >= 0; i--)
        {
            pending.Push((bodies[i], false));
        }

        while (pending.Count > 0)
        {
            var (operation, nested) = pending.Pop();
            if (!nested && operation is IReturnOperation { Kind: OperationKind.YieldReturn or OperationKind.YieldBreak })
            {
                return new MethodAllocationFacts(
                    new AllocationFinding(DiagnosticRules.IteratorAllocation, location, "iterator", method.Name), ImmutableArray<IMethodSymbol>.Empty);
            }

            if (detector.Detect(operation) is { } finding && finding.Rule != DiagnosticRules.LambdaCouldBeStatic)
            {
                return new MethodAllocationFacts(finding, ImmutableArray<IMethodSymbol>.Empty);
            }

            InvokedMethods.AddTo(operation, callees);
            var childrenNested = nested || operation is IAnonymousFunctionOperation or ILocalFunctionOperation;
            foreach (var child in operation.ChildOperations.Reverse())
            {
                pending.Push((child, childrenNested));
            }
        }

        return new MethodAllocationFacts(null, Distinct(callees), bodies.Length > 0 ? bodies[0].SemanticModel : null);
    }

    /// <summary>
    /// The base class's parameterless constructor, when <paramref name="method"/> is a constructor that calls it without
    /// any syntax to bind (an implicit constructor, or a primary constructor without base arguments).
    /// </summary>
    private static IMethodSymbol? BaseConstructorRunWithoutSyntax(IMethodSymbol method)
    {
        if (!MethodBodies.IsInstanceConstructor(method) || method.ContainingType.BaseType is not { } baseType)
        {
            return null;
        }

        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax type || MethodBodies.PrimaryConstructorBaseCall(type) is not null)
            {
                return null;
            }
        }

        foreach (var constructor in baseType.InstanceConstructors)
        {
            if (constructor.Parameters.IsEmpty)
            {
                return constructor;
            }
        }

        return null;
    }

    private static ImmutableArray<IMethodSymbol> Distinct(List<IMethodSymbol> methods)
    {
        var seen = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var distinct = ImmutableArray.CreateBuilder<IMethodSymbol>(methods.Count);
        foreach (var method in methods)
        {
            if (seen.Add(method))
            {
                distinct.Add(method);
            }
        }

        return distinct.ToImmutable();
    }
}
