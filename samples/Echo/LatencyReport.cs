using System;
using System.Diagnostics;
using System.Globalization;
using HdrHistogram;

namespace TailGuard.Samples.Echo;

/// <summary>Round-trip times in an HdrHistogram (nanoseconds), and the bytes the process allocated per call.</summary>
internal sealed class LatencyReport
{
    private readonly LongHistogram _histogram = new(TimeSpan.FromSeconds(10).Ticks * 100, 3);
    private long _allocatedBefore;
    private long _allocatedAfter;

    public long Errors { get; set; }

    public long Count => _histogram.TotalCount;

    public void Record(long startTimestamp, long endTimestamp)
        => _histogram.RecordValue(Math.Max(1, (endTimestamp - startTimestamp) * 1_000_000_000 / Stopwatch.Frequency));

    public void StartAllocationWindow() => _allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

    public void EndAllocationWindow() => _allocatedAfter = GC.GetTotalAllocatedBytes(precise: true);

    public double BytesPerCall => Count == 0 ? 0 : (_allocatedAfter - _allocatedBefore) / (double)(Count + Errors);

    public string Format(string label)
        => string.Create(
            CultureInfo.InvariantCulture,
            $"{label,-34} p50 {Micros(50)} us  p99 {Micros(99)} us  p99.9 {Micros(99.9)} us  max {Micros(100)} us  calls {Count}  errors {Errors}  allocated {BytesPerCall:0.00} B/call");

    public double Percentile(double percentile) => _histogram.GetValueAtPercentile(percentile) / 1000.0;

    private string Micros(double percentile) => Percentile(percentile).ToString("0.0", CultureInfo.InvariantCulture);
}
