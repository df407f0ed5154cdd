using System;
using System.Collections.Generic;
using System.Linq;

namespace TailGuard.Load;

/// <summary>Open loop (sends on a schedule, never waiting for replies) or closed loop (each reply triggers the next send).</summary>
public enum LoadMode
{
    /// <summary>Sends on a schedule; latency from the scheduled time.</summary>
    OpenLoop,

    /// <summary>A fixed number of requests in flight per connection; latency from the actual send. Hides queueing.</summary>
    ClosedLoop,
}

/// <summary>
/// One measured point: the counts, the latency percentiles with their intervals, the generator's own send lateness,
/// and every self-check. <see cref="Passed"/> is false when any check failed; such a point's numbers are not to be
/// quoted as they are.
/// </summary>
public sealed class LoadPointResult
{
    /// <summary>The target's name.</summary>
    public required string Target { get; init; }

    /// <summary>Open or closed loop.</summary>
    public LoadMode Mode { get; init; }

    /// <summary>The offered rate asked for, in requests per second (0 for a closed loop).</summary>
    public double TargetRate { get; init; }

    /// <summary>The measurement window (warm-up excluded).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Requests sent in the window.</summary>
    public long Sent { get; init; }

    /// <summary>Requests that got the expected response.</summary>
    public long Ok { get; init; }

    /// <summary>Requests that timed out.</summary>
    public long Timeouts { get; init; }

    /// <summary>Requests the server refused (DROP).</summary>
    public long Drops { get; init; }

    /// <summary>Requests whose response was not the expected one.</summary>
    public long WrongResponses { get; init; }

    /// <summary>Requests that failed otherwise.</summary>
    public long Failures { get; init; }

    /// <summary>
    /// Faults the connections survived during the point, warm-up included (<see cref="LoadConnection.Faults"/>: receive-loop
    /// errors, completion callbacks that threw). Any fault fails the point's <c>faults</c> check: a fault can lose a reply.
    /// </summary>
    public long Faults { get; init; }

    /// <summary>Sends skipped because the in-flight limit was reached (never sent).</summary>
    public long Skipped { get; init; }

    /// <summary>Requests of the latency-measuring subset in the window.</summary>
    public long Measured { get; init; }

    /// <summary>Every how many measured requests one became a latency sample (1 = all; more when thinned for independence).</summary>
    public int SamplingInterval { get; init; } = 1;

    /// <summary>The latency samples (from the scheduled send time), failures ranked above every latency.</summary>
    public required LatencyDistribution Latency { get; init; }

    /// <summary>The generator's send lateness (actual − scheduled send time), per send in the window.</summary>
    public required LatencyDistribution SendLateness { get; init; }

    /// <summary>The reported percentiles with their 95% intervals.</summary>
    public required IReadOnlyList<PercentileEstimate> Percentiles { get; init; }

    /// <summary>Where the receive timestamps came from.</summary>
    public TimestampSource ReceiveTimestamps { get; init; }

    /// <summary>
    /// Ok latency samples (before thinning) whose end was the receive time their connection gave: with
    /// <see cref="TimestampSource.KernelSoftware"/>, the socket's stamp of the answer.
    /// </summary>
    public long SamplesEndedAtReceive { get; init; }

    /// <summary>
    /// Ok latency samples (before thinning) that ended when their completion ran, their connection giving no receive time
    /// for them (every sample with <see cref="TimestampSource.MonotonicClock"/>; with kernel stamps, an answer whose stamp
    /// was missing). A kernel-stamped point with samples here mixes two ends, and its report says how many.
    /// </summary>
    public long SamplesEndedByClock { get; init; }

    /// <summary>Every self-check and its verdict.</summary>
    public required IReadOnlyList<CheckResult> Checks { get; init; }

    /// <summary>
    /// What the generator's own sending threads went through during the point (time waiting for a core, context
    /// switches, garbage collections, allocation): the evidence to read when the lateness check fails. Null when not
    /// measured (a point merged from agents).
    /// </summary>
    public SenderHealth? Sender { get; init; }

    /// <summary>How many generators (agents) this point merges (1 for a local run).</summary>
    public int Agents { get; init; } = 1;

    /// <summary>Requests sent per second in the window: the offered load actually achieved.</summary>
    public double AchievedRate => Duration > TimeSpan.Zero ? Sent / Duration.TotalSeconds : 0;

    /// <summary>Expected responses per second.</summary>
    public double Throughput => Duration > TimeSpan.Zero ? Ok / Duration.TotalSeconds : 0;

    /// <summary>Requests that did not get the expected response, of every kind.</summary>
    public long Errors => Timeouts + Drops + WrongResponses + Failures;

    /// <summary>Whether no check failed.</summary>
    public bool Passed => Checks.All(c => c.Status != CheckStatus.Failed);

    /// <summary>The checks that failed.</summary>
    public IEnumerable<CheckResult> FailedChecks => Checks.Where(c => c.Status == CheckStatus.Failed);

    /// <summary>The estimate of one reported percentile.</summary>
    /// <param name="percentile">The percentile (99 for p99).</param>
    /// <returns>The estimate, or an empty one when that percentile was not reported.</returns>
    public PercentileEstimate Percentile(double percentile)
    {
        foreach (var estimate in Percentiles)
        {
            if (Math.Abs(estimate.Percentile - percentile) < 1e-9)
            {
                return estimate;
            }
        }

        return Latency.Estimate(percentile);
    }
}
