using System;
using System.Diagnostics;
using System.Globalization;
using TailGuard.Load;

namespace TailGuard.Tool.Commands.Ping;

/// <summary>
/// A ping's round trips (successful ones, in a <see cref="LatencyDistribution"/>), its failures counted by kind, and
/// the bytes the process allocated per call while measuring.
/// </summary>
internal sealed class PingReport
{
    private readonly LatencyDistribution _latency = new();
    private long _allocatedBefore;
    private long _allocatedAfter;

    public long Timeouts { get; set; }

    public long Drops { get; set; }

    public long WrongLength { get; set; }

    public long Failures { get; set; }

    public long WarmUpCalls { get; set; }

    /// <summary>Set when the ping gave up after consecutive timeouts.</summary>
    public string? AbortReason { get; set; }

    public long Calls => _latency.Completed;

    public long Errors => Timeouts + Drops + WrongLength + Failures;

    public void Record(long startTimestamp, long endTimestamp)
        => _latency.Record((long)((endTimestamp - startTimestamp) * (1e9 / Stopwatch.Frequency)));

    public void StartAllocationWindow() => _allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

    public void EndAllocationWindow() => _allocatedAfter = GC.GetTotalAllocatedBytes(precise: true);

    public double BytesPerCall => Calls == 0 ? 0 : (_allocatedAfter - _allocatedBefore) / (double)(Calls + Errors);

    public double Percentile(double percentile) => _latency.Estimate(percentile).Microseconds;

    public string Format(string label)
    {
        var failures = $"timeouts {Timeouts}  drops {Drops}  wrong-length {WrongLength}{(Failures > 0 ? $"  failed {Failures}" : string.Empty)}";
        if (Calls == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{label,-34} no call succeeded: {failures}");
        }

        return string.Create(
            CultureInfo.InvariantCulture,
            $"{label,-34} p50 {Micros(50)} us  p99 {Micros(99)} us  p99.9 {Micros(99.9)} us  max {_latency.MicrosecondsAtRank(Calls):0.0} us  calls {Calls}  {failures}  allocated {BytesPerCall:0.00} B/call");
    }

    private string Micros(double percentile) => Percentile(percentile).ToString("0.0", CultureInfo.InvariantCulture);
}
