using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;

namespace TailGuard.Benchmarks.R2P2Stubs;

/// <summary>
/// What serving a <c>ValueTask</c> method costs against a synchronous one, through the generated client and dispatcher
/// over the in-memory network (docs/r2p2-services.md, "Asynchronous methods"): <c>Sync</c> returns <c>long</c>;
/// <c>ValueTaskCompleted</c> returns an already completed <c>ValueTask&lt;long&gt;</c> (answered on the spot);
/// <c>ValueTaskPending</c> returns one still pending that completes as soon as the dispatcher waits for it (the
/// dispatcher defers the request and answers through the response handle from the completion). Median column: the target is the
/// p50 of a deferred answer at most 1 us above a synchronous one.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class AsyncDispatchBenchmarks : IDisposable
{
    private R2P2Server? _server;
    private R2P2Client? _transport;
    private BenchLedgerClient? _client;

    [GlobalSetup]
    public void Setup()
    {
        var network = new InMemoryNetwork(seed: 7);
        _server = new R2P2Server(network.Bind("10.0.0.1:9000"), new BenchLedgerDispatcher(new BenchLedger()));
        _transport = new R2P2Client(network.Bind("10.0.0.2:0"), _server.LocalAddress, new R2P2ClientOptions { RunContinuationsAsynchronously = false });
        _client = new BenchLedgerClient(_transport);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        GC.SuppressFinalize(this);
        _transport?.Dispose();
        _server?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public long Sync() => Spin.Result(_client!.AddAsync(1));

    [Benchmark]
    public long ValueTaskCompleted() => Spin.Result(_client!.AddCompletedAsync(1));

    [Benchmark]
    public long ValueTaskPending() => Spin.Result(_client!.AddPendingAsync(1));
}
