using System;
using System.Globalization;
using System.Text;

namespace TailGuard.Load;

/// <summary>
/// What a point's sending threads went through, summed over them, from their start to their end (warm-up included):
/// where a late send's time went (docs/load.md, "When a check fails"). A sender that waits for a core shows run-queue
/// time and involuntary switches (the machine's other threads hold its core); a garbage collection stops it for the
/// pause; allocation on the sending path leads to collections. The scheduler's counters are Linux's (<c>schedstat</c>);
/// elsewhere they are null.
/// </summary>
public sealed class SenderHealth
{
    /// <summary>How long the sending threads ran, start to end (per thread, summed).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Time on a core (spinning counts; sleeping does not). Null where the scheduler's counters are unavailable.</summary>
    public TimeSpan? OnCore { get; init; }

    /// <summary>Time runnable but waiting for a core, every second of which delays the sends due meanwhile. Null where unavailable.</summary>
    public TimeSpan? RunQueueWait { get; init; }

    /// <summary>Times a sending thread was taken off its core while it still wanted to run. Null where unavailable.</summary>
    public long? InvoluntarySwitches { get; init; }

    /// <summary>Times a sending thread gave up its core itself (sleeping until a send is near). Null where unavailable.</summary>
    public long? VoluntarySwitches { get; init; }

    /// <summary>Garbage collections in the process during the point (every generation).</summary>
    public int GarbageCollections { get; init; }

    /// <summary>How long those collections paused the process.</summary>
    public TimeSpan GarbageCollectionPause { get; init; }

    /// <summary>Bytes the sending threads allocated in the measurement window (0 in steady state: nothing on the send path allocates).</summary>
    public long AllocatedBytes { get; init; }

    /// <summary>
    /// Requests of the measurement window that left together with others in one <see cref="LoadConnection.SendBatch"/>
    /// (found due at once, or gathered by <see cref="LoadGeneratorOptions.SendWindow"/>; docs/load.md, "Batched sends").
    /// </summary>
    public long BatchedSends { get; init; }

    /// <summary>The batches <see cref="BatchedSends"/> left in (each one system call for the R2P2 and UDP echo targets).</summary>
    public long Batches { get; init; }

    /// <summary>The priority the sending threads run at: <c>nice -10</c> when <see cref="SenderPriority.High"/> was granted, else <c>normal</c>.</summary>
    public required string Priority { get; init; }

    /// <summary>One line for reports: every counter that is known.</summary>
    /// <returns>Such as <c>waited 1.2 ms for a core (14 preemptions), on core 3.1 s of 6.0 s, 0 GCs, 0 B allocated, 40 requests sent in 9 batches, nice -10</c>.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        if (RunQueueWait is { } wait)
        {
            text.Append(CultureInfo.InvariantCulture, $"waited {wait.TotalMilliseconds:0.###} ms for a core ({InvoluntarySwitches} preemptions), ");
            text.Append(CultureInfo.InvariantCulture, $"on core {OnCore!.Value.TotalSeconds:0.##} s of {Elapsed.TotalSeconds:0.##} s, ");
        }
        else
        {
            text.Append("scheduler counters unavailable, ");
        }

        text.Append(CultureInfo.InvariantCulture, $"{GarbageCollections} GCs ({GarbageCollectionPause.TotalMilliseconds:0.###} ms paused), {AllocatedBytes} B allocated by the senders, {BatchedSends} requests sent in {Batches} batches, {Priority}");
        return text.ToString();
    }
}
