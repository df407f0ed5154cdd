using System;
using System.Diagnostics;
using System.Globalization;
using TailGuard.Load;
using TailGuard.R2P2;

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

    /// <summary>
    /// Counts a failed call by kind; true when it timed out. A call the client's watchdog ended
    /// (<see cref="R2P2ReceiveLoopBlockedException"/>, a kind of <see cref="R2P2TimeoutException"/>) timed out too: the
    /// watchdog ends only calls whose timers fired, and the ping never blocks the loop its continuations run on, so only a loop the machine starved mid-continuation
    /// gets there (at load 80 it did, and the ping counted a timeout as a failure that broke the run of timeouts).
    /// </summary>
    public bool CountFailure(R2P2Exception error)
    {
        switch (error)
        {
            case R2P2TimeoutException:
                Timeouts++;
                return true;
            case R2P2DroppedException:
                Drops++;
                return false;
            default:
                Failures++;
                return false;
        }
    }

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
