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
    private readonly ConcurrentDictionary<INamedTypeSymbol, TypeFacts> _types = new(SymbolEqualityComparer.Default);

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

        if (symbol.ContainingType is not { } type)
        {
            return false;
        }

        var facts = Facts(type);
        return facts.IsHot || (symbol is IMethodSymbol method && facts.BoundaryImplementations.Contains(method.OriginalDefinition));
    }

    /// <summary>
    /// True when some member of <paramref name="type"/> (not counting nested types) may be a hot path: the type is hot, a
    /// member is marked [HotPath], or it implements a [R2P2Service] or [TrustDomain] interface. Analyzers register
    /// their per-operation work only inside such types.
    /// </summary>
    internal bool MayContainHotPaths(INamedTypeSymbol type)
    {
        var facts = Facts(type);
        return facts.IsHot || facts.HasHotMembers || facts.BoundaryImplementations.Count > 0;
    }

    // Each type's attributes are read once per compilation, however many members and callers ask.
    private TypeFacts Facts(INamedTypeSymbol type) =>
        _types.TryGetValue(type, out var facts) ? facts : _types.GetOrAdd(type, ComputeFacts(type));

    private TypeFacts ComputeFacts(INamedTypeSymbol type)
    {
        var isHot = TailGuardSymbols.Has(type, _symbols.HotPath) || (type.ContainingType is { } containing && Facts(containing).IsHot);
        var hasHotMembers = false;
        if (!isHot)
        {
            foreach (var member in type.GetMembers())
            {
                if (member is IMethodSymbol or IPropertySymbol && TailGuardSymbols.Has(member, _symbols.HotPath))
                {
                    hasHotMembers = true;
                    break;
                }
            }
        }

        return new TypeFacts(isHot, hasHotMembers, ComputeBoundaryImplementations(type));
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

    private ImmutableHashSet<ISymbol> ComputeBoundaryImplementations(INamedTypeSymbol type)
    {
        if (type.TypeKind == TypeKind.Interface)
        {
            return ImmutableHashSet<ISymbol>.Empty;
        }

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

    private sealed class TypeFacts
    {
        internal TypeFacts(bool isHot, bool hasHotMembers, ImmutableHashSet<ISymbol> boundaryImplementations)
        {
            IsHot = isHot;
            HasHotMembers = hasHotMembers;
            BoundaryImplementations = boundaryImplementations;
        }

        /// <summary>The type or a type containing it is [HotPath].</summary>
        internal bool IsHot { get; }

        internal bool HasHotMembers { get; }

        /// <summary>Its methods that implement [R2P2Service] or [TrustDomain] interface methods.</summary>
        internal ImmutableHashSet<ISymbol> BoundaryImplementations { get; }
    }
}
