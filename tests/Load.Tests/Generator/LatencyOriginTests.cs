using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.Tests.Infrastructure;

namespace TailGuard.Load.Tests.Generator;

/// <summary>
/// Where latency starts, checked without any network: a target whose every response arrives exactly 1 ms after the
/// request was actually sent. Latency from the scheduled time then equals the generator's own lateness plus 1 ms, so a
/// stalled generator's tail must show its stalls (a latency taken from the actual send would be 1 ms every time).
/// </summary>
[Collection(nameof(LoadMeasurement))]
public sealed class LatencyOriginTests
{
    [Fact]
    public async Task Latency_is_measured_from_the_scheduled_send_not_the_actual_one()
    {
        await using var target = new FixedDelayTarget(TimeSpan.FromMilliseconds(1));
        await using var generator = await LoadGenerator.ConnectAsync(target, new LoadGeneratorOptions
        {
            Connections = 1,
            LatencyConnections = 1,
            WarmUp = TimeSpan.Zero,
            Duration = TimeSpan.FromSeconds(1),
            Seed = 3,
            SenderStall = TimeSpan.FromMilliseconds(40),
            SenderStallInterval = TimeSpan.FromMilliseconds(100),
        });
        var point = await generator.RunOpenLoopAsync(2_000);

        // Whatever the machine: nothing is faster than the target's 1 ms, and the ~40% of requests scheduled inside a
        // 40 ms stall are late by up to 40 ms, which the upper percentiles carry.
        Assert.True(point.Latency.MicrosecondsAtRank(1) >= 999, $"fastest {point.Latency.MicrosecondsAtRank(1)} us");
        Assert.True(point.Percentile(90).Microseconds >= 10_000, $"p90 {point.Percentile(90).Microseconds} us hides the stalls");
        Assert.Equal(point.Sent, point.Ok);
    }

    /// <summary>Completes every request inside Send with a receive time exactly <paramref name="delay"/> after it.</summary>
    private sealed class FixedDelayTarget(TimeSpan delay) : LoadTarget
    {
        public override string Name => "fixed-delay";

        public override ValueTask<LoadConnection> ConnectAsync(LoadConnectionSettings settings, CancellationToken cancellationToken)
            => ValueTask.FromResult<LoadConnection>(new Connection((long)(delay.TotalSeconds * Stopwatch.Frequency)));

        private sealed class Connection(long delayTicks) : LoadConnection
        {
            public override TimestampSource ReceiveTimestamps => TimestampSource.MonotonicClock;

            public override void Send(LoadRequest request) => request.Complete(LoadOutcome.Ok, Stopwatch.GetTimestamp() + delayTicks);

            public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
