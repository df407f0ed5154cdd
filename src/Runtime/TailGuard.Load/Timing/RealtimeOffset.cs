using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TailGuard.Load.Timing;

/// <summary>
/// Converts CLOCK_REALTIME instants (the kernel's receive stamps) to <see cref="Stopwatch"/> timestamps by the offset
/// between the two clocks, read as one realtime reading bracketed by two monotonic ones (docs/load.md, "Timestamps close
/// to the socket"). A thread stopped between the reads (preempted, or held at a safe point by a collection) would make
/// the realtime reading late by the stop and move every stamp converted with it earlier by as much, so far that a
/// response could seem to arrive before its request left. A bracket wider than <see cref="MaxBracketNanoseconds"/> is
/// therefore refused and the last tight offset kept; the clocks drift apart by parts per million, so an offset a few
/// batches old is still right to well under a microsecond.
/// </summary>
/// <remarks>
/// Both clocks are read in nanoseconds (clock_gettime), so the conversion adds no rounding; the midpoint of an accepted
/// bracket is within <see cref="MaxBracketNanoseconds"/>/2 of the realtime reading.
/// </remarks>
internal partial struct RealtimeOffset
{
    /// <summary>The widest monotonic bracket around a realtime reading that is believed (three clock reads take ~100 ns).</summary>
    public const long MaxBracketNanoseconds = 1_000;

    private const int ClockRealtime = 0;
    private const int Attempts = 3;
    private static readonly double TicksPerNanosecond = Stopwatch.Frequency / 1e9;

    private long _realtimeMinusMonotonicNanoseconds;

    /// <summary>Whether an offset was ever accepted.</summary>
    public bool IsKnown { get; private set; }

    /// <summary>Readings refused because the thread stopped between them.</summary>
    public long Refused { get; private set; }

    /// <summary>The widest refused bracket in nanoseconds: how long the thread was stopped between two reads.</summary>
    public long WidestRefusedNanoseconds { get; private set; }

    /// <summary>
    /// Offers a reading: a realtime instant (nanoseconds since the epoch) taken between two monotonic timestamps. A tight
    /// bracket replaces the offset; a wide one is kept only while no offset is known (better than none, and replaced by
    /// the next tight reading). Returns whether the bracket was tight.
    /// </summary>
    public bool Offer(long monotonicBefore, long realtimeNanoseconds, long monotonicAfter)
    {
        var bracket = (long)((monotonicAfter - monotonicBefore) / TicksPerNanosecond);
        var tight = bracket >= 0 && bracket <= MaxBracketNanoseconds;
        if (!tight)
        {
            Refused++;
            WidestRefusedNanoseconds = Math.Max(WidestRefusedNanoseconds, bracket);
            if (IsKnown)
            {
                return false;
            }
        }

        var midpointNanoseconds = (long)((monotonicBefore + (monotonicAfter - monotonicBefore) / 2) / TicksPerNanosecond);
        _realtimeMinusMonotonicNanoseconds = realtimeNanoseconds - midpointNanoseconds;
        IsKnown = true;
        return tight;
    }

    /// <summary>Reads the clocks until a bracket is tight (at most a few times) and returns the last monotonic timestamp read.</summary>
    public long Calibrate()
    {
        for (var attempt = 1; ; attempt++)
        {
            var before = Stopwatch.GetTimestamp();
            var realtime = RealtimeNanoseconds();
            var after = Stopwatch.GetTimestamp();
            if (Offer(before, realtime, after) || attempt == Attempts)
            {
                return after;
            }
        }
    }

    /// <summary>The monotonic timestamp of realtime instant <paramref name="realtimeNanoseconds"/>.</summary>
    public readonly long MonotonicAt(long realtimeNanoseconds) => (long)((realtimeNanoseconds - _realtimeMinusMonotonicNanoseconds) * TicksPerNanosecond);

    private static long RealtimeNanoseconds()
    {
        _ = clock_gettime(ClockRealtime, out var now);
        return now.TotalNanoseconds;
    }

    [LibraryImport("libc")]
    [SuppressGCTransition] // a vDSO read of a few nanoseconds: no GC transition, so no safe point between the reads
    private static partial int clock_gettime(int clock, out TimeSpec time);
}
