using System;

namespace TailGuard.Load;

/// <summary>Thresholds of the self-checks every open-loop point runs (docs/load.md, "Self-checks").</summary>
public sealed class SelfCheckOptions
{
    /// <summary>The achieved send rate may differ from the target by at most this fraction (0.10 = 10%).</summary>
    public double RateTolerance { get; init; } = 0.10;

    /// <summary>
    /// The inter-arrival test's significance α: the chance that a generator sending exactly as it should still fails
    /// the check (from 0.001 to 0.25).
    /// </summary>
    public double InterArrivalSignificance { get; init; } = 0.01;

    /// <summary>At most this many gaps, spread evenly over the point, enter the inter-arrival test.</summary>
    public int InterArrivalSamples { get; init; } = 1_000;

    /// <summary>
    /// Consecutive latency samples count as independent when the Spearman p-value of their correlation is above this.
    /// Otherwise the generator keeps every second sample, then every fourth, and so on, and tests again.
    /// </summary>
    public double IndependencePValue { get; init; } = 1e-10;

    /// <summary>The fewest latency samples (after thinning) a point may report from.</summary>
    public int MinimumSamples { get; init; } = 200;

    /// <summary>The point fails when the 99th percentile of the generator's own send lateness exceeds this.</summary>
    public TimeSpan MaxSendLateness { get; init; } = TimeSpan.FromMicroseconds(100);

    internal void Validate()
    {
        if (!(RateTolerance > 0 && RateTolerance < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(RateTolerance), RateTolerance, "The rate tolerance must be between 0 and 1.");
        }

        if (!(InterArrivalSignificance >= 0.001 && InterArrivalSignificance <= 0.25))
        {
            throw new ArgumentOutOfRangeException(nameof(InterArrivalSignificance), InterArrivalSignificance, "The significance must be from 0.001 to 0.25.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(InterArrivalSamples, 8);
        if (!(IndependencePValue > 0 && IndependencePValue < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(IndependencePValue), IndependencePValue, "The p-value threshold must be between 0 and 1.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MinimumSamples, 8);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxSendLateness, TimeSpan.Zero);
    }
}
