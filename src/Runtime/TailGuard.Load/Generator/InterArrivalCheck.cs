using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TailGuard.Load.Statistics;

namespace TailGuard.Load.Generator;

/// <summary>One sending thread's sends in a point's window, in send order: when each was scheduled and when it left (timestamps).</summary>
/// <param name="Scheduled">Scheduled times, non-decreasing.</param>
/// <param name="Actual">Actual send times, same length and order.</param>
/// <param name="Rate">The thread's scheduled rate (requests per second).</param>
internal readonly record struct SendLog(long[] Scheduled, long[] Actual, double Rate);

/// <summary>
/// The inter-arrival self-check (docs/load.md, "Self-checks"): do the arrivals the target saw follow the chosen
/// distribution, at the resolution the generator vouches for with its lateness limit?
/// </summary>
/// <remarks>
/// Each send is taken at its scheduled time when it left within <see cref="SelfCheckOptions.MaxSendLateness"/> of it,
/// and at its actual time otherwise. The raw send times are not tested: one send costs microseconds (about 4 us here),
/// so no two sends of a thread leave closer than that, and exponential gaps below it (18% of them at 50k/s) cannot
/// occur. A goodness-of-fit test on a thousand gaps rejects that floor (A² ≈ 5 at 20k/s and 12-29 at 50k/s for a 3-5 us
/// floor) although every send left within microseconds of its schedule, a displacement the lateness check already
/// bounds. What the floor does to the timing is reported beside the verdict, not judged. A sender that stalls or wakes
/// on a coarse clock leaves many sends later than the limit; they enter at their actual, bunched times and fail the test.
/// </remarks>
internal static class InterArrivalCheck
{
    /// <summary>Runs the check over the sending threads' logs (threads with too few sends are left out).</summary>
    public static CheckResult Evaluate(IReadOnlyList<SendLog> threads, InterArrivalDistribution distribution, SelfCheckOptions checks)
    {
        var tested = threads.Where(t => t.Actual.Length > 8).ToList();
        if (tested.Count == 0)
        {
            return new CheckResult(CheckNames.InterArrival, CheckStatus.NotApplicable, "too few sends to test");
        }

        var limit = (long)(checks.MaxSendLateness.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        var arrivals = new List<long[]>(tested.Count);
        var displaced = 0;
        foreach (var thread in tested)
        {
            arrivals.Add(Arrivals(thread, limit, out var late));
            displaced += late;
        }

        var floor = tested.Min(t => SmallestGap(t.Actual));
        var context = Invariant($"{displaced} of {tested.Sum(t => t.Actual.Length)} sends later than {checks.MaxSendLateness.TotalMicroseconds:0.#} us taken at their actual time; sends of one thread at least {ConnectionRunner.TicksToNanoseconds(floor) / 1000:0.0} us apart");
        switch (distribution)
        {
            case InterArrivalDistribution.Exponential:
            {
                // Independent Poisson streams merge into one Poisson stream: test the merged arrivals as the target sees them.
                var times = arrivals.SelectMany(a => a).ToArray();
                Array.Sort(times);
                var gaps = Subsample(Gaps(times), checks.InterArrivalSamples);
                if (gaps.Length < 8)
                {
                    return new CheckResult(CheckNames.InterArrival, CheckStatus.NotApplicable, "too few sends to test");
                }

                return FitCheck("exponential", AndersonDarling.TestExponential(gaps, checks.InterArrivalSignificance), context);
            }

            case InterArrivalDistribution.Uniform:
            {
                // Uniform streams do not merge into a uniform stream: test each thread, sharing α among them (Bonferroni).
                var alpha = Math.Max(0.001, checks.InterArrivalSignificance / tested.Count);
                GoodnessOfFit worst = default;
                for (var i = 0; i < tested.Count; i++)
                {
                    var gaps = Subsample(Gaps(arrivals[i]), checks.InterArrivalSamples);
                    var mean = 1e9 / tested[i].Rate;
                    var fit = AndersonDarling.TestUniform(gaps, 0, 2 * mean, alpha);
                    if (worst.Samples == 0 || fit.Statistic / fit.CriticalValue > worst.Statistic / worst.CriticalValue)
                    {
                        worst = fit;
                    }
                }

                return FitCheck("uniform", worst, context);
            }

            default:
            {
                // A metronome: at least 95% of gaps within 10% (or 2 us) of the nominal gap.
                long within = 0, total = 0;
                for (var i = 0; i < tested.Count; i++)
                {
                    var nominal = 1e9 / tested[i].Rate;
                    var tolerance = Math.Max(0.1 * nominal, 2_000);
                    foreach (var gap in Gaps(arrivals[i]))
                    {
                        total++;
                        within += Math.Abs(gap - nominal) <= tolerance ? 1 : 0;
                    }
                }

                var fraction = (double)within / total;
                return new CheckResult(
                    CheckNames.InterArrival,
                    fraction >= 0.95 ? CheckStatus.Passed : CheckStatus.Failed,
                    Invariant($"{fraction * 100:0.0}% of gaps within 10% of the fixed gap (at least 95% needed; {context})"));
            }
        }
    }

    /// <summary>Each send's arrival at the generator's resolution: its scheduled time when it left within <paramref name="limit"/> ticks of it, else its actual time.</summary>
    internal static long[] Arrivals(SendLog thread, long limit, out int late)
    {
        var arrivals = new long[thread.Actual.Length];
        late = 0;
        for (var i = 0; i < arrivals.Length; i++)
        {
            if (thread.Actual[i] - thread.Scheduled[i] <= limit)
            {
                arrivals[i] = thread.Scheduled[i];
            }
            else
            {
                arrivals[i] = thread.Actual[i];
                late++;
            }
        }

        // A late send moved to its actual time can pass the scheduled times of on-time sends after it: keep time order.
        Array.Sort(arrivals);
        return arrivals;
    }

    private static long SmallestGap(long[] times)
    {
        var smallest = long.MaxValue;
        for (var i = 1; i < times.Length; i++)
        {
            smallest = Math.Min(smallest, times[i] - times[i - 1]);
        }

        return smallest;
    }

    private static CheckResult FitCheck(string distribution, GoodnessOfFit fit, string context)
        => new(
            CheckNames.InterArrival,
            fit.Fits ? CheckStatus.Passed : CheckStatus.Failed,
            Invariant($"Anderson-Darling vs {distribution}: A2 {fit.Statistic:0.###} {(fit.Fits ? "<=" : ">")} {fit.CriticalValue:0.###} (alpha {fit.Significance:0.###}, {fit.Samples} gaps; {context})"));

    private static double[] Gaps(long[] times)
    {
        if (times.Length < 2)
        {
            return [];
        }

        var gaps = new double[times.Length - 1];
        for (var i = 1; i < times.Length; i++)
        {
            gaps[i - 1] = ConnectionRunner.TicksToNanoseconds(times[i] - times[i - 1]);
        }

        return gaps;
    }

    /// <summary>At most <paramref name="limit"/> gaps spread evenly over the point (gaps of a renewal process are i.i.d., so any subset is a fair sample).</summary>
    private static double[] Subsample(double[] gaps, int limit)
    {
        if (gaps.Length <= limit)
        {
            return gaps;
        }

        var result = new double[limit];
        var step = (double)gaps.Length / limit;
        for (var i = 0; i < limit; i++)
        {
            result[i] = gaps[(int)(i * step)];
        }

        return result;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
