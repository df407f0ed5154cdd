using System;
using System.Linq;
using TailGuard.Load.Statistics;

namespace TailGuard.Load.Tests.Statistics;

public sealed class AndersonDarlingTests
{
    private const int Trials = 400;

    [Theory]
    [InlineData(0.05, 200)]
    [InlineData(0.01, 2000)]
    public void Exponential_samples_are_rejected_about_as_often_as_the_significance_says(double alpha, int n)
    {
        var random = new Random(17);
        var rejected = 0;
        for (var trial = 0; trial < Trials; trial++)
        {
            var mean = 1 + 99 * random.NextDouble(); // the mean is estimated: any scale fits
            var gaps = Enumerable.Range(0, n).Select(_ => Exponential(random, mean)).ToArray();
            rejected += AndersonDarling.TestExponential(gaps, alpha).Fits ? 0 : 1;
        }

        // Binomial(400, α): 0.05 → 20 ± 4.4, 0.01 → 4 ± 2; the bounds are beyond 3 standard deviations.
        var expected = alpha * Trials;
        Assert.InRange(rejected, 0, expected + 3.5 * Math.Sqrt(expected) + 1);
        Assert.InRange(rejected, alpha >= 0.05 ? expected - 3 * Math.Sqrt(expected) : 0, Trials);
    }

    [Fact]
    public void Shifted_exponential_gaps_are_rejected()
    {
        // A sender that cannot go faster than a floor (a fixed send cost) adds a constant to every gap.
        var random = new Random(5);
        var rejected = 0;
        for (var trial = 0; trial < 100; trial++)
        {
            var gaps = Enumerable.Range(0, 2000).Select(_ => 0.3 + Exponential(random, 1)).ToArray();
            rejected += AndersonDarling.TestExponential(gaps, 0.01).Fits ? 0 : 1;
        }

        Assert.True(rejected >= 95, $"only {rejected} of 100 shifted samples rejected");
    }

    [Fact]
    public void Bursty_gaps_are_rejected()
    {
        // A starved sender: every tenth stretch of arrivals leaves in a burst (gaps near zero), the rest as Poisson.
        var random = new Random(9);
        var gaps = Enumerable.Range(0, 2000).Select(i => i % 100 < 10 ? 0.001 * random.NextDouble() : Exponential(random, 1)).ToArray();
        var fit = AndersonDarling.TestExponential(gaps, 0.01);
        Assert.False(fit.Fits, $"A2 {fit.Statistic} <= {fit.CriticalValue}");
    }

    [Fact]
    public void Uniform_and_fixed_gaps_are_not_exponential()
    {
        var random = new Random(3);
        Assert.False(AndersonDarling.TestExponential(Enumerable.Range(0, 1000).Select(_ => 2 * random.NextDouble()).ToArray(), 0.01).Fits);
        Assert.False(AndersonDarling.TestExponential(Enumerable.Repeat(1.0, 1000).Select(g => g + 1e-3 * random.NextDouble()).ToArray(), 0.01).Fits);
        Assert.False(AndersonDarling.TestExponential(new double[100], 0.01).Fits); // every gap zero: one burst
    }

    [Fact]
    public void Uniform_samples_are_rejected_about_as_often_as_the_significance_says_and_shifted_ones_always()
    {
        var random = new Random(23);
        var rejected = 0;
        for (var trial = 0; trial < Trials; trial++)
        {
            var samples = Enumerable.Range(0, 500).Select(_ => random.NextDouble()).ToArray();
            rejected += AndersonDarling.TestUniform(samples, 0, 1, 0.05).Fits ? 0 : 1;
        }

        Assert.InRange(rejected, 20 - 3 * Math.Sqrt(20), 20 + 3.5 * Math.Sqrt(20));

        var shifted = Enumerable.Range(0, 500).Select(_ => 0.1 + random.NextDouble()).ToArray();
        Assert.True(AndersonDarling.TestUniform(shifted, 0.1, 1.1, 0.01).Fits);
        Assert.False(AndersonDarling.TestUniform(shifted, 0, 1, 0.01).Fits);
    }

    [Theory]
    [InlineData(2.492, 0.95)]
    [InlineData(3.857, 0.99)]
    [InlineData(1.933, 0.90)]
    public void The_limiting_distribution_matches_the_published_critical_values(double statistic, double cumulative)
        => Assert.Equal(cumulative, AndersonDarling.FullySpecifiedCdf(statistic), 2);

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentException>(() => AndersonDarling.TestExponential(new double[3], 0.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => AndersonDarling.TestExponential(new double[100], 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => AndersonDarling.TestUniform(new double[100], 1, 1, 0.05));
    }

    private static double Exponential(Random random, double mean) => -Math.Log(1 - random.NextDouble()) * mean;
}
