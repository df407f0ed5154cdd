using System;

namespace TailGuard.Load;

/// <summary>
/// Keep measuring a point until the confidence interval of one percentile is narrow enough, or a time limit passes;
/// the report says which happened (docs/load.md, "Precision").
/// </summary>
public sealed class PrecisionTarget
{
    /// <summary>The percentile whose interval must narrow (99 for p99).</summary>
    public double Percentile { get; init; } = 99;

    /// <summary>The widest acceptable interval (upper − lower bound), or null to use <see cref="RelativeWidth"/>.</summary>
    public TimeSpan? Width { get; init; }

    /// <summary>The widest acceptable interval as a fraction of the estimate (0.05 = 5%), or null to use <see cref="Width"/>.</summary>
    public double? RelativeWidth { get; init; }

    /// <summary>The longest a point may measure before giving up on the width.</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether an interval is as narrow as asked.</summary>
    /// <param name="estimate">The percentile's estimate.</param>
    /// <returns>True when the interval is bounded and narrow enough.</returns>
    public bool IsMetBy(PercentileEstimate estimate)
    {
        if (!estimate.IsBounded)
        {
            return false;
        }

        return Width is { } width
            ? estimate.WidthMicroseconds <= width.TotalMicroseconds
            : estimate.WidthMicroseconds <= RelativeWidth!.Value * estimate.Microseconds;
    }

    /// <summary>The requirement in words, "p99 interval ≤ 10 us".</summary>
    /// <returns>The description.</returns>
    public override string ToString()
        => Width is { } width
            ? FormattableString.Invariant($"p{Percentile} interval <= {width.TotalMicroseconds:0.#} us")
            : FormattableString.Invariant($"p{Percentile} interval <= {RelativeWidth * 100:0.#}% of the estimate");

    internal void Validate()
    {
        if (!(Percentile > 0 && Percentile < 100))
        {
            throw new ArgumentOutOfRangeException(nameof(Percentile), Percentile, "The percentile must be strictly between 0 and 100.");
        }

        if ((Width is null) == (RelativeWidth is null))
        {
            throw new ArgumentException("Give exactly one of Width and RelativeWidth.");
        }

        if (Width is { } width && width <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Width), width, "The width must be positive.");
        }

        if (RelativeWidth is { } relative && !(relative > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(RelativeWidth), relative, "The relative width must be positive.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TimeLimit, TimeSpan.Zero);
    }
}
