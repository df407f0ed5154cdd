using System;
using BenchmarkDotNet.Attributes;
using TailGuard.Boundary;

namespace TailGuard.Benchmarks.Boundary;

/// <summary>The small call of issue 6: two scalars and a 64-byte input buffer.</summary>
[TrustDomain]
public interface ISmallCall
{
    /// <summary>Adds the scalars and the bytes.</summary>
    long Add(int a, long b, [Bounded(64)] ReadOnlySpan<byte> data);
}

/// <summary>The implementation every variant calls.</summary>
public sealed class SmallCall : ISmallCall
{
    /// <inheritdoc/>
    public long Add(int a, long b, ReadOnlySpan<byte> data)
    {
        long sum = a + b;
        foreach (byte value in data)
        {
            sum += value;
        }

        return sum;
    }
}

/// <summary>
/// A call through the generated proxy, the simulated switch and the generated entry, against a direct interface call on
/// the same implementation; and the marshalling alone (proxy and entry over an in-memory region, no monitor).
/// </summary>
[MemoryDiagnoser]
public class BoundaryBenchmarks : IDisposable
{
    private readonly byte[] _input = new byte[64];
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "The baseline is an interface call, as the proxy's caller makes.")]
    private ISmallCall _direct = null!;
    private TrustDomainHost<ISmallCall> _host = null!;
    private ISmallCall _proxy = null!;
    private ISmallCall _inPlace = null!;

    [GlobalSetup]
    public void Setup()
    {
        _input.AsSpan().Fill(3);
        _direct = new SmallCall();
        _host = SmallCallBoundary.Host(new SmallCall());
        _proxy = _host.Proxy;
        var entry = (SmallCallEntry)SmallCallBoundary.CreateEntry(new SmallCall(), default);
        _inPlace = SmallCallBoundary.CreateProxy(new InPlaceChannel(SmallCallBoundary.Layout, entry));
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _host?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, Description = "direct interface call")]
    public long Direct() => _direct.Add(1, 2, _input);

    [Benchmark(Description = "proxy + simulated switch + entry")]
    public long ThroughTheBoundary() => _proxy.Add(1, 2, _input);

    [Benchmark(Description = "proxy + entry, no switch (marshalling alone)")]
    public long MarshallingAlone() => _inPlace.Add(1, 2, _input);

    /// <summary>The proxy's region and the entry's private scratch as plain arrays; the "switch" is a direct call.</summary>
    private sealed class InPlaceChannel(BoundaryLayout layout, BoundaryEntry entry) : BoundaryChannel(layout)
    {
        private readonly byte[] _region = new byte[layout.RegionSize];
        private readonly byte[] _scratch = new byte[layout.ScratchSize];

        protected override Span<byte> GetRegion() => _region;

        protected override void Switch(int length) => entry.ServeInPlace(_region, _scratch);
    }
}
