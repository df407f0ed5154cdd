using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TailGuard.Analyzers.Allocations;

/// <summary>
/// Finds what a lambda or local function body captures from outside itself: locals and parameters (which force a
/// display class), 'this' (which only forces a delegate bound to the instance), and calls to non-static local functions
/// declared outside (counted as captures, conservatively).
/// </summary>
internal static class CaptureFinder
{
    internal static (List<string> Variables, bool CapturesThis) Find(IOperation body, IMethodSymbol function)
    {
        var variables = new List<string>();
        var capturesThis = false;
        foreach (var operation in body.DescendantsAndSelf())
        {
            switch (operation)
            {
                case ILocalReferenceOperation local when !IsInside(local.Local.ContainingSymbol, function):
                    AddOnce(variables, local.Local.Name);
                    break;
                case IParameterReferenceOperation parameter when !IsInside(parameter.Parameter.ContainingSymbol, function):
                    AddOnce(variables, parameter.Parameter.Name);
                    break;
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }:
                    capturesThis = true;
                    break;
                case IInvocationOperation { TargetMethod: { MethodKind: MethodKind.LocalFunction, IsStatic: false } target }
                    when !IsInside(target, function):
                    AddOnce(variables, target.Name + "()");
                    break;
            }
        }

        return (variables, capturesThis);
    }

    /// <summary>True when <paramref name="symbol"/> is <paramref name="container"/> or declared inside it.</summary>
    private static bool IsInside(ISymbol? symbol, IMethodSymbol container)
    {
        for (var current = symbol; current is not null; current = current.ContainingSymbol)
        {
            if (SymbolEqualityComparer.Default.Equals(current, container))
            {
                return true;
            }

            if (current is INamedTypeSymbol or INamespaceSymbol)
            {
                return false;
            }
        }

        return false;
    }

    private static void AddOnce(List<string> names, string name)
    {
        if (!names.Contains(name))
        {
            names.Add(name);
        }
    }
}
