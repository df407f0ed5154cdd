using System;
using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.Common;

/// <summary>
/// The declarations a method takes attributes from besides its own: the methods it overrides and the interface methods
/// it implements. A contract written on an interface (<c>[Secret]</c> on a parameter or on the return value) holds for
/// every body behind it, so the rules ask these declarations too.
/// </summary>
internal static class InheritedDeclarations
{
    /// <summary>
    /// Whether the method can take an attribute from another declaration at all: exactly the methods
    /// <see cref="Any"/> looks beyond for. Cheap, so callers answer the others from the method's own attributes.
    /// </summary>
    internal static bool MayExist(IMethodSymbol method) =>
        method.OverriddenMethod is not null || !method.ExplicitInterfaceImplementations.IsEmpty ||
        (method.DeclaredAccessibility == Accessibility.Public && method.ContainingType is { AllInterfaces.IsEmpty: false });

    /// <summary>
    /// Whether a method <paramref name="method"/> overrides, or an interface method it implements, satisfies
    /// <paramref name="declares"/>. The predicate is asked of the interface's members first: which member implements an
    /// interface method is the costly question, and most interface methods declare nothing.
    /// </summary>
    internal static bool Any(IMethodSymbol method, Func<IMethodSymbol, bool> declares)
    {
        for (var overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            if (declares(overridden))
            {
                return true;
            }
        }

        foreach (var explicitImplementation in method.ExplicitInterfaceImplementations)
        {
            if (declares(explicitImplementation))
            {
                return true;
            }
        }

        if (method.ContainingType is null || method.DeclaredAccessibility != Accessibility.Public)
        {
            return false;
        }

        foreach (var @interface in method.ContainingType.AllInterfaces)
        {
            // The generic definition carries the same attributes, and asking it does not build every member of the
            // constructed interface (IEquatable<T>, IEnumerable<T>...).
            if (!Declares(@interface.OriginalDefinition, method.Name, declares))
            {
                continue;
            }

            foreach (var member in @interface.GetMembers(method.Name))
            {
                if (member is IMethodSymbol interfaceMethod && declares(interfaceMethod) &&
                    SymbolEqualityComparer.Default.Equals(method.ContainingType.FindImplementationForInterfaceMember(interfaceMethod), method))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool Declares(INamedTypeSymbol @interface, string name, Func<IMethodSymbol, bool> declares)
    {
        foreach (var member in @interface.GetMembers(name))
        {
            if (member is IMethodSymbol interfaceMethod && declares(interfaceMethod))
            {
                return true;
            }
        }

        return false;
    }
}
