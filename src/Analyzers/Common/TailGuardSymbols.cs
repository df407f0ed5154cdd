using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.Common;

/// <summary>
/// The TailGuard attribute types and the framework types the rules look for, resolved once per compilation.
/// <see cref="TryCreate"/> returns null when the compilation does not reference TailGuard, so analyzers bail out before
/// registering anything.
/// </summary>
internal sealed class TailGuardSymbols
{
    private TailGuardSymbols(Compilation compilation, INamedTypeSymbol hotPath)
    {
        Compilation = compilation;
        HotPath = hotPath;
        Secret = compilation.GetTypeByMetadataName("TailGuard.SecretAttribute");
        Declassifier = compilation.GetTypeByMetadataName("TailGuard.DeclassifierAttribute");
        R2P2Service = compilation.GetTypeByMetadataName("TailGuard.R2P2ServiceAttribute");
        TrustDomain = compilation.GetTypeByMetadataName("TailGuard.TrustDomainAttribute");
        HostCalls = compilation.GetTypeByMetadataName("TailGuard.HostCallsAttribute");
        R2P2Client = compilation.GetTypeByMetadataName("TailGuard.R2P2.R2P2Client");
        Enumerable = compilation.GetTypeByMetadataName("System.Linq.Enumerable");
        MemoryExtensions = compilation.GetTypeByMetadataName("System.MemoryExtensions");
        Span = compilation.GetTypeByMetadataName("System.Span`1");
        ReadOnlySpan = compilation.GetTypeByMetadataName("System.ReadOnlySpan`1");
        Exception = compilation.GetTypeByMetadataName("System.Exception");
        Console = compilation.GetTypeByMetadataName("System.Console");
        Debug = compilation.GetTypeByMetadataName("System.Diagnostics.Debug");
        Trace = compilation.GetTypeByMetadataName("System.Diagnostics.Trace");
        Logger = compilation.GetTypeByMetadataName("Microsoft.Extensions.Logging.ILogger");
        LoggerExtensions = compilation.GetTypeByMetadataName("Microsoft.Extensions.Logging.LoggerExtensions");
        Array = compilation.GetTypeByMetadataName("System.Array");
        Buffer = compilation.GetTypeByMetadataName("System.Buffer");
        FormattableString = compilation.GetTypeByMetadataName("System.FormattableString");
        DefaultInterpolatedStringHandler =
            compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.DefaultInterpolatedStringHandler");
        Task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        TaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        ValueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
        ValueTaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
        AsyncMethodBuilder = compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.AsyncMethodBuilderAttribute");
        PoolingBuilder =
            compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder");
        PoolingBuilderOfT =
            compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder`1");
    }

    internal Compilation Compilation { get; }
    internal INamedTypeSymbol HotPath { get; }
    internal INamedTypeSymbol? Secret { get; }
    internal INamedTypeSymbol? Declassifier { get; }
    internal INamedTypeSymbol? R2P2Service { get; }
    internal INamedTypeSymbol? TrustDomain { get; }
    internal INamedTypeSymbol? HostCalls { get; }
    internal INamedTypeSymbol? R2P2Client { get; }
    internal INamedTypeSymbol? Enumerable { get; }
    internal INamedTypeSymbol? MemoryExtensions { get; }
    internal INamedTypeSymbol? Span { get; }
    internal INamedTypeSymbol? ReadOnlySpan { get; }
    internal INamedTypeSymbol? Exception { get; }
    internal INamedTypeSymbol? Console { get; }
    internal INamedTypeSymbol? Debug { get; }
    internal INamedTypeSymbol? Trace { get; }
    internal INamedTypeSymbol? Logger { get; }
    internal INamedTypeSymbol? LoggerExtensions { get; }
    internal INamedTypeSymbol? Array { get; }
    internal INamedTypeSymbol? Buffer { get; }
    internal INamedTypeSymbol? FormattableString { get; }
    internal INamedTypeSymbol? DefaultInterpolatedStringHandler { get; }
    internal INamedTypeSymbol? Task { get; }
    internal INamedTypeSymbol? TaskOfT { get; }
    internal INamedTypeSymbol? ValueTask { get; }
    internal INamedTypeSymbol? ValueTaskOfT { get; }
    internal INamedTypeSymbol? AsyncMethodBuilder { get; }
    internal INamedTypeSymbol? PoolingBuilder { get; }
    internal INamedTypeSymbol? PoolingBuilderOfT { get; }

    /// <summary>Resolves the symbols, or returns null when TailGuard is not referenced.</summary>
    internal static TailGuardSymbols? TryCreate(Compilation compilation)
    {
        var hotPath = compilation.GetTypeByMetadataName("TailGuard.HotPathAttribute");
        return hotPath is null ? null : new TailGuardSymbols(compilation, hotPath);
    }

    /// <summary>True when <paramref name="symbol"/> carries an attribute of exactly <paramref name="attribute"/>.</summary>
    internal static bool Has(ISymbol symbol, INamedTypeSymbol? attribute) =>
        attribute is not null && Contains(symbol.GetAttributes(), attribute);

    /// <summary>True when the method's return value carries <paramref name="attribute"/>.</summary>
    internal static bool ReturnHas(IMethodSymbol method, INamedTypeSymbol? attribute) =>
        attribute is not null && Contains(method.GetReturnTypeAttributes(), attribute);

    private static bool Contains(ImmutableArray<AttributeData> attributes, INamedTypeSymbol attribute)
    {
        foreach (var data in attributes)
        {
            if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="type"/> is <paramref name="generic"/> constructed with any arguments.</summary>
    internal static bool IsConstructedFrom(ITypeSymbol? type, INamedTypeSymbol? generic) =>
        generic is not null && type is INamedTypeSymbol named &&
        SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, generic);
}
