using System;
using System.Globalization;

namespace TailGuard.Load;

/// <summary>
/// A latency percentile with its 95% confidence interval, in microseconds. +∞ means the rank fell among failed
/// requests (timeouts, drops); NaN means there were too few samples to bound that side.
/// </summary>
/// <param name="Percentile">Which percentile (99.9 for p99.9).</param>
/// <param name="Microseconds">The nearest-rank estimate.</param>
/// <param name="LowerMicroseconds">The interval's lower bound.</param>
/// <param name="UpperMicroseconds">The interval's upper bound.</param>
/// <param name="Samples">The samples it was computed from.</param>
public readonly record struct PercentileEstimate(double Percentile, double Microseconds, double LowerMicroseconds, double UpperMicroseconds, long Samples)
{
    /// <summary>Whether both bounds are known and finite.</summary>
    public bool IsBounded => double.IsFinite(LowerMicroseconds) && double.IsFinite(UpperMicroseconds);

    /// <summary>The interval's width (upper − lower), +∞ when a bound is unknown.</summary>
    public double WidthMicroseconds => IsBounded ? UpperMicroseconds - LowerMicroseconds : double.PositiveInfinity;

    /// <summary>The percentile's name, "p50", "p99.9".</summary>
    public string Name => "p" + Percentile.ToString("0.###", CultureInfo.InvariantCulture);
}
