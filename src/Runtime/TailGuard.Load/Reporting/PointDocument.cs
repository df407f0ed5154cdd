using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Serialization;

namespace TailGuard.Load.Reporting;

/// <summary>
/// A point as JSON: what the report files hold and what an agent sends its coordinator. It keeps the histograms
/// (bucketed nanoseconds), so points from several agents merge exactly and reports can be re-analysed later.
/// </summary>
internal sealed class PointDocument
{
    public string Target { get; set; } = "";

    public string Mode { get; set; } = "";

    public double TargetRate { get; set; }

    public double AchievedRate { get; set; }

    public double Throughput { get; set; }

    public double DurationSeconds { get; set; }

    public long Sent { get; set; }

    public long Ok { get; set; }

    public long Timeouts { get; set; }

    public long Drops { get; set; }

    public long WrongResponses { get; set; }

    public long Failures { get; set; }

    public long Skipped { get; set; }

    public long Faults { get; set; }

    public long Measured { get; set; }

    public int SamplingInterval { get; set; } = 1;

    public int Agents { get; set; } = 1;

    public string ReceiveTimestamps { get; set; } = "";

    public long SamplesEndedAtReceive { get; set; }

    public long SamplesEndedByClock { get; set; }

    public bool Passed { get; set; }

    public List<PercentileDocument> Percentiles { get; set; } = [];

    public List<CheckDocument> Checks { get; set; } = [];

    public HistogramDocument Latency { get; set; } = new();

    public HistogramDocument SendLateness { get; set; } = new();

    public static PointDocument From(LoadPointResult point) => new()
    {
        Target = point.Target,
        Mode = point.Mode.ToString(),
        TargetRate = point.TargetRate,
        AchievedRate = point.AchievedRate,
        Throughput = point.Throughput,
        DurationSeconds = point.Duration.TotalSeconds,
        Sent = point.Sent,
        Ok = point.Ok,
        Timeouts = point.Timeouts,
        Drops = point.Drops,
        WrongResponses = point.WrongResponses,
        Failures = point.Failures,
        Skipped = point.Skipped,
        Faults = point.Faults,
        Measured = point.Measured,
        SamplingInterval = point.SamplingInterval,
        Agents = point.Agents,
        ReceiveTimestamps = point.ReceiveTimestamps.ToString(),
        SamplesEndedAtReceive = point.SamplesEndedAtReceive,
        SamplesEndedByClock = point.SamplesEndedByClock,
        Passed = point.Passed,
        Percentiles = point.Percentiles.Select(PercentileDocument.From).ToList(),
        Checks = point.Checks.Select(c => new CheckDocument { Name = c.Name, Status = c.Status.ToString(), Detail = c.Detail }).ToList(),
        Latency = HistogramDocument.From(point.Latency),
        SendLateness = HistogramDocument.From(point.SendLateness),
    };

    public LoadPointResult ToResult()
    {
        var latency = Latency.ToDistribution();
        return new LoadPointResult
        {
            Target = Target,
            Mode = Enum.Parse<LoadMode>(Mode),
            TargetRate = TargetRate,
            Duration = TimeSpan.FromSeconds(DurationSeconds),
            Sent = Sent,
            Ok = Ok,
            Timeouts = Timeouts,
            Drops = Drops,
            WrongResponses = WrongResponses,
            Failures = Failures,
            Skipped = Skipped,
            Faults = Faults,
            Measured = Measured,
            SamplingInterval = SamplingInterval,
            Agents = Agents,
            ReceiveTimestamps = Enum.Parse<TimestampSource>(ReceiveTimestamps),
            SamplesEndedAtReceive = SamplesEndedAtReceive,
            SamplesEndedByClock = SamplesEndedByClock,
            Latency = latency,
            SendLateness = SendLateness.ToDistribution(),
            Percentiles = Percentiles.Select(p => latency.Estimate(p.Percentile)).ToArray(),
            Checks = Checks.Select(c => new CheckResult(c.Name, Enum.Parse<CheckStatus>(c.Status), c.Detail)).ToArray(),
        };
    }
}

/// <summary>A percentile as JSON, microseconds; null for an unknown bound, and "Infinity" never appears (failed ranks are null with <see cref="AmongFailures"/>).</summary>
internal sealed class PercentileDocument
{
    public double Percentile { get; set; }

    public double? Microseconds { get; set; }

    public double? LowerMicroseconds { get; set; }

    public double? UpperMicroseconds { get; set; }

    public long Samples { get; set; }

    public bool AmongFailures { get; set; }

    public static PercentileDocument From(PercentileEstimate estimate) => new()
    {
        Percentile = estimate.Percentile,
        Microseconds = Finite(estimate.Microseconds),
        LowerMicroseconds = Finite(estimate.LowerMicroseconds),
        UpperMicroseconds = Finite(estimate.UpperMicroseconds),
        Samples = estimate.Samples,
        AmongFailures = double.IsPositiveInfinity(estimate.Microseconds),
    };

    private static double? Finite(double value) => double.IsFinite(value) ? Math.Round(value, 3) : null;
}

/// <summary>A self-check as JSON.</summary>
internal sealed class CheckDocument
{
    public string Name { get; set; } = "";

    public string Status { get; set; } = "";

    public string Detail { get; set; } = "";
}

/// <summary>A <see cref="LatencyDistribution"/> as JSON: [nanoseconds, count] pairs and the failed count.</summary>
internal sealed class HistogramDocument
{
    [JsonPropertyName("buckets")]
    public List<long[]> Buckets { get; set; } = [];

    [JsonPropertyName("failed")]
    public long Failed { get; set; }

    public static HistogramDocument From(LatencyDistribution distribution) => new()
    {
        Buckets = distribution.Buckets().Select(b => new[] { b.Nanoseconds, b.Count }).ToList(),
        Failed = distribution.Failed,
    };

    public LatencyDistribution ToDistribution()
    {
        if (Buckets.Any(b => b.Length != 2 || b[0] < 0 || b[1] < 0) || Failed < 0)
        {
            throw new FormatException("A histogram bucket must be a [nanoseconds, count] pair of non-negative numbers.");
        }

        return LatencyDistribution.FromBuckets(Buckets.Select(b => (b[0], b[1])), Failed);
    }
}
