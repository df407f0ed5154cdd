using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.Determinism;

/// <summary>
/// Decides which methods are apply paths of a replicated service (docs/replication.md, "Determinism"): the
/// implementations (implicit or explicit) of the methods of <c>[R2P2Service(Replicated = true)]</c> interfaces, which
/// every replica runs in log order, and of the hand-written apply and snapshot interfaces of TailGuard.Replication
/// (<c>IReplicatedService</c>, <c>IReplicatedState</c>), whose results must be the same on every replica. Per-type answers
/// are cached for the compilation.
/// </summary>
internal sealed class ApplyPathScope
{
    private readonly INamedTypeSymbol? _r2p2Service;
    private readonly ImmutableArray<INamedTypeSymbol> _applyInterfaces;
    private readonly ConcurrentDictionary<INamedTypeSymbol, ImmutableHashSet<IMethodSymbol>> _types = new(SymbolEqualityComparer.Default);

    private ApplyPathScope(INamedTypeSymbol? r2p2Service, ImmutableArray<INamedTypeSymbol> applyInterfaces)
    {
        _r2p2Service = r2p2Service;
        _applyInterfaces = applyInterfaces;
    }

    /// <summary>The scope of <paramref name="compilation"/>, or null when it can declare no apply path at all.</summary>
    internal static ApplyPathScope? TryCreate(Compilation compilation)
    {
        var r2p2Service = compilation.GetTypeByMetadataName("TailGuard.R2P2ServiceAttribute");
        var applyInterfaces = ImmutableArray.CreateBuilder<INamedTypeSymbol>();
        foreach (var name in new[] { "TailGuard.Replication.IReplicatedService", "TailGuard.Replication.IReplicatedState" })
        {
            if (compilation.GetTypeByMetadataName(name) is { } type)
            {
                applyInterfaces.Add(type);
            }
        }

        return r2p2Service is null && applyInterfaces.Count == 0 ? null : new ApplyPathScope(r2p2Service, applyInterfaces.ToImmutable());
    }

    /// <summary>True when <paramref name="method"/> is an apply path.</summary>
    internal bool IsApplyPath(IMethodSymbol method) =>
        method.ContainingType is { } type && ApplyMethods(type).Contains(method.OriginalDefinition);

    /// <summary>True when some method of <paramref name="type"/> is an apply path.</summary>
    internal bool MayContainApplyPaths(INamedTypeSymbol type) => ApplyMethods(type).Count > 0;

    private ImmutableHashSet<IMethodSymbol> ApplyMethods(INamedTypeSymbol type) =>
        _types.TryGetValue(type, out var methods) ? methods : _types.GetOrAdd(type, Compute(type));

    private ImmutableHashSet<IMethodSymbol> Compute(INamedTypeSymbol type)
    {
        if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct))
        {
            return ImmutableHashSet<IMethodSymbol>.Empty;
        }

        var methods = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        foreach (var contract in type.AllInterfaces)
        {
            if (!IsApplyInterface(contract))
            {
                continue;
            }

            foreach (var member in contract.GetMembers())
            {
                if (member is IMethodSymbol && type.FindImplementationForInterfaceMember(member) is IMethodSymbol implementation
                    && SymbolEqualityComparer.Default.Equals(implementation.ContainingType.OriginalDefinition, type.OriginalDefinition))
                {
                    methods.Add(implementation.OriginalDefinition);
                }
            }
        }

        return methods.ToImmutableHashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
    }

    private bool IsApplyInterface(INamedTypeSymbol contract)
    {
        foreach (var applyInterface in _applyInterfaces)
        {
            if (SymbolEqualityComparer.Default.Equals(contract.OriginalDefinition, applyInterface))
            {
                return true;
            }
        }

        if (_r2p2Service is null)
        {
            return false;
        }

        foreach (var attribute in contract.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, _r2p2Service))
            {
                foreach (var argument in attribute.NamedArguments)
                {
                    if (argument.Key == "Replicated" && argument.Value.Value is true)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }
}
