using System;
using System.Linq;
using TailGuard.Load.Statistics;

namespace TailGuard.Load.Tests.Statistics;

public sealed class SpearmanCorrelationTests
{
    [Fact]
    public void Independent_samples_pass_and_their_p_values_are_calibrated()
    {
        var random = new Random(41);
        var below5Percent = 0;
        for (var trial = 0; trial < 400; trial++)
        {
            var samples = Enumerable.Range(0, 1000).Select(_ => LogNormal(random)).ToArray();
            var test = SpearmanCorrelation.LagOne(samples);
            Assert.True(test.PValue > 1e-10, $"independent samples gave p = {test.PValue}");
            below5Percent += test.PValue < 0.05 ? 1 : 0;
        }

        // Under independence p is uniform: about 20 of 400 below 0.05.
        Assert.InRange(below5Percent, 20 - 3 * Math.Sqrt(20), 20 + 3.5 * Math.Sqrt(20));
    }

    [Fact]
    public void Correlated_samples_are_rejected()
    {
        // Latencies behind a queue: each sample remembers part of the last (AR(1), coefficient 0.3).
        var random = new Random(7);
        var samples = new double[5000];
        double state = 0;
        for (var i = 0; i < samples.Length; i++)
        {
            state = 0.3 * state + Normal(random);
            samples[i] = Math.Exp(state);
        }

        var test = SpearmanCorrelation.LagOne(samples);
        Assert.True(test.PValue < 1e-10, $"p = {test.PValue}");
        Assert.InRange(test.Rho, 0.2, 0.4);
    }

    [Fact]
    public void Ranks_share_ties_and_infinities_rank_last()
    {
        var ranks = SpearmanCorrelation.Ranks([3, 1, double.PositiveInfinity, 1, double.PositiveInfinity]);
        Assert.Equal(new[] { 3.0, 1.5, 4.5, 1.5, 4.5 }, ranks);
    }

    [Fact]
    public void Monotone_series_correlate_perfectly()
    {
        var x = Enumerable.Range(0, 100).Select(i => (double)i).ToArray();
        Assert.Equal(1, SpearmanCorrelation.Test(x, x.Select(v => v * v * v).ToArray()).Rho, 12);
        Assert.Equal(-1, SpearmanCorrelation.Test(x, x.Select(v => -v).ToArray()).Rho, 12);
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(1.0, 0.157299207050285)]
    [InlineData(2.0, 0.004677734981047)]
    [InlineData(5.0, 1.53745979442803e-12)]
    public void Erfc_matches_reference_values(double x, double expected)
        => Assert.Equal(expected, NormalDistribution.Erfc(x), expected * 2e-7);

    private static double Normal(Random random)
        => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static double LogNormal(Random random) => Math.Exp(Normal(random));
}
