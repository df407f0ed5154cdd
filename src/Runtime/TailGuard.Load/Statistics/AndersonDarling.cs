using System;

namespace TailGuard.Load.Statistics;

/// <summary>The outcome of an Anderson-Darling goodness-of-fit test.</summary>
/// <param name="Statistic">The test statistic (A², or A²·(1 + 0.6/n) when the mean was estimated).</param>
/// <param name="CriticalValue">The statistic's critical value at <paramref name="Significance"/>.</param>
/// <param name="Significance">The chance of rejecting samples that do come from the distribution (α).</param>
/// <param name="Samples">How many samples were tested.</param>
public readonly record struct GoodnessOfFit(double Statistic, double CriticalValue, double Significance, int Samples)
{
    /// <summary>Whether the samples fit the distribution at the stated significance (the statistic is below its critical value).</summary>
    public bool Fits => Statistic <= CriticalValue;
}

/// <summary>
/// The Anderson-Darling test: how far an empirical distribution is from a model, weighting the tails (where a load
/// generator that falls behind and then bursts shows first). The generator applies it to its own inter-arrival gaps
/// (docs/load.md, "Inter-arrival check").
/// </summary>
public static class AndersonDarling
{
    // Critical values of A²·(1 + 0.6/n) for an exponential with an estimated mean, at significance α (D'Agostino and
    // Stephens's table; the 0.001 row from our own simulation, 100 000 trials at n = 50, 500 and 5 000).
    private static readonly (double Alpha, double Critical)[] s_exponentialTable =
    [
        (0.25, 0.736), (0.15, 0.916), (0.10, 1.062), (0.05, 1.321), (0.025, 1.591), (0.01, 1.959), (0.001, 2.97),
    ];

    /// <summary>
    /// Tests samples against an exponential distribution whose mean is estimated from the samples (so the test is
    /// about the shape, Poisson arrivals, and not about the rate, which the rate check covers).
    /// </summary>
    /// <param name="samples">Positive samples (gaps between arrivals), in any order; at least 8.</param>
    /// <param name="significance">α, from 0.001 to 0.25.</param>
    /// <returns>The statistic and its critical value.</returns>
    public static GoodnessOfFit TestExponential(ReadOnlySpan<double> samples, double significance = 0.01)
    {
        CheckArguments(samples, significance);
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        double mean = 0;
        foreach (var value in sorted)
        {
            mean += value;
        }

        mean /= sorted.Length;
        var n = sorted.Length;
        var statistic = mean <= 0
            ? double.PositiveInfinity // every gap zero: a burst, nothing like Poisson arrivals
            : Statistic(sorted, value => 1 - Math.Exp(-Math.Max(0, value) / mean)) * (1 + 0.6 / n);
        return new GoodnessOfFit(statistic, ExponentialCritical(significance), significance, n);
    }

    /// <summary>Tests samples against a fully specified uniform distribution on [<paramref name="min"/>, <paramref name="max"/>].</summary>
    /// <param name="samples">The samples, in any order; at least 8.</param>
    /// <param name="min">The distribution's lower bound.</param>
    /// <param name="max">The distribution's upper bound (greater than <paramref name="min"/>).</param>
    /// <param name="significance">α, from 0.001 to 0.25.</param>
    /// <returns>The statistic and its critical value.</returns>
    public static GoodnessOfFit TestUniform(ReadOnlySpan<double> samples, double min, double max, double significance = 0.01)
    {
        CheckArguments(samples, significance);
        if (!(max > min))
        {
            throw new ArgumentOutOfRangeException(nameof(max), max, "The upper bound must be above the lower bound.");
        }

        var sorted = samples.ToArray();
        Array.Sort(sorted);
        var statistic = Statistic(sorted, value => (value - min) / (max - min));
        return new GoodnessOfFit(statistic, FullySpecifiedCritical(significance), significance, sorted.Length);
    }

    /// <summary>
    /// P(A² ≤ z) for a fully specified continuous distribution as n grows (Marsaglia and Marsaglia's approximation of
    /// the limiting distribution); within 1e-3 of the finite-n value from n ≈ 50 on.
    /// </summary>
    /// <param name="z">The A² statistic.</param>
    /// <returns>The cumulative probability.</returns>
    public static double FullySpecifiedCdf(double z)
    {
        if (z <= 0)
        {
            return 0;
        }

        if (z < 2)
        {
            return Math.Exp(-1.2337141 / z) / Math.Sqrt(z) *
                   (2.00012 + (.247105 - (.0649821 - (.0347962 - (.011672 - .00168691 * z) * z) * z) * z) * z);
        }

        return Math.Exp(-Math.Exp(1.0776 - (2.30695 - (.43424 - (.082433 - (.008056 - .0003146 * z) * z) * z) * z) * z));
    }

    /// <summary>A² = −n − (1/n) Σ (2i − 1)[ln F(x_i) + ln(1 − F(x_(n+1−i)))] over the sorted samples.</summary>
    private static double Statistic(double[] sorted, Func<double, double> cdf)
    {
        var n = sorted.Length;
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            var low = Math.Clamp(cdf(sorted[i]), 1e-300, 1 - 1e-16);
            var high = Math.Clamp(cdf(sorted[n - 1 - i]), 1e-300, 1 - 1e-16);
            sum += (2 * i + 1) * (Math.Log(low) + Math.Log(1 - high));
        }

        return -n - sum / n;
    }

    private static double ExponentialCritical(double alpha)
    {
        for (var i = 1; i < s_exponentialTable.Length; i++)
        {
            var (a0, c0) = s_exponentialTable[i - 1];
            var (a1, c1) = s_exponentialTable[i];
            if (alpha <= a0 && alpha >= a1)
            {
                // Linear in log α between the tabled levels.
                var t = (Math.Log(alpha) - Math.Log(a0)) / (Math.Log(a1) - Math.Log(a0));
                return c0 + t * (c1 - c0);
            }
        }

        throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The significance must be from 0.001 to 0.25.");
    }

    private static double FullySpecifiedCritical(double alpha)
    {
        // Invert the limiting CDF by bisection: P(A² > z) = α.
        double low = 0.1, high = 20;
        for (var i = 0; i < 100; i++)
        {
            var mid = (low + high) / 2;
            if (1 - FullySpecifiedCdf(mid) > alpha)
            {
                low = mid;
            }
            else
            {
                high = mid;
            }
        }

        return (low + high) / 2;
    }

    private static void CheckArguments(ReadOnlySpan<double> samples, double significance)
    {
        if (samples.Length < 8)
        {
            throw new ArgumentException("The Anderson-Darling test needs at least 8 samples.", nameof(samples));
        }

        if (!(significance >= 0.001 && significance <= 0.25))
        {
            throw new ArgumentOutOfRangeException(nameof(significance), significance, "The significance must be from 0.001 to 0.25.");
        }
    }
}
