using System;
using System.Diagnostics;
using System.Threading;
using TailGuard.Load.Timing;

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
    private long _endedAtReceive;
    private long _endedByClock;
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

    /// <summary>Garbage collections in the process during the point (set by the controller when the senders are done).</summary>
    public int GarbageCollections { get; set; }

    /// <summary>How long they paused the process.</summary>
    public TimeSpan GarbageCollectionPause { get; set; }

    /// <summary>Faults the connections reported during the point (set by the controller after draining).</summary>
    public long Faults { get; set; }

    public long Ok => Interlocked.Read(ref _ok);

    /// <summary>Allocates the sending threads' next log chunks ahead of them (on the controller, so a sender never allocates).</summary>
    public void PrepareLogs()
    {
        foreach (var thread in Threads)
        {
            thread.Samples.Prepare();
            thread.SendTimes.Prepare();
            thread.ScheduledTimes.Prepare();
        }
    }

    public long Timeouts => Interlocked.Read(ref _timeouts);

    public long Drops => Interlocked.Read(ref _drops);

    public long WrongResponses => Interlocked.Read(ref _wrong);

    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>
    /// Latency samples (of the measuring subset, before any thinning) that ended at the receive time their connection
    /// gave (<see cref="LoadRequest.Complete(LoadOutcome, long)"/>: the socket's stamp on a kernel-timestamping R2P2
    /// connection), and those that ended at their completion call instead. Tests read them; reports do not.
    /// </summary>
    public long SamplesEndedAtReceive => Interlocked.Read(ref _endedAtReceive);

    /// <inheritdoc cref="SamplesEndedAtReceive"/>
    public long SamplesEndedByClock => Interlocked.Read(ref _endedByClock);

    public void CountSampleEnd(bool endedByClock) => Interlocked.Increment(ref endedByClock ? ref _endedByClock : ref _endedAtReceive);

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
        ScheduledTimes = new ChunkedLog<long>(sampleCapacity, 0);
    }

    /// <summary>Latency samples (ns) of the measuring subset in send order; NaN until completed, +∞ for a failure.</summary>
    public ChunkedLog<double> Samples { get; }

    /// <summary>When each send in the window actually started (timestamps), for the inter-arrival check.</summary>
    public ChunkedLog<long> SendTimes { get; }

    /// <summary>When each of those sends was scheduled (timestamps), in the same order: the arrival process the generator drew.</summary>
    public ChunkedLog<long> ScheduledTimes { get; }

    /// <summary>Actual − scheduled send time, per send in the window (ns).</summary>
    public LatencyDistribution Lateness { get; } = new();

    public long Sent;
    public long Skipped;

    /// <summary>Sends in the window that left in a batch of several (<see cref="LoadConnection.SendBatch"/>), and those batches.</summary>
    public long BatchedSends;
    public long Batches;
    public long Measured;

    /// <summary>This thread's scheduled rate (requests per second), for the inter-arrival check.</summary>
    public double Rate;

    /// <summary>Set when the thread has finished sending (read by the controller after joining it).</summary>
    public bool Finished;

    /// <summary>The thread's allocated bytes at its first send in the window (its total at the end is in <see cref="AllocatedInWindow"/>).</summary>
    public long AllocatedAtWindowStart;

    /// <summary>Bytes the thread allocated from its first send in the window to its end.</summary>
    public long AllocatedInWindow;

    /// <summary>The scheduler's counters over the thread's run (start to end).</summary>
    public ThreadCounters Scheduling;

    /// <summary>Stopwatch ticks from the thread's start to its end.</summary>
    public long ElapsedTicks;

    /// <summary>Whether the thread runs at the raised priority it asked for.</summary>
    public bool RaisedPriority;

    private int _threadId;
    private ThreadCounters _atStart;
    private long _startedAt;

    /// <summary>On the sending thread, before it sends: asks for its priority and reads the scheduler's counters.</summary>
    public void Begin(SenderPriority priority)
    {
        _threadId = ThreadScheduling.CurrentThreadId();
        RaisedPriority = priority == SenderPriority.High && ThreadScheduling.TrySetNice(_threadId, HighPriorityNice);
        _atStart = ThreadScheduling.Read(_threadId);
        _startedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>On the sending thread, after its last send: the counters' change and its allocation in the window.</summary>
    public void End()
    {
        AllocatedInWindow = Sent > 0 ? GC.GetAllocatedBytesForCurrentThread() - AllocatedAtWindowStart : 0; // before reading the counters allocates
        ElapsedTicks = Stopwatch.GetTimestamp() - _startedAt;
        Scheduling = ThreadScheduling.Read(_threadId).Since(_atStart);
        Finished = true;
    }

    /// <summary>The nice value <see cref="SenderPriority.High"/> asks for.</summary>
    public const int HighPriorityNice = -10;
}
