using System;

namespace TailGuard.Load.Statistics;

/// <summary>
/// Ranks (1-based, among n sorted samples) of a percentile's point estimate and of its distribution-free confidence
/// interval. <see cref="Lower"/> is 0 when no sample is low enough to bound the interval below, and
/// <see cref="Upper"/> is n + 1 when more samples are needed to bound it above.
/// </summary>
/// <param name="Estimate">The nearest-rank estimate, ⌈n·p⌉ (at least 1).</param>
/// <param name="Lower">The rank of the lower bound.</param>
/// <param name="Upper">The rank of the upper bound.</param>
public readonly record struct PercentileRanks(long Estimate, long Lower, long Upper);

/// <summary>
/// Confidence intervals for percentiles from order statistics, as Lancet computes them: with n independent samples,
/// the number below the true p-quantile is Binomial(n, p), so the samples at ranks
/// ⌊np − 1.96√(np(1−p))⌋ and ⌈np + 1.96√(np(1−p))⌉ + 1 bracket it with about 95% confidence whatever the latency
/// distribution. Where np(1−p) is small the normal approximation is poor, and the ranks come from the exact binomial.
/// </summary>
public static class PercentileInterval
{
    /// <summary>Below this n·p·(1−p) the ranks come from the exact binomial distribution.</summary>
    public const double ExactBelowVariance = 25;

    private static readonly double[] s_smallFactorials = LogFactorials(256);

    /// <summary>The ranks of a 95% interval for the <paramref name="percentile"/>th percentile of <paramref name="n"/> samples.</summary>
    /// <param name="n">The number of samples (at least 1).</param>
    /// <param name="percentile">The percentile, strictly between 0 and 100 (99.9 for p99.9).</param>
    /// <returns>The ranks.</returns>
    public static PercentileRanks Ranks(long n, double percentile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        if (!(percentile > 0 && percentile < 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "The percentile must be strictly between 0 and 100.");
        }

        var p = percentile / 100.0;
        var estimate = Math.Clamp((long)Math.Ceiling(n * p - 1e-9), 1, n);
        var variance = n * p * (1 - p);
        long lower, upper;
        if (variance >= ExactBelowVariance)
        {
            var spread = NormalDistribution.Z95 * Math.Sqrt(variance);
            lower = (long)Math.Floor(n * p - spread);
            upper = (long)Math.Ceiling(n * p + spread) + 1;
        }
        else
        {
            (lower, upper) = ExactRanks(n, p, 0.95);
        }

        return new PercentileRanks(estimate, Math.Max(lower, 0), Math.Min(upper, n + 1));
    }

    /// <summary>
    /// P(X_(lower) ≤ ξ_p ≤ X_(upper)) for n independent samples: the probability that a Binomial(n, p) count lies in
    /// [lower, upper − 1]. Rank 0 stands for −∞ and rank n + 1 for +∞.
    /// </summary>
    /// <param name="n">The number of samples.</param>
    /// <param name="p">The quantile, in (0, 1).</param>
    /// <param name="lower">The lower rank (0 for unbounded).</param>
    /// <param name="upper">The upper rank (n + 1 for unbounded).</param>
    /// <returns>The coverage probability.</returns>
    public static double Coverage(long n, double p, long lower, long upper)
    {
        double sum = 0;
        var from = Math.Max(lower, 0);
        var to = Math.Min(upper - 1, n);
        for (var i = from; i <= to; i++)
        {
            sum += BinomialPmf(n, i, p);
        }

        return Math.Min(1, sum);
    }

    /// <summary>P(B = k) for B ~ Binomial(n, p), computed in log space.</summary>
    internal static double BinomialPmf(long n, long k, double p)
    {
        if (k < 0 || k > n)
        {
            return 0;
        }

        var log = LogChoose(n, k) + k * Math.Log(p) + (n - k) * Math.Log(1 - p);
        return Math.Exp(log);
    }

    /// <summary>
    /// The narrowest interval around the mode, grown one rank at a time towards the likelier side, whose binomial
    /// coverage reaches <paramref name="confidence"/>.
    /// </summary>
    private static (long Lower, long Upper) ExactRanks(long n, double p, double confidence)
    {
        // Counts in [low, high] have the coverage; the interval's ranks are low and high + 1.
        var mode = Math.Clamp((long)Math.Floor((n + 1) * p), 0, n);
        long low = mode, high = mode;
        var covered = BinomialPmf(n, mode, p);
        while (covered < confidence && (low > 0 || high < n))
        {
            var below = low > 0 ? BinomialPmf(n, low - 1, p) : -1;
            var above = high < n ? BinomialPmf(n, high + 1, p) : -1;
            if (above >= below)
            {
                high++;
                covered += above;
            }
            else
            {
                low--;
                covered += below;
            }
        }

        // Rank 0 (no lower bound) when the interval must include zero samples below the quantile.
        return (low, high + 1);
    }

    private static double[] LogFactorials(int count)
    {
        var table = new double[count];
        for (var i = 2; i < count; i++)
        {
            table[i] = table[i - 1] + Math.Log(i);
        }

        return table;
    }

    private static double LogChoose(long n, long k) => LogFactorial(n) - LogFactorial(k) - LogFactorial(n - k);

    private static double LogFactorial(long n)
    {
        if (n < 2)
        {
            return 0;
        }

        if (n < s_smallFactorials.Length)
        {
            return s_smallFactorials[n];
        }

        // Stirling's series: exact to double precision from n = 256 on.
        double x = n;
        return x * Math.Log(x) - x + 0.5 * Math.Log(2 * Math.PI * x) + 1 / (12 * x) - 1 / (360 * x * x * x);
    }
}
