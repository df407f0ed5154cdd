using System;
using System.Linq;
using TailGuard.Load.Statistics;

namespace TailGuard.Load.Tests.Statistics;

public sealed class PercentileIntervalTests
{
    public static TheoryData<long, double> Grid()
    {
        var data = new TheoryData<long, double>();
        foreach (var n in new long[] { 20, 50, 100, 300, 1000, 3000, 10_000, 30_000 })
        {
            foreach (var percentile in new[] { 50, 90, 99, 99.9 })
            {
                data.Add(n, percentile);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Every_interval_covers_the_percentile_at_least_95_percent_of_the_time_by_brute_force(long n, double percentile)
    {
        var p = percentile / 100;
        var ranks = PercentileInterval.Ranks(n, percentile);

        // Brute force: sum the Binomial(n, p) probabilities of "between lower and upper − 1 samples fall below the
        // true percentile", each term from the pmf recurrence, independently of the code under test.
        var pmf = BinomialPmf(n, p);
        double coverage = 0;
        for (var below = Math.Max(ranks.Lower, 0); below <= Math.Min(ranks.Upper - 1, n); below++)
        {
            coverage += pmf[below];
        }

        Assert.True(coverage >= 0.945, $"n={n} p={percentile}: ranks [{ranks.Lower}, {ranks.Upper}] cover {coverage:0.0000}");
        Assert.Equal(coverage, PercentileInterval.Coverage(n, p, ranks.Lower, ranks.Upper), 6);
        Assert.InRange(ranks.Estimate, Math.Max(ranks.Lower, 1), Math.Min(ranks.Upper, n));
    }

    [Theory]
    [InlineData(10_000, 99, 9_880, 9_921)]
    [InlineData(10_000, 50, 4_902, 5_099)]
    [InlineData(100_000, 99.9, 99_880, 99_921)]
    public void Large_samples_use_the_documented_formula(long n, double percentile, long lower, long upper)
    {
        // floor(np − 1.96 sqrt(np(1−p))) and ceil(np + 1.96 sqrt(np(1−p))) + 1.
        var ranks = PercentileInterval.Ranks(n, percentile);
        Assert.Equal(lower, ranks.Lower);
        Assert.Equal(upper, ranks.Upper);
    }

    [Fact]
    public void Too_few_samples_leave_the_upper_bound_open()
    {
        // 100 samples cannot bound p99.9 from above: the interval says so instead of quoting the maximum.
        Assert.Equal(101, PercentileInterval.Ranks(100, 99.9).Upper);
        var distribution = new LatencyDistribution();
        for (var i = 1; i <= 100; i++)
        {
            distribution.Record(i * 1000);
        }

        var estimate = distribution.Estimate(99.9);
        Assert.True(double.IsNaN(estimate.UpperMicroseconds));
        Assert.False(estimate.IsBounded);
    }

    [Fact]
    public void Intervals_from_samples_of_a_known_distribution_contain_its_true_percentile_about_95_percent_of_the_time()
    {
        // Exponential latencies with a 100 us mean: the true p99 is 100·ln(100) us.
        var truth = 100 * Math.Log(100);
        var random = new Random(11);
        var covered = 0;
        const int trials = 400;
        for (var trial = 0; trial < trials; trial++)
        {
            var distribution = new LatencyDistribution();
            for (var i = 0; i < 3000; i++)
            {
                distribution.Record((long)(-Math.Log(1 - random.NextDouble()) * 100_000));
            }

            var estimate = distribution.Estimate(99);
            covered += estimate.LowerMicroseconds <= truth && truth <= estimate.UpperMicroseconds ? 1 : 0;
        }

        // Binomial(400, 0.95): 380 ± 4.4.
        Assert.InRange(covered, 366, 400);
    }

    [Fact]
    public void Failed_requests_rank_above_every_latency()
    {
        var distribution = new LatencyDistribution();
        for (var i = 1; i <= 980; i++)
        {
            distribution.Record(i * 1000);
        }

        distribution.RecordFailures(20); // 2%: p99 lands among them
        Assert.Equal(1000, distribution.Count);
        Assert.True(double.IsPositiveInfinity(distribution.Estimate(99).Microseconds));
        Assert.Equal(500, distribution.Estimate(50).Microseconds, 0);
    }

    [Fact]
    public void Distributions_merge_by_adding_counts_and_survive_their_bucket_form()
    {
        var a = new LatencyDistribution();
        var b = new LatencyDistribution();
        var random = new Random(2);
        for (var i = 0; i < 5000; i++)
        {
            a.Record(random.Next(1_000, 100_000));
            b.Record(random.Next(50_000, 500_000));
        }

        b.RecordFailures(7);
        var merged = new LatencyDistribution();
        merged.Add(a);
        merged.Add(LatencyDistribution.FromBuckets(b.Buckets(), b.Failed));
        Assert.Equal(10_007, merged.Count);
        Assert.Equal(7, merged.Failed);
        var direct = new LatencyDistribution();
        direct.Add(a);
        direct.Add(b);
        foreach (var percentile in new[] { 10, 50, 90, 99 })
        {
            Assert.Equal(direct.Estimate(percentile), merged.Estimate(percentile));
        }
    }

    private static double[] BinomialPmf(long n, double p)
    {
        // P(0) = (1−p)^n, P(k+1) = P(k)·(n−k)/(k+1)·p/(1−p), in log space where (1−p)^n underflows.
        var pmf = new double[n + 1];
        var log = n * Math.Log(1 - p);
        for (long k = 0; k <= n; k++)
        {
            pmf[k] = Math.Exp(log);
            log += Math.Log(n - k) - Math.Log(k + 1) + Math.Log(p) - Math.Log(1 - p);
        }

        return pmf;
    }
}
