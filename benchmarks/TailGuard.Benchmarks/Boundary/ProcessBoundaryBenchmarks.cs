using System;
using BenchmarkDotNet.Attributes;
using TailGuard.Boundary;

namespace TailGuard.Benchmarks.Boundary;

/// <summary>
/// The small call of issue 6 (two scalars and 64 bytes in) through the process-isolated backend: the proxy, a copy into
/// the shared memfd, the signal, the child's generated entry, the reply. Spin = 20 000: both sides busy-poll (the
/// default); Spin = 0: the child and the host wait in the kernel (futex) on every call. The median is the p50.
/// </summary>
[MemoryDiagnoser]
public class ProcessBoundaryBenchmarks : IDisposable
{
    private readonly byte[] _input = new byte[64];
    private ProcessBackend? _backend;
    private TrustDomainHost<ISmallCall>? _host;
    private ISmallCall _proxy = null!;

    /// <summary>How many times each side polls before it waits in the kernel.</summary>
    [Params(20_000, 0)]
    public int Spin { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _input.AsSpan().Fill(3);
        _backend = new ProcessBackend(new ProcessBackendOptions { SpinIterations = Spin });
        _host = TrustDomainHost.Create<ISmallCall, SmallCallBoundary, SmallCall>(new TrustDomainHostOptions { Backend = _backend });
        _proxy = _host.Proxy;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _host?.Dispose();
        _backend?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Description = "proxy + process switch (memfd, spin/futex) + entry")]
    public long ThroughAProcess() => _proxy.Add(1, 2, _input);
}
