using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using TailGuard.Load.Statistics;

namespace TailGuard.Load.Generator;

/// <summary>
/// Turns what a point recorded into its result: thins the latency samples until consecutive ones are independent,
/// estimates the percentiles with their intervals, and runs every self-check.
/// </summary>
internal static class PointEvaluator
{
    public static LoadPointResult Evaluate(
        string target,
        PointRecorder recorder,
        LoadGeneratorOptions options,
        TimestampSource timestamps,
        PrecisionVerdict precision)
    {
        var window = TimeSpan.FromSeconds((double)(recorder.StopAt - recorder.WindowStart) / Stopwatch.Frequency);
        long sent = 0, skipped = 0, measured = 0;
        var lateness = new LatencyDistribution();
        foreach (var thread in recorder.Threads)
        {
            sent += thread.Sent;
            skipped += thread.Skipped;
            measured += thread.Measured;
            lateness.Add(thread.Lateness);
        }

        var sequences = recorder.Threads.Select(t => Completed(t.Samples, t.Samples.Count)).ToList();
        var thinning = Thin(sequences, options.Checks);
        var checks = new List<CheckResult>();
        var open = recorder.Mode == LoadMode.OpenLoop;
        if (open)
        {
            checks.Add(RateCheck(sent, window, recorder.TargetRate, options.Checks));
            checks.Add(InterArrivalCheck.Evaluate(SendLogs(recorder), options.Distribution, options.Checks));
        }
        else
        {
            checks.Add(new CheckResult(CheckNames.Rate, CheckStatus.NotApplicable, "closed loop: no target rate"));
            checks.Add(new CheckResult(CheckNames.InterArrival, CheckStatus.NotApplicable, "closed loop: sends follow replies"));
        }

        checks.Add(thinning.Check);
        checks.Add(SamplesCheck(thinning.Distribution.Count, options.Checks));
        var health = Health(recorder);
        checks.Add(open ? LatenessCheck(lateness, options.Checks, health) : new CheckResult(CheckNames.Lateness, CheckStatus.NotApplicable, "closed loop: nothing is scheduled"));
        checks.Add(open
            ? skipped == 0
                ? new CheckResult(CheckNames.InFlight, CheckStatus.Passed, Invariant($"limit {options.MaxInFlight} never reached"))
                : new CheckResult(CheckNames.InFlight, CheckStatus.Failed, Invariant($"{skipped} sends skipped at the in-flight limit ({options.MaxInFlight}): raise --max-in-flight or lower the rate"))
            : new CheckResult(CheckNames.InFlight, CheckStatus.NotApplicable, "closed loop"));
        checks.Add(precision.Check);
        checks.Add(FaultsCheck(recorder.Faults));

        return new LoadPointResult
        {
            Target = target,
            Mode = recorder.Mode,
            TargetRate = recorder.TargetRate,
            Duration = window,
            Sent = sent,
            Ok = recorder.Ok,
            Timeouts = recorder.Timeouts,
            Drops = recorder.Drops,
            WrongResponses = recorder.WrongResponses,
            Failures = recorder.Failures,
            Faults = recorder.Faults,
            Skipped = skipped,
            Measured = measured,
            SamplingInterval = thinning.Interval,
            Latency = thinning.Distribution,
            SendLateness = lateness,
            Sender = health,
            Percentiles = options.Percentiles.Select(thinning.Distribution.Estimate).ToArray(),
            ReceiveTimestamps = timestamps,
            SamplesEndedAtReceive = recorder.SamplesEndedAtReceive,
            SamplesEndedByClock = recorder.SamplesEndedByClock,
            Checks = checks,
        };
    }

    /// <summary>The interval of one percentile over the samples completed so far (for the precision target).</summary>
    public static PercentileEstimate EstimateSoFar(PointRecorder recorder, double percentile, SelfCheckOptions checks)
    {
        var sequences = recorder.Threads.Select(t => Completed(t.Samples, CompletedPrefix(t.Samples))).ToList();
        return Thin(sequences, checks).Distribution.Estimate(percentile);
    }

