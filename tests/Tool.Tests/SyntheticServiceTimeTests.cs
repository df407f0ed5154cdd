using System;
using System.Diagnostics;
using System.Linq;
using TailGuard.Tool.Commands.Serve;

namespace TailGuard.Tool.Tests;

/// <summary>
/// The logic behind <c>tailguard serve --service-mode wait</c> (docs/router.md, "Synthetic service times"): how early a
/// worker wakes so that its mean hold is the mean drawn time, and what the server reports it held. Whether a real
/// sleep holds within a bound is a measurement (benchmarks/scripts/jbsq.sh prints it), not a test: here the wake-up
/// latency is simulated.
/// </summary>
public sealed class SyntheticServiceTimeTests
{
    private static readonly long Microsecond = Stopwatch.Frequency / 1_000_000;

    [Fact]
    public void A_new_worker_wakes_at_the_deadline_and_never_before_the_request_started()
    {
        var compensation = new WakeCompensation();
        Assert.Equal(0, compensation.Lead);
        Assert.Equal(5_000, compensation.WakeAt(1_000, 5_000));

        for (var i = 0; i < 1000; i++)
        {
            compensation.Observe(drawn: 0, held: 500 * Microsecond); // always late: the lead grows to its bound
        }

        Assert.Equal(WakeCompensation.MaxLead, compensation.Lead);
        Assert.Equal(1_000, compensation.WakeAt(1_000, 1_000 + (10 * Microsecond))); // a short draw: no sleep at all
    }

    [Theory]
    [InlineData(20)]
    [InlineData(60)]
    [InlineData(300)]
    public void With_a_steady_wake_up_latency_the_mean_hold_converges_to_the_mean_drawn_time(int latencyMicroseconds)
    {
        // A worker whose sleeps end latency late, with exponential draws of mean 1 ms. Uncompensated, every hold is
        // that much long; compensated, the lead learns the latency and the holds' mean error goes to about 0.
        var latency = latencyMicroseconds * Microsecond;
        var random = new Random(11);
        var compensation = new WakeCompensation();
        double drawnSum = 0, heldSum = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var drawn = (long)(-1000 * Microsecond * Math.Log(1 - random.NextDouble()));
            const long start = 0;
            var held = Math.Max(compensation.WakeAt(start, start + drawn) - start, 0) + latency;
            compensation.Observe(drawn, held);
            if (i >= 2_000)
            {
                drawnSum += drawn;
                heldSum += held;
            }
        }

        var meanError = (heldSum - drawnSum) / 18_000 / Microsecond;
        Assert.InRange(meanError, -2, 2); // against +latency without compensation
        Assert.InRange(compensation.Lead / (double)Microsecond, latencyMicroseconds * 0.8, latencyMicroseconds * 1.3);
    }

    [Fact]
    public void One_long_stall_moves_the_lead_by_at_most_a_bounded_step_and_early_holds_bring_it_back_but_not_below_zero()
    {
        var compensation = new WakeCompensation();
        compensation.Observe(drawn: 1000 * Microsecond, held: 30_000 * Microsecond); // descheduled for 29 ms
        Assert.Equal(WakeCompensation.MaxLead / WakeCompensation.Gain, compensation.Lead);

        for (var i = 0; i < 200; i++)
        {
            compensation.Observe(drawn: 1000 * Microsecond, held: 900 * Microsecond); // woke 100 us early
        }

        Assert.Equal(0, compensation.Lead);
    }

    [Fact]
    public void The_meter_reports_the_drawn_and_held_means_and_each_holds_distance_from_its_draw()
    {
        var meter = new ServiceTimeMeter();
        var first = meter.Join();
        var second = meter.Join();
        foreach (var (drawn, held) in new[] { (1000, 1010), (1000, 990), (2000, 2000) })
        {
            first.Record(drawn * Microsecond, held * Microsecond);
        }

        second.Record(4000 * Microsecond, 4400 * Microsecond); // one hold 400 us long: 10% of its draw

        var summary = meter.Summarize();
        Assert.Equal(4, summary.Requests);
        Assert.Equal(2000, summary.DrawnMeanMicroseconds, 3);
        Assert.Equal(2100, summary.HeldMeanMicroseconds, 3);
        // Each hold's distance from its draw, either way (the histogram keeps 3 significant digits).
        Assert.Equal([0.0, 10, 10, 400], Enumerable.Range(1, 4).Select(rank => Math.Round(summary.Error.MicrosecondsAtRank(rank))).ToArray());

        // benchmarks/scripts/jbsq.sh and its report read this line.
        Assert.Matches(@"^service time: 4 requests, drawn mean 2000\.0 us, held mean 2100\.0 us \(\+5\.0%\), \|held - drawn\| p50 10\.0 us p99 400\.\d us max 400\.\d us$", summary.ToString());
        Assert.Equal("service time: no request", new ServiceTimeMeter().Summarize().ToString());
    }
}
