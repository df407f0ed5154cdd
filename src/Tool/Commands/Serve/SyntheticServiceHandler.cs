using System;
using System.Buffers;
using System.Diagnostics;
using System.Threading;
using TailGuard.Load.Timing;
using TailGuard.R2P2;

namespace TailGuard.Tool.Commands.Serve;

/// <summary>
/// An echo that first spends a service time drawn from a <see cref="ServiceTime"/> distribution, spinning or waiting
/// (<see cref="ServiceTimeMode"/>), on the worker that runs it: the worker serves nothing else meanwhile. Each worker
/// thread draws from its own generator, seeded from the seed and the order in which the workers first ran, so a run
/// with the same seed draws the same times. A waiting worker wakes early by its <see cref="WakeCompensation"/>, so its
/// mean hold is the mean drawn time; <see cref="Meter"/> records what every worker really held.
/// </summary>
internal sealed class SyntheticServiceHandler : IR2P2Handler, IDisposable
{
    private readonly ServiceTime _time;
    private readonly ServiceTimeMode _mode;
    private readonly ThreadLocal<WorkerState> _worker;
    private int _workers;

    public SyntheticServiceHandler(ServiceTime time, ServiceTimeMode mode, int seed)
    {
        _time = time;
        _mode = mode;
        _worker = new ThreadLocal<WorkerState>(() => new WorkerState(new Random(seed + (7919 * Interlocked.Increment(ref _workers))), new WakeCompensation(), Meter.Join()));
    }

    /// <summary>What the workers really held (docs/router.md, "Synthetic service times").</summary>
    public ServiceTimeMeter Meter { get; } = new();

    public void Handle(in R2P2Request request, IBufferWriter<byte> response)
    {
        var worker = _worker.Value!;
        var start = Stopwatch.GetTimestamp();
        var drawn = _time.Sample(worker.Random);
        var deadline = start + drawn;
        if (_mode == ServiceTimeMode.Spin)
        {
            PreciseWait.Spin(deadline);
        }
        else
        {
            PreciseWait.Until(worker.Compensation.WakeAt(start, deadline));
        }

        var held = Stopwatch.GetTimestamp() - start;
        worker.Compensation.Observe(drawn, held);
        worker.Record.Record(drawn, held);

        foreach (var segment in request.Payload)
        {
            response.Write(segment.Span);
        }
    }

    public void Dispose() => _worker.Dispose();

    private sealed record WorkerState(Random Random, WakeCompensation Compensation, ServiceTimeMeter.Worker Record);
}
