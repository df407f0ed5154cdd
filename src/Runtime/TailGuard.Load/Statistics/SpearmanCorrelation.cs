using System;

namespace TailGuard.Load.Statistics;

/// <summary>The outcome of a Spearman rank-correlation test.</summary>
/// <param name="Rho">The rank correlation, from −1 to 1 (0 when a side has no variation).</param>
/// <param name="PValue">The two-sided p-value of "no monotone association" (Fisher transformation).</param>
/// <param name="Pairs">How many pairs were compared.</param>
public readonly record struct SpearmanResult(double Rho, double PValue, int Pairs);

/// <summary>
/// Spearman's rank correlation: the Pearson correlation of the ranks (ties share their average rank). The load
/// generator applies it to consecutive latency samples (x_i, x_i+1) to check that samples are independent, as the
/// order-statistics confidence intervals assume (docs/load.md, "Independence").
/// </summary>
public static class SpearmanCorrelation
{
    /// <summary>Correlates two equally long series.</summary>
    /// <param name="x">The first series (infinities allowed: they rank above every finite value and tie).</param>
    /// <param name="y">The second series.</param>
    /// <returns>ρ and its p-value; with fewer than 4 pairs the p-value is 1.</returns>
    public static SpearmanResult Test(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException("Both series must have the same length.", nameof(y));
        }

        var n = x.Length;
        if (n < 4)
        {
            return new SpearmanResult(0, 1, n);
        }

        var rx = Ranks(x);
        var ry = Ranks(y);
        var rho = Pearson(rx, ry);
        return new SpearmanResult(rho, PValue(rho, n), n);
    }

    /// <summary>Correlates each sample with the next one (lag 1): (s0, s1), (s1, s2), ...</summary>
    /// <param name="series">The samples in the order they were taken.</param>
    /// <returns>ρ and its p-value over the n − 1 consecutive pairs.</returns>
    public static SpearmanResult LagOne(ReadOnlySpan<double> series)
        => series.Length < 2 ? new SpearmanResult(0, 1, 0) : Test(series[..^1], series[1..]);

    /// <summary>
    /// The two-sided p-value of ρ over n pairs under independence, from the Fisher transformation
    /// z = atanh(ρ)·√((n − 3)/1.06), which is close to standard normal for Spearman's ρ.
    /// </summary>
    /// <param name="rho">The rank correlation.</param>
    /// <param name="n">The number of pairs (at least 4).</param>
    /// <returns>The p-value.</returns>
    public static double PValue(double rho, int n)
    {
        if (n < 4)
        {
            return 1;
        }

        var clamped = Math.Clamp(rho, -0.999999999999, 0.999999999999);
        var z = Math.Atanh(clamped) * Math.Sqrt((n - 3) / 1.06);
        return NormalDistribution.TwoSidedPValue(z);
    }

    /// <summary>Ranks from 1 to n, ties sharing their average rank.</summary>
    /// <param name="values">The values.</param>
    /// <returns>The rank of each value, in the values' order.</returns>
    internal static double[] Ranks(ReadOnlySpan<double> values)
    {
        var n = values.Length;
        var keys = values.ToArray();
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(keys, order);
        var ranks = new double[n];
        var start = 0;
        while (start < n)
        {
            var end = start + 1;
            while (end < n && keys[end].Equals(keys[start]))
            {
                end++;
            }

            var average = (start + end + 1) / 2.0; // ranks start..end-1 (0-based) are start+1..end (1-based)
            for (var i = start; i < end; i++)
            {
                ranks[order[i]] = average;
            }

            start = end;
        }

        return ranks;
    }

    private static double Pearson(double[] x, double[] y)
    {
        var n = x.Length;
        double meanX = 0, meanY = 0;
        for (var i = 0; i < n; i++)
        {
            meanX += x[i];
            meanY += y[i];
        }

        meanX /= n;
        meanY /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            var dx = x[i] - meanX;
            var dy = y[i] - meanY;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }
}
