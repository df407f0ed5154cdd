using System;
using System.Collections.Generic;
using HdrHistogram;
using HdrHistogram.Iteration;
using TailGuard.Load.Statistics;

namespace TailGuard.Load;

/// <summary>
/// Latency samples in a histogram (nanoseconds, three significant digits, so a value is known to 0.1%) plus the
/// requests that never completed successfully (timeouts, drops, wrong responses), which rank above every completed
/// one: a percentile that lands among them has no finite value, and the report says so instead of ignoring them.
/// Distributions from several agents merge by adding their counts.
/// </summary>
public sealed class LatencyDistribution
{
    /// <summary>The largest latency recorded as such (100 s); longer ones are recorded as 100 s.</summary>
    public const long MaxNanoseconds = 100_000_000_000;

    private readonly LongHistogram _histogram = new(MaxNanoseconds, 3);

    // HdrHistogram fills its static lookup table (Utilities.Bitwise.Lookup, 256 ints) the first time any histogram in
    // the process records a value. Recording one in the smallest histogram here does it on the thread that first makes
    // a distribution (the generator's controller), not on a sending thread at its first measured send, where it showed
    // as 1048 B allocated by the senders (docs/load.md).
    static LatencyDistribution() => new LongHistogram(2, 1).RecordValue(1);

    /// <summary>How many samples completed (finite latency).</summary>
    public long Completed => _histogram.TotalCount;

    /// <summary>How many samples failed (ranked above every completed one).</summary>
    public long Failed { get; private set; }

    /// <summary>All samples, completed and failed.</summary>
    public long Count => Completed + Failed;

    /// <summary>Records one completed sample.</summary>
    /// <param name="nanoseconds">The latency (clamped to 1 ns..<see cref="MaxNanoseconds"/>).</param>
    public void Record(long nanoseconds) => _histogram.RecordValue(Math.Clamp(nanoseconds, 1, MaxNanoseconds));

    /// <summary>Records completed samples of one value.</summary>
    /// <param name="nanoseconds">The latency.</param>
    /// <param name="count">How many samples had it.</param>
    public void Record(long nanoseconds, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > 0)
        {
            _histogram.RecordValueWithCount(Math.Clamp(nanoseconds, 1, MaxNanoseconds), count);
        }
    }

    /// <summary>Records failed samples.</summary>
    /// <param name="count">How many.</param>
    public void RecordFailures(long count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Failed += count;
    }

    /// <summary>Adds another distribution's samples to this one.</summary>
    /// <param name="other">The distribution to add.</param>
    public void Add(LatencyDistribution other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _histogram.Add(other._histogram);
        Failed += other.Failed;
    }

    /// <summary>The sample at a 1-based rank, in microseconds: +∞ for a failed sample, NaN for a rank outside 1..n.</summary>
    /// <param name="rank">The rank.</param>
    /// <returns>The value.</returns>
    public double MicrosecondsAtRank(long rank)
    {
        if (rank < 1 || rank > Count)
        {
            return double.NaN;
        }

        if (rank > Completed)
        {
            return double.PositiveInfinity;
        }

        foreach (var value in _histogram.RecordedValues())
        {
            if (value.TotalCountToThisValue >= rank)
            {
                return _histogram.HighestEquivalentValue(value.ValueIteratedTo) / 1000.0;
            }
        }

        return double.NaN;
    }

    /// <summary>The percentile's nearest-rank estimate and its 95% order-statistics interval.</summary>
    /// <param name="percentile">The percentile, strictly between 0 and 100.</param>
    /// <returns>The estimate; empty (<see cref="PercentileEstimate.Samples"/> 0) when there are no samples.</returns>
    public PercentileEstimate Estimate(double percentile)
    {
        var n = Count;
        if (n == 0)
        {
            return new PercentileEstimate(percentile, double.NaN, double.NaN, double.NaN, 0);
        }

        var ranks = PercentileInterval.Ranks(n, percentile);
        return new PercentileEstimate(
            percentile,
            MicrosecondsAtRank(ranks.Estimate),
            ranks.Lower >= 1 ? MicrosecondsAtRank(ranks.Lower) : double.NaN,
            ranks.Upper <= n ? MicrosecondsAtRank(ranks.Upper) : double.NaN,
            n);
    }

    /// <summary>The completed samples as (nanoseconds, count) pairs, ascending: the form agents send to their coordinator.</summary>
    /// <returns>The buckets.</returns>
    public IReadOnlyList<(long Nanoseconds, long Count)> Buckets()
    {
        var buckets = new List<(long, long)>();
        foreach (HistogramIterationValue value in _histogram.RecordedValues())
        {
            buckets.Add((value.ValueIteratedTo, value.CountAtValueIteratedTo));
        }

        return buckets;
    }

    /// <summary>Rebuilds a distribution from <see cref="Buckets"/> and a failure count.</summary>
    /// <param name="buckets">The (nanoseconds, count) pairs.</param>
    /// <param name="failed">How many samples failed.</param>
    /// <returns>The distribution.</returns>
    public static LatencyDistribution FromBuckets(IEnumerable<(long Nanoseconds, long Count)> buckets, long failed)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        var distribution = new LatencyDistribution();
        foreach (var (nanoseconds, count) in buckets)
        {
            distribution.Record(nanoseconds, count);
        }

        distribution.RecordFailures(failed);
        return distribution;
    }
}