    /// <summary>
    /// Lancet's independence check: Spearman's ρ between consecutive samples; while its p-value is at or below the
    /// threshold, keep every second sample (then every fourth...) and test again, as long as enough samples remain.
    /// </summary>
    internal static (int Interval, LatencyDistribution Distribution, CheckResult Check) Thin(IReadOnlyList<double[]> sequences, SelfCheckOptions checks)
    {
        var interval = 1;
        SpearmanResult test = default;
        while (true)
        {
            var thinned = sequences.Select(s => Every(s, interval)).ToList();
            var count = thinned.Sum(t => t.Length);
            if (count < checks.MinimumSamples && interval > 1)
            {
                // Thinning ran out of samples before the samples became independent: report the last attempt.
                var last = sequences.Select(s => Every(s, interval / 2)).ToList();
                return (interval / 2, Distribution(last), new CheckResult(
                    CheckNames.Independence,
                    CheckStatus.Failed,
                    Invariant($"consecutive samples still correlated at 1 in {interval / 2} (Spearman rho {test.Rho:0.000}, p {test.PValue:0.##e+0} <= {checks.IndependencePValue:0.##e+0}); measure longer so thinning keeps enough samples")));
            }

            test = LagOne(thinned);
            if (test.Pairs < 3 || test.PValue > checks.IndependencePValue)
            {
                var detail = test.Pairs < 3
                    ? "too few samples to test"
                    : Invariant($"Spearman rho {test.Rho:0.000} between consecutive samples, p {test.PValue:0.##e+0} > {checks.IndependencePValue:0.##e+0}{(interval > 1 ? $" after keeping 1 in {interval}" : string.Empty)}");
                return (interval, Distribution(thinned), new CheckResult(
                    CheckNames.Independence,
                    test.Pairs < 3 ? CheckStatus.NotApplicable : CheckStatus.Passed,
                    detail));
            }

            interval *= 2;
        }
    }

    private static SpearmanResult LagOne(List<double[]> sequences)
    {
        var pairs = sequences.Sum(s => Math.Max(0, s.Length - 1));
        var x = new double[pairs];
        var y = new double[pairs];
        var at = 0;
        foreach (var sequence in sequences)
        {
            for (var i = 0; i + 1 < sequence.Length; i++)
            {
                x[at] = sequence[i];
                y[at] = sequence[i + 1];
                at++;
            }
        }

        return SpearmanCorrelation.Test(x, y);
    }

    private static LatencyDistribution Distribution(List<double[]> sequences)
    {
        var distribution = new LatencyDistribution();
        foreach (var sequence in sequences)
        {
            foreach (var value in sequence)
            {
                if (double.IsFinite(value))
                {
                    distribution.Record((long)value);
                }
                else
                {
                    distribution.RecordFailures();
                }
            }
        }

        return distribution;
    }

    private static double[] Every(double[] sequence, int interval)
    {
        if (interval == 1)
        {
            return sequence;
        }

        var result = new double[(sequence.Length + interval - 1) / interval];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = sequence[i * interval];
        }

