using System;

namespace TailGuard.Load.Statistics;

/// <summary>The standard normal distribution's tails, for the p-values of the self-checks.</summary>
public static class NormalDistribution
{
    /// <summary>The 97.5th percentile of the standard normal distribution: a two-sided 95% interval is ±1.96 σ.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// The complementary error function, erfc(x) = 1 − erf(x), with a relative error below 1.2e-7 everywhere (a
    /// Chebyshev fit), so p-values far in the tail (1e-10 and below) keep their precision.
    /// </summary>
    /// <param name="x">Any real number.</param>
    /// <returns>erfc(x), in (0, 2).</returns>
    public static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1.0 / (1.0 + 0.5 * z);
        var polynomial = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
            t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        var result = t * Math.Exp(polynomial);
        return x >= 0 ? result : 2.0 - result;
    }

    /// <summary>P(Z ≤ z) for a standard normal Z.</summary>
    /// <param name="z">The value.</param>
    /// <returns>The cumulative probability.</returns>
    public static double Cdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2.0));

    /// <summary>P(|Z| ≥ |z|) for a standard normal Z: the two-sided p-value of a z statistic.</summary>
    /// <param name="z">The statistic.</param>
    /// <returns>The p-value, in (0, 1].</returns>
    public static double TwoSidedPValue(double z) => Math.Min(1.0, Erfc(Math.Abs(z) / Math.Sqrt(2.0)));
}
