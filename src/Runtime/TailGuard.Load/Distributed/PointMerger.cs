using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TailGuard.Load.Generator;

namespace TailGuard.Load.Distributed;

/// <summary>
/// Merges the points that agents measured together into one: counts add up, the latency and lateness histograms
/// merge (so the percentiles and their intervals are over every sample), the rate and lateness checks are run again
/// on the totals, and the per-agent checks (inter-arrival, independence) pass only if they passed on every agent.
/// </summary>
internal static class PointMerger
{
    public static LoadPointResult Merge(string target, double targetRate, IReadOnlyList<LoadPointResult> parts, LoadGeneratorOptions options)
    {
        var latency = new LatencyDistribution();
        var lateness = new LatencyDistribution();
        foreach (var part in parts)
        {
            latency.Add(part.Latency);
            lateness.Add(part.SendLateness);
        }

        var duration = parts.Max(p => p.Duration);
        var sent = parts.Sum(p => p.Sent);
        var skipped = parts.Sum(p => p.Skipped);
        var checks = new List<CheckResult>();
        foreach (var name in parts[0].Checks.Select(c => c.Name))
        {
            var each = parts.Select(p => p.Checks.FirstOrDefault(c => c.Name == name)).ToArray();
            checks.Add(name switch
            {
                CheckNames.Rate => PointEvaluator.RateCheck(sent, duration, targetRate, options.Checks),
                CheckNames.Lateness => PointEvaluator.LatenessCheck(lateness, options.Checks),
                CheckNames.Samples => latency.Count >= options.Checks.MinimumSamples
                    ? new CheckResult(name, CheckStatus.Passed, Invariant($"{latency.Count} latency samples from {parts.Count} agents"))
                    : new CheckResult(name, CheckStatus.Failed, Invariant($"only {latency.Count} latency samples from {parts.Count} agents (at least {options.Checks.MinimumSamples} needed)")),
                _ => Combined(name, each),
            });
        }

        return new LoadPointResult
        {
            Target = target,
            Mode = parts[0].Mode,
            TargetRate = targetRate,
            Duration = duration,
            Sent = sent,
            Ok = parts.Sum(p => p.Ok),
            Timeouts = parts.Sum(p => p.Timeouts),
            Drops = parts.Sum(p => p.Drops),
            WrongResponses = parts.Sum(p => p.WrongResponses),
            Failures = parts.Sum(p => p.Failures),
            Faults = parts.Sum(p => p.Faults),
            Skipped = skipped,
            Measured = parts.Sum(p => p.Measured),
            SamplingInterval = parts.Max(p => p.SamplingInterval),
            Latency = latency,
            SendLateness = lateness,
            Percentiles = options.Percentiles.Select(latency.Estimate).ToArray(),
            ReceiveTimestamps = parts.All(p => p.ReceiveTimestamps == parts[0].ReceiveTimestamps) ? parts[0].ReceiveTimestamps : TimestampSource.MonotonicClock,
            SamplesEndedAtReceive = parts.Sum(p => p.SamplesEndedAtReceive),
            SamplesEndedByClock = parts.Sum(p => p.SamplesEndedByClock),
            Checks = checks,
            Agents = parts.Sum(p => p.Agents),
        };
    }

    private static CheckResult Combined(string name, CheckResult?[] each)
    {
        var present = each.Where(c => c is not null).Select(c => c!).ToArray();
        var status = present.Any(c => c.Status == CheckStatus.Failed) ? CheckStatus.Failed
            : present.All(c => c.Status == CheckStatus.NotApplicable) ? CheckStatus.NotApplicable
            : CheckStatus.Passed;
        var detail = string.Join("; ", each.Select((c, i) => $"agent {i + 1}: {c?.Detail ?? "missing"}"));
        return new CheckResult(name, status, detail);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