        return result;
    }

    /// <summary>The samples [0, count), a sample never completed (NaN) counting as a failure.</summary>
    private static double[] Completed(ChunkedLog<double> log, int count)
    {
        var values = log.ToArray(count);
        for (var i = 0; i < values.Length; i++)
        {
            if (double.IsNaN(values[i]))
            {
                values[i] = double.PositiveInfinity;
            }
        }

        return values;
    }

    /// <summary>How many samples from the start have all completed.</summary>
    private static int CompletedPrefix(ChunkedLog<double> log)
    {
        var count = log.Count;
        var prefix = 0;
        while (prefix < count && !double.IsNaN(System.Threading.Volatile.Read(ref log.Slot(prefix))))
        {
            prefix++;
        }

        return prefix;
    }

    internal static CheckResult RateCheck(long sent, TimeSpan window, double target, SelfCheckOptions checks)
    {
        var achieved = window > TimeSpan.Zero ? sent / window.TotalSeconds : 0;
        var error = target > 0 ? Math.Abs(achieved - target) / target : 1;
        return new CheckResult(
            CheckNames.Rate,
            error <= checks.RateTolerance ? CheckStatus.Passed : CheckStatus.Failed,
            Invariant($"achieved {achieved:0} of {target:0} requests/s ({(achieved - target) / target * 100:+0.0;-0.0}%, tolerance {checks.RateTolerance * 100:0.#}%)"));
    }

    /// <summary>The sending threads' scheduler counters, collections and allocation, summed over the threads.</summary>
    internal static SenderHealth Health(PointRecorder recorder)
    {
        var scheduling = recorder.Threads[0].Scheduling;
        for (var i = 1; i < recorder.Threads.Length; i++)
        {
            scheduling = scheduling.Plus(recorder.Threads[i].Scheduling);
        }

        long elapsed = 0, allocated = 0, batchedSends = 0, batches = 0;
        var raised = true;
        foreach (var thread in recorder.Threads)
        {
            elapsed += thread.ElapsedTicks;
            allocated += thread.AllocatedInWindow;
            batchedSends += thread.BatchedSends;
            batches += thread.Batches;
            raised &= thread.RaisedPriority;
        }

        return new SenderHealth
        {
            Elapsed = TimeSpan.FromSeconds((double)elapsed / Stopwatch.Frequency),
            OnCore = scheduling.Available ? TimeSpan.FromTicks(scheduling.OnCoreNanoseconds / 100) : null,
            RunQueueWait = scheduling.Available ? TimeSpan.FromTicks(scheduling.RunQueueNanoseconds / 100) : null,
            InvoluntarySwitches = scheduling.Available ? scheduling.InvoluntarySwitches : null,
            VoluntarySwitches = scheduling.Available ? scheduling.VoluntarySwitches : null,
            GarbageCollections = recorder.GarbageCollections,
            GarbageCollectionPause = recorder.GarbageCollectionPause,
            AllocatedBytes = allocated,
            BatchedSends = batchedSends,
            Batches = batches,
            Priority = raised ? Invariant($"nice {ThreadRecord.HighPriorityNice}") : "normal priority",
        };
    }

    /// <summary>
    /// The generator's own send lateness against its limit; a failure says where the sending threads' time went
    /// (<paramref name="health"/>), so the cause is read from the report rather than guessed.
    /// </summary>
    internal static CheckResult LatenessCheck(LatencyDistribution lateness, SelfCheckOptions checks, SenderHealth? health = null)
    {
        if (lateness.Count == 0)
        {
            return new CheckResult(CheckNames.Lateness, CheckStatus.NotApplicable, "no sends measured");
        }

        var p50 = lateness.Estimate(50).Microseconds;
        var p99 = lateness.Estimate(99).Microseconds;
        var max = lateness.MicrosecondsAtRank(lateness.Count);
        var limit = checks.MaxSendLateness.TotalMicroseconds;
        var passed = p99 <= limit;
        var detail = Invariant($"send lateness p50 {p50:0.0} us, p99 {p99:0.0} us, max {max:0.0} us (limit p99 <= {limit:0.#} us)");
        return new CheckResult(
            CheckNames.Lateness,
            passed ? CheckStatus.Passed : CheckStatus.Failed,
            passed || health is null ? detail : detail + "; senders " + health);
    }

    private static List<SendLog> SendLogs(PointRecorder recorder)
        => recorder.Threads.Select(t => new SendLog(t.ScheduledTimes.ToArray(t.ScheduledTimes.Count), t.SendTimes.ToArray(t.SendTimes.Count), t.Rate)).ToList();

    internal static CheckResult FaultsCheck(long faults)
        => faults == 0
            ? new CheckResult(CheckNames.Faults, CheckStatus.Passed, "no connection reported a fault")
            : new CheckResult(CheckNames.Faults, CheckStatus.Failed, Invariant($"{faults} faults in the connections' own machinery (receive loop errors, completion callbacks that threw): replies may have been lost; see the target's failure log"));

    private static CheckResult SamplesCheck(long samples, SelfCheckOptions checks)
        => samples >= checks.MinimumSamples
            ? new CheckResult(CheckNames.Samples, CheckStatus.Passed, Invariant($"{samples} latency samples"))
            : new CheckResult(CheckNames.Samples, CheckStatus.Failed, Invariant($"only {samples} latency samples (at least {checks.MinimumSamples} needed): measure longer or at a higher rate"));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>How the precision target ended for a point.</summary>
internal readonly record struct PrecisionVerdict(CheckResult Check)
{
    public static PrecisionVerdict NotRequested { get; } = new(new CheckResult(CheckNames.Precision, CheckStatus.NotApplicable, "no width requested: measured the fixed duration"));
}
