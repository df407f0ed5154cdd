using System;
using System.Diagnostics;
using System.Linq;
using TailGuard.Load.Generator;
using TailGuard.Load.Statistics;

namespace TailGuard.Load.Tests.Generator;

/// <summary>
/// The inter-arrival check on synthetic send logs (docs/load.md, "Self-checks"): arrivals are taken at the resolution
/// the lateness limit vouches for, so a sender whose only flaw is the cost of one send passes, and a sender that stalls
/// or wakes on a coarse clock fails.
/// </summary>
public sealed class InterArrivalCheckTests
{
    private static readonly SelfCheckOptions s_checks = new();

    [Theory]
    [InlineData(5_000, 1)]
    [InlineData(20_000, 2)]
    [InlineData(50_000, 3)]
    [InlineData(100_000, 4)]
    public void Poisson_sends_that_leave_on_time_pass(int rate, int seed)
    {
        var log = Send(Schedule(rate, 20_000, seed, Exponential), costMicroseconds: 0);
        var check = InterArrivalCheck.Evaluate([log], InterArrivalDistribution.Exponential, s_checks);
        Assert.True(check.Status == CheckStatus.Passed, check.Detail);
    }

    [Theory]
    [InlineData(20_000, 5)]
    [InlineData(50_000, 6)]
    [InlineData(100_000, 7)]
    public void A_sender_whose_only_flaw_is_the_cost_of_a_send_passes(int rate, int seed)
    {
        // About 4.5 us per send, as measured on this machine: no two sends closer than that, all within microseconds of
        // their schedule. The raw send gaps are not exponential at this scale (shown below), which is not what the check is for.
        var log = Send(Schedule(rate, 20_000, seed, Exponential), costMicroseconds: 4.5);
        var check = InterArrivalCheck.Evaluate([log], InterArrivalDistribution.Exponential, s_checks);
        Assert.True(check.Status == CheckStatus.Passed, check.Detail);
        Assert.Contains("at least 4.5 us apart", check.Detail, StringComparison.Ordinal);

        var raw = AndersonDarling.TestExponential(Gaps(log.Actual).Where((_, i) => i % 19 == 0).Take(1_000).ToArray(), s_checks.InterArrivalSignificance);
        Assert.False(raw.Fits, $"the raw send gaps fit (A2 {raw.Statistic}): the floor no longer shows, so this test no longer tells the checks apart");
    }

    [Fact]
    public void Fixed_gaps_are_not_exponential()
    {
        var log = Send(Schedule(20_000, 20_000, 8, (_, mean) => mean), costMicroseconds: 4.5);
        var check = InterArrivalCheck.Evaluate([log], InterArrivalDistribution.Exponential, s_checks);
        Assert.True(check.Status == CheckStatus.Failed, check.Detail);
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(5_000)]
    [InlineData(20_000)]
    public void A_sender_woken_by_a_1_ms_clock_fails(int rate)
    {
        // Every send waits for the next millisecond tick: sends bunch at the ticks, most of them later than the limit.
        var schedule = Schedule(rate, 10_000, 9, Exponential);
        var tick = Stopwatch.Frequency / 1_000;
        var actual = schedule.Select(t => (t + tick - 1) / tick * tick).ToArray();
        var check = InterArrivalCheck.Evaluate([new SendLog(schedule, Spread(actual, 4.5), rate)], InterArrivalDistribution.Exponential, s_checks);
        Assert.True(check.Status == CheckStatus.Failed, check.Detail);
    }

    [Fact]
    public void A_sender_stalled_30_ms_in_every_100_ms_fails()
    {
        // The schedule stays Poisson; what was due during a stall leaves in a burst when the sender runs again.
        var schedule = Schedule(5_000, 10_000, 10, Exponential);
        var period = Stopwatch.Frequency / 10;
        var stall = Stopwatch.Frequency * 3 / 100;
        var actual = schedule.Select(t => t % period < stall ? t - t % period + stall : t).ToArray();
        var check = InterArrivalCheck.Evaluate([new SendLog(schedule, Spread(actual, 4.5), 5_000)], InterArrivalDistribution.Exponential, s_checks);
        Assert.True(check.Status == CheckStatus.Failed, check.Detail);
        Assert.Contains("taken at their actual time", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_threads_merge_into_one_Poisson_stream()
    {
        var a = Send(Schedule(25_000, 10_000, 11, Exponential), costMicroseconds: 4.5);
        var b = Send(Schedule(25_000, 10_000, 12, Exponential), costMicroseconds: 4.5);
        var check = InterArrivalCheck.Evaluate([a, b], InterArrivalDistribution.Exponential, s_checks);
        Assert.True(check.Status == CheckStatus.Passed, check.Detail);
    }

    [Fact]
    public void Uniform_and_fixed_schedules_pass_their_own_distribution_with_a_send_cost()
    {
        var uniform = Send(Schedule(50_000, 10_000, 13, (r, mean) => 2 * r.NextDouble() * mean), costMicroseconds: 4.5);
        Assert.Equal(CheckStatus.Passed, InterArrivalCheck.Evaluate([uniform], InterArrivalDistribution.Uniform, s_checks).Status);
        var fixedGaps = Send(Schedule(50_000, 10_000, 14, (_, mean) => mean), costMicroseconds: 4.5);
        Assert.Equal(CheckStatus.Passed, InterArrivalCheck.Evaluate([fixedGaps], InterArrivalDistribution.Fixed, s_checks).Status);
    }

    [Fact]
    public void Late_sends_are_counted_and_arrivals_stay_in_time_order()
    {
        var limit = Stopwatch.Frequency / 10_000; // 100 us
        var log = new SendLog([0, 10, 20, 30], [0, 10 + 2 * limit, 21, 31], 1_000);
        var arrivals = InterArrivalCheck.Arrivals(log, limit, out var late);
        Assert.Equal(1, late);
        Assert.Equal([0L, 20, 30, 10 + 2 * limit], arrivals);
    }

    private static double Exponential(Random random, double mean) => -Math.Log(1 - random.NextDouble()) * mean;

    /// <summary>Scheduled times (Stopwatch ticks) of <paramref name="count"/> sends at <paramref name="rate"/>, as the sender draws them.</summary>
    private static long[] Schedule(double rate, int count, int seed, Func<Random, double, double> gap)
    {
        var random = new Random(seed);
        var mean = Stopwatch.Frequency / rate;
        var times = new long[count];
        var next = 1e9;
        for (var i = 0; i < count; i++)
        {
            next += gap(random, mean);
            times[i] = (long)next;
        }

        return times;
    }

    /// <summary>A sender that sends each request at its scheduled time, but never within <paramref name="costMicroseconds"/> of its previous send.</summary>
    private static SendLog Send(long[] schedule, double costMicroseconds)
        => new(schedule, Spread(schedule, costMicroseconds), 0) { Rate = Stopwatch.Frequency / ((double)(schedule[^1] - schedule[0]) / (schedule.Length - 1)) };

    private static long[] Spread(long[] wanted, double costMicroseconds)
    {
        var cost = (long)(costMicroseconds * Stopwatch.Frequency / 1e6);
        var actual = new long[wanted.Length];
        var previous = long.MinValue / 2;
        for (var i = 0; i < wanted.Length; i++)
        {
            actual[i] = Math.Max(wanted[i], previous + cost);
            previous = actual[i];
        }

        return actual;
    }

    private static double[] Gaps(long[] times)
        => times.Skip(1).Select((t, i) => (double)(t - times[i])).ToArray();
}
