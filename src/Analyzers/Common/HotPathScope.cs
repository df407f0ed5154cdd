using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.Common;

/// <summary>
/// Decides which members are hot paths: members marked [HotPath], members of types marked [HotPath] (nested types
/// included), and, without marking, implementations (implicit or explicit) of methods of [R2P2Service] and
/// [TrustDomain] interfaces. Per-type answers are cached for the compilation.
/// </summary>
internal sealed class HotPathScope
{
    private readonly TailGuardSymbols _symbols;
    private readonly ConcurrentDictionary<INamedTypeSymbol, ImmutableHashSet<ISymbol>> _boundaryImplementations =
        new(SymbolEqualityComparer.Default);

    internal HotPathScope(TailGuardSymbols symbols) => _symbols = symbols;

    /// <summary>True when code owned by <paramref name="symbol"/> (a method, accessor, constructor or field) is hot.</summary>
    internal bool IsHotPath(ISymbol symbol)
    {
        if (TailGuardSymbols.Has(symbol, _symbols.HotPath))
        {
            return true;
        }

        if (symbol is IMethodSymbol { AssociatedSymbol: { } associated } && TailGuardSymbols.Has(associated, _symbols.HotPath))
        {
            return true;
        }

        for (var type = symbol.ContainingType; type is not null; type = type.ContainingType)
        {
            if (TailGuardSymbols.Has(type, _symbols.HotPath))
            {
                return true;
            }
        }

        return symbol is IMethodSymbol method && ImplementsBoundaryInterface(method);
    }

    /// <summary>The [TrustDomain] or [R2P2Service] interface whose method <paramref name="method"/> implements, if any.</summary>
    internal static INamedTypeSymbol? BoundaryInterfaceOf(IMethodSymbol method, INamedTypeSymbol? marker)
    {
        if (marker is null || method.ContainingType is null)
        {
            return null;
        }

        foreach (var explicitImplementation in method.ExplicitInterfaceImplementations)
        {
            if (TailGuardSymbols.Has(explicitImplementation.ContainingType, marker))
            {
                return explicitImplementation.ContainingType;
            }
        }

        foreach (var @interface in method.ContainingType.AllInterfaces)
        {
            if (!TailGuardSymbols.Has(@interface, marker))
            {
                continue;
            }

            foreach (var member in @interface.GetMembers())
            {
                if (member is IMethodSymbol &&
                    SymbolEqualityComparer.Default.Equals(method.ContainingType.FindImplementationForInterfaceMember(member), method))
                {
                    return @interface;
                }
            }
        }

        return null;
    }

    private bool ImplementsBoundaryInterface(IMethodSymbol method)
    {
        var type = method.ContainingType;
        if (type is null || type.TypeKind == TypeKind.Interface)
        {
            return false;
        }

        var implementations = _boundaryImplementations.GetOrAdd(type, ComputeBoundaryImplementations);
        return implementations.Contains(method.OriginalDefinition);
    }

    private ImmutableHashSet<ISymbol> ComputeBoundaryImplementations(INamedTypeSymbol type)
    {
        var builder = ImmutableHashSet.CreateBuilder<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var @interface in type.AllInterfaces)
        {
            if (!TailGuardSymbols.Has(@interface, _symbols.R2P2Service) && !TailGuardSymbols.Has(@interface, _symbols.TrustDomain))
            {
                continue;
            }

            foreach (var member in @interface.GetMembers())
            {
                if (member is IMethodSymbol && type.FindImplementationForInterfaceMember(member) is IMethodSymbol implementation &&
                    SymbolEqualityComparer.Default.Equals(implementation.ContainingType, type))
                {
                    builder.Add(implementation.OriginalDefinition);
                }
            }
        }

        return builder.ToImmutable();
    }
}
