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
/// with the same seed draws the same times.
/// </summary>
internal sealed class SyntheticServiceHandler : IR2P2Handler, IDisposable
{
    private readonly ServiceTime _time;
    private readonly ServiceTimeMode _mode;
    private readonly ThreadLocal<Random> _random;
    private int _workers;

    public SyntheticServiceHandler(ServiceTime time, ServiceTimeMode mode, int seed)
    {
        _time = time;
        _mode = mode;
        _random = new ThreadLocal<Random>(() => new Random(seed + (7919 * Interlocked.Increment(ref _workers))));
    }

    public void Handle(in R2P2Request request, IBufferWriter<byte> response)
    {
        var deadline = Stopwatch.GetTimestamp() + _time.Sample(_random.Value!);
        if (_mode == ServiceTimeMode.Spin)
        {
            PreciseWait.Spin(deadline);
        }
        else
        {
            PreciseWait.Until(deadline);
        }

        foreach (var segment in request.Payload)
        {
            response.Write(segment.Span);
        }
    }

    public void Dispose() => _random.Dispose();
}
