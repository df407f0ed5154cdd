using System;
using System.Linq;
using TailGuard.Load.Statistics;

namespace TailGuard.Load.Tests.Statistics;

/// <summary>
/// The numbers docs/load.md states for its method, checked as an outsider would from the document alone: the
/// self-checks' default thresholds, the Anderson-Darling critical values and small-sample correction, Spearman's
/// p-value from the Fisher transformation, and the order-statistic ranks of a percentile's 95% interval.
/// </summary>
public sealed class DocumentedMethodTests
{
    [Fact]
    public void The_self_checks_and_the_generator_default_to_the_documented_settings()
    {
        var checks = new SelfCheckOptions();
        Assert.Equal(0.10, checks.RateTolerance);                             // rate: --rate-tolerance 10%
        Assert.Equal(0.01, checks.InterArrivalSignificance);                  // inter-arrival: --significance 0.01
        Assert.Equal(1_000, checks.InterArrivalSamples);                      // "At most 1 000 gaps"
        Assert.Equal(1e-10, checks.IndependencePValue);                       // independence: --independence-p 1e-10
        Assert.Equal(200, checks.MinimumSamples);                             // samples: at least 200
        Assert.Equal(TimeSpan.FromMicroseconds(100), checks.MaxSendLateness); // lateness: --max-lateness 100 us

        var generator = new LoadGeneratorOptions();
        Assert.Equal(4, generator.Connections);
        Assert.Equal(2, generator.LatencyConnections);
        Assert.Equal(4096, generator.MaxInFlight);
        Assert.Equal(TimeSpan.FromMicroseconds(50), generator.SenderSpin);
        Assert.Equal(1, generator.MaxSendBatch);
        Assert.Equal(TimeSpan.Zero, generator.SendWindow);
        Assert.Equal(SenderPriority.High, generator.SenderPriority);
        Assert.Equal(InterArrivalDistribution.Exponential, generator.Distribution);
        Assert.Equal([50, 90, 99, 99.9], generator.Percentiles);
    }

    [Theory]
    [InlineData(0.05, 1.321)]
    [InlineData(0.01, 1.959)]
    [InlineData(0.001, 2.97)]
    public void The_exponential_test_uses_the_documented_critical_values(double significance, double critical)
        => Assert.Equal(critical, AndersonDarling.TestExponential(Gaps(50, seed: 3), significance).CriticalValue);

    [Theory]
    [InlineData(8)]
    [InlineData(50)]
    [InlineData(1000)]
    public void The_exponential_statistic_is_A2_with_the_estimated_mean_times_one_plus_0_6_over_n(int n)
    {
        var gaps = Gaps(n, seed: n);
        var sorted = gaps.OrderBy(g => g).ToArray();
        var mean = sorted.Average();
        double sum = 0;
        for (var i = 1; i <= n; i++)
        {
            var low = 1 - Math.Exp(-sorted[i - 1] / mean);
            var high = 1 - Math.Exp(-sorted[n - i] / mean);
            sum += ((2 * i) - 1) * (Math.Log(low) + Math.Log(1 - high));
        }

        var expected = (-n - (sum / n)) * (1 + (0.6 / n));
        Assert.Equal(expected, AndersonDarling.TestExponential(gaps).Statistic, 9);
    }

    [Fact]
    public void The_spearman_p_value_comes_from_the_fisher_transformation_with_1_06()
    {
        // n = 109: sqrt((n - 3) / 1.06) = 10, so rho = tanh(1.959964 / 10) sits exactly at the two-sided 5% point.
        var rho = Math.Tanh(1.959963984540054 / 10);
        Assert.Equal(0.05, SpearmanCorrelation.PValue(rho, 109), 6); // the library's erfc is good to about 1e-8
        Assert.Equal(0.05, SpearmanCorrelation.PValue(-rho, 109), 6);
        Assert.True(SpearmanCorrelation.PValue(rho, 2009) < 1e-12, "more pairs, the same rho: far more significant");
    }

    [Theory]
    [InlineData(10_000, 99.0)]
    [InlineData(100_000, 99.9)]
    [InlineData(2_000, 50.0)]
    public void Where_np_1_minus_p_is_at_least_25_the_interval_ranks_are_the_documented_normal_ones(long n, double percentile)
    {
        var p = percentile / 100;
        var spread = 1.96 * Math.Sqrt(n * p * (1 - p));
        Assert.True(n * p * (1 - p) >= 25);
        var ranks = PercentileInterval.Ranks(n, percentile);

        // "the samples at ranks floor(np - 1.96 sqrt(np(1-p))) and ceil(np + 1.96 sqrt(np(1-p))) + 1"
        Assert.Equal((long)Math.Floor((n * p) - spread), ranks.Lower);
        Assert.Equal((long)Math.Ceiling((n * p) + spread) + 1, ranks.Upper);
    }

    private static double[] Gaps(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => -Math.Log(1 - random.NextDouble()) * 100).ToArray();
    }
}
