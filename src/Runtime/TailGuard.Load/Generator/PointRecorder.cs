using System.Threading;

namespace TailGuard.Load.Generator;

/// <summary>
/// What one point records while it runs. Sending threads write their own <see cref="ThreadRecord"/> alone;
/// completions, from any thread, count outcomes here and write latency samples into reserved slots.
/// </summary>
internal sealed class PointRecorder
{
    private long _ok;
    private long _timeouts;
    private long _drops;
    private long _wrong;
    private long _failures;
    private long _stopAt = long.MaxValue;

    public PointRecorder(LoadMode mode, double targetRate, long windowStart, int threads, int sampleCapacity)
    {
        Mode = mode;
        TargetRate = targetRate;
        WindowStart = windowStart;
        Threads = new ThreadRecord[threads];
        for (var i = 0; i < threads; i++)
        {
            Threads[i] = new ThreadRecord(sampleCapacity);
        }
    }

    public LoadMode Mode { get; }

    public double TargetRate { get; }

    /// <summary>Sends scheduled from here on are measured (earlier ones are warm-up).</summary>
    public long WindowStart { get; }

    /// <summary>Sends scheduled from here on are not made: the point is over. Set once by the controller.</summary>
    public long StopAt
    {
        get => Volatile.Read(ref _stopAt);
        set => Volatile.Write(ref _stopAt, value);
    }

    public ThreadRecord[] Threads { get; }

    public long Ok => Interlocked.Read(ref _ok);

    public long Timeouts => Interlocked.Read(ref _timeouts);

    public long Drops => Interlocked.Read(ref _drops);

    public long WrongResponses => Interlocked.Read(ref _wrong);

    public long Failures => Interlocked.Read(ref _failures);

    public void Count(LoadOutcome outcome)
    {
        switch (outcome)
        {
            case LoadOutcome.Ok:
                Interlocked.Increment(ref _ok);
                break;
            case LoadOutcome.Timeout:
                Interlocked.Increment(ref _timeouts);
                break;
            case LoadOutcome.Dropped:
                Interlocked.Increment(ref _drops);
                break;
            case LoadOutcome.WrongResponse:
                Interlocked.Increment(ref _wrong);
                break;
            default:
                Interlocked.Increment(ref _failures);
                break;
        }
    }
}

/// <summary>One sending thread's part of a point: written by that thread only (samples by completions, by slot).</summary>
internal sealed class ThreadRecord
{
    public ThreadRecord(int sampleCapacity)
    {
        Samples = new ChunkedLog<double>(sampleCapacity, double.NaN);
        SendTimes = new ChunkedLog<long>(sampleCapacity, 0);
    }

    /// <summary>Latency samples (ns) of the measuring subset in send order; NaN until completed, +∞ for a failure.</summary>
    public ChunkedLog<double> Samples { get; }

    /// <summary>When each send in the window actually started (timestamps), for the inter-arrival check.</summary>
    public ChunkedLog<long> SendTimes { get; }

    /// <summary>Actual − scheduled send time, per send in the window (ns).</summary>
    public LatencyDistribution Lateness { get; } = new();

    public long Sent;
    public long Skipped;
    public long Measured;

    /// <summary>This thread's scheduled rate (requests per second), for the inter-arrival check.</summary>
    public double Rate;

    /// <summary>Set when the thread has finished sending (read by the controller after joining it).</summary>
    public bool Finished;
}
