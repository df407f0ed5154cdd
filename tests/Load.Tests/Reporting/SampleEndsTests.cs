using System;
using TailGuard.Load.Distributed;
using TailGuard.Load.Reporting;

namespace TailGuard.Load.Tests.Reporting;

/// <summary>
/// Where each latency sample ended (docs/load.md, "Timestamps"): a point counts its Ok samples that ended at the
/// connection's receive time and those that ended by the clock, carries both through JSON and the agents' merge, and
/// the table says so when a kernel-stamped point mixes the two.
/// </summary>
public sealed class SampleEndsTests
{
    [Fact]
    public void A_kernel_stamped_point_with_samples_ended_by_the_clock_says_how_many()
    {
        var row = LoadReportWriter.FormatPoint(Point(TimestampSource.KernelSoftware, atReceive: 997, byClock: 3));
        Assert.Contains("~ 3 of 1000 samples ended by the clock (no kernel stamp)", row, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TimestampSource.KernelSoftware, 1000, 0)]
    [InlineData(TimestampSource.MonotonicClock, 0, 1000)]
    public void A_point_whose_samples_all_end_one_way_adds_no_line(TimestampSource source, long atReceive, long byClock)
    {
        var row = LoadReportWriter.FormatPoint(Point(source, atReceive, byClock));
        Assert.DoesNotContain("ended by the clock", row, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', row);
    }

    [Fact]
    public void The_counts_survive_the_json_document()
    {
        var again = PointDocument.From(Point(TimestampSource.KernelSoftware, atReceive: 41, byClock: 2)).ToResult();
        Assert.Equal(41, again.SamplesEndedAtReceive);
        Assert.Equal(2, again.SamplesEndedByClock);
    }

    [Fact]
    public void Agents_counts_add_up_in_the_merged_point()
    {
        var merged = PointMerger.Merge(
            "r2p2://test",
            1_000,
            [Point(TimestampSource.KernelSoftware, atReceive: 10, byClock: 1), Point(TimestampSource.KernelSoftware, atReceive: 20, byClock: 0)],
            new LoadGeneratorOptions());
        Assert.Equal(30, merged.SamplesEndedAtReceive);
        Assert.Equal(1, merged.SamplesEndedByClock);
    }

    private static LoadPointResult Point(TimestampSource source, long atReceive, long byClock) => new()
    {
        Target = "r2p2://test",
        Mode = LoadMode.OpenLoop,
        TargetRate = 1_000,
        Duration = TimeSpan.FromSeconds(1),
        Sent = atReceive + byClock,
        Ok = atReceive + byClock,
        Latency = LatencyDistribution.FromBuckets([(20_000, atReceive + byClock)], 0),
        SendLateness = LatencyDistribution.FromBuckets([(1_000, atReceive + byClock)], 0),
        Percentiles = [],
        Checks = [],
        ReceiveTimestamps = source,
        SamplesEndedAtReceive = atReceive,
        SamplesEndedByClock = byClock,
    };
}
