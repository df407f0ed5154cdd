using System;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.Load.Tests.Infrastructure;
using TailGuard.R2P2;
using Xunit.Abstractions;

namespace TailGuard.Load.Tests.Generator;

/// <summary>
/// The generator against real R2P2 servers on UDP loopback, whose behaviour is known: a fixed service time, a
/// one-off pause, nobody answering. Load runs one test at a time (<see cref="LoadMeasurement"/>).
/// </summary>
[Collection(nameof(LoadMeasurement))]
public sealed class GeneratorBehaviourTests(ITestOutputHelper output)
{
    [Fact]
    public async Task At_low_load_the_latency_is_the_service_time_plus_the_round_trip()
    {
        var serviceTime = TimeSpan.FromMilliseconds(2);
        using var server = TestServers.Start(new FixedServiceTimeHandler(serviceTime));
        await using var target = new R2P2EchoTarget(server.EndPoint(), 64);
        await using var generator = await LoadGenerator.ConnectAsync(target, Options(connections: 2, latencyConnections: 2, duration: 3));

        // 100 requests/s on a 2 ms service: the server is busy a fifth of the time, so most requests find it idle.
        var (point, clean) = await BusyMachine.MeasureAsync(output, () => generator.RunOpenLoopAsync(100), p => Log(p) ?? BusyMachine.Noise(p));
        var p50 = point.Percentile(50);

        // Whatever the machine does: latency runs from the scheduled send, so it is never below the service time (a
        // failed request's sample is infinite). At load 75 every request can time out: a handler that sleeps 1 ms then
        // waits a whole scheduling round for its core, so the server falls below 100 requests/s.
        Assert.True(point.Latency.MicrosecondsAtRank(1) >= serviceTime.TotalMicroseconds, $"fastest sample {point.Latency.MicrosecondsAtRank(1)} us");
        Assert.Equal(TimestampSource.KernelSoftware, point.ReceiveTimestamps);
        if (clean)
        {
            // Above it by a loopback round trip and a little queueing (generous: the machine is shared).
            Assert.True(point.Ok > 0);
            Assert.Equal(0, point.Errors);
            Assert.InRange(p50.Microseconds, serviceTime.TotalMicroseconds, serviceTime.TotalMicroseconds + 1_500);
            Assert.True(p50.LowerMicroseconds >= serviceTime.TotalMicroseconds, $"p50 interval lower bound {p50.LowerMicroseconds} us");
        }
    }

    [Fact]
    public async Task A_starved_generator_fails_its_inter_arrival_check_and_says_so()
    {
        using var server = TestServers.Start(new EchoHandler());
        await using var target = new R2P2EchoTarget(server.EndPoint(), 64);

        // The sending thread stops for 30 ms every 100 ms: a third of the schedule leaves in bursts.
        await using var generator = await LoadGenerator.ConnectAsync(target, new LoadGeneratorOptions
        {
            Connections = 2,
            LatencyConnections = 2,
            WarmUp = TimeSpan.FromMilliseconds(300),
            Duration = TimeSpan.FromSeconds(2),
            Seed = 1,
            SenderStall = TimeSpan.FromMilliseconds(30),
            SenderStallInterval = TimeSpan.FromMilliseconds(100),
        });
        var point = await generator.RunOpenLoopAsync(2_000);
        Log(point);

        // A stalled sender fails its checks on any machine: this holds busy or quiet.
        var interArrival = point.Checks.Single(c => c.Name == CheckNames.InterArrival);
        Assert.Equal(CheckStatus.Failed, interArrival.Status);
        Assert.Contains("Anderson-Darling", interArrival.Detail, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Failed, point.Checks.Single(c => c.Name == CheckNames.Lateness).Status);
        Assert.False(point.Passed);

        // Latency runs from the scheduled time: requests scheduled during a 30 ms stall left up to 30 ms late, and their
        // latencies say so (from the actual send they would be a loopback round trip).
        Assert.True(point.Percentile(99).Microseconds >= 10_000, $"p99 {point.Percentile(99).Microseconds} us hides the stalls");

        var row = LoadReportWriter.FormatPoint(point);
        Assert.Contains("FAILED", row, StringComparison.Ordinal);
        Assert.Contains("! inter-arrival: Anderson-Darling", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_generator_unstalled_passes_its_inter_arrival_check()
    {
        // The control for the test above: the check can pass, so its failure there is the stall's doing.
        using var server = TestServers.Start(new EchoHandler());
        await using var target = new R2P2EchoTarget(server.EndPoint(), 64);
        await using var generator = await LoadGenerator.ConnectAsync(target, Options(connections: 2, latencyConnections: 2, duration: 2));
        var (point, clean) = await BusyMachine.MeasureAsync(output, () => generator.RunOpenLoopAsync(2_000), p => Log(p) ?? BusyMachine.Noise(p));
        Assert.Equal(CheckStatus.Passed, point.Checks.Single(c => c.Name == CheckNames.Rate).Status);
        if (clean)
        {
            var interArrival = point.Checks.Single(c => c.Name == CheckNames.InterArrival);
            Assert.True(interArrival.Status == CheckStatus.Passed, interArrival.Detail);
        }
    }

    [Fact]
    public async Task A_100_ms_pause_shows_in_the_open_loop_tail_and_hides_from_the_closed_loop()
    {
        var handler = new PauseOnceHandler(TimeSpan.FromMilliseconds(100));
        using var server = TestServers.Start(handler);
        await using var target = new R2P2EchoTarget(server.EndPoint(), 64);
        var options = Options(connections: 2, latencyConnections: 2, duration: 3);
        await using var generator = await LoadGenerator.ConnectAsync(target, options);

        var ((open, closed), clean) = await BusyMachine.MeasureAsync(
            output,
            async () =>
            {
                // Open loop at 1000 requests/s: the ~100 requests scheduled during the pause queue behind it.
                handler.Arm(options.WarmUp + TimeSpan.FromSeconds(1));
                var open = await generator.RunOpenLoopAsync(1_000);
                Assert.Equal(1, handler.Pauses);

                // Closed loop, one request at a time per connection: the pause delays one request per connection, and
                // nothing is sent while it lasts, so the pause is one sample among thousands.
                handler.Arm(options.WarmUp + TimeSpan.FromSeconds(1));
                var closed = await generator.RunClosedLoopAsync(depth: 1);
                Assert.Equal(1, handler.Pauses);
                return (open, closed);
            },
            pair => Log(pair.open) ?? Log(pair.closed) ?? BusyMachine.Noise(pair.open));

        // The open loop shows the pause whatever the machine does (a busy machine only adds to it).
        var openTail = open.Percentile(99.9).Microseconds;
        Assert.True(openTail >= 50_000, $"open-loop p99.9 {openTail} us does not show the 100 ms pause");
        if (clean)
        {
            var closedTail = closed.Percentile(99.9).Microseconds;
            Assert.True(closedTail < 20_000, $"closed-loop p99.9 {closedTail} us");
        }
    }

    [Fact]
    public async Task Requests_in_flight_are_bounded_and_hitting_the_bound_is_reported()
    {
        // A socket that never answers: every request times out, so in-flight requests pile up to the limit.
        using var silent = UdpTransport.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        await using var target = new R2P2EchoTarget(silent.LocalAddress.ToEndPoint(), 16);
        await using var generator = await LoadGenerator.ConnectAsync(target, new LoadGeneratorOptions
        {
            Connections = 2,
            LatencyConnections = 1,
            MaxInFlight = 20,
            Timeout = TimeSpan.FromMilliseconds(300),
            WarmUp = TimeSpan.Zero,
            Duration = TimeSpan.FromSeconds(1),
        });
        var point = await generator.RunOpenLoopAsync(500);
        Log(point);

        Assert.True(point.Skipped > 0);
        Assert.Equal(point.Sent, point.Timeouts);
        Assert.Equal(0, point.Ok);
        Assert.Equal(CheckStatus.Failed, point.Checks.Single(c => c.Name == CheckNames.InFlight).Status);
        Assert.True(double.IsPositiveInfinity(point.Percentile(50).Microseconds), "every percentile falls among the timeouts");
        Assert.Contains("failed requests", LoadReportWriter.FormatPoint(point), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_precision_target_keeps_measuring_until_the_interval_is_narrow_enough()
    {
        using var server = TestServers.Start(new EchoHandler());
        await using var target = new R2P2EchoTarget(server.EndPoint(), 64);
        await using var generator = await LoadGenerator.ConnectAsync(target, new LoadGeneratorOptions
        {
            Connections = 2,
            LatencyConnections = 2,
            WarmUp = TimeSpan.FromMilliseconds(500),
            Duration = TimeSpan.FromSeconds(1),
            Precision = new PrecisionTarget { Percentile = 50, RelativeWidth = 0.5, TimeLimit = TimeSpan.FromSeconds(10) },
        });
        var (point, clean) = await BusyMachine.MeasureAsync(output, () => generator.RunOpenLoopAsync(1_000), p => Log(p) ?? BusyMachine.Noise(p));
        var precision = point.Checks.Single(c => c.Name == CheckNames.Precision);
        if (precision.Status == CheckStatus.Passed)
        {
            // Met: the interval the point reports is as narrow as asked (within what the last samples moved it).
            Assert.Contains("reached", precision.Detail, StringComparison.Ordinal);
            var p50 = point.Percentile(50);
            Assert.True(p50.WidthMicroseconds <= 0.5 * p50.Microseconds * 1.5, $"p50 {p50}");
        }
        else
        {
            Assert.False(clean, $"a clean run missed a 50% p50 interval in 10 s: {precision.Detail}");
            Assert.Contains("time limit", precision.Detail, StringComparison.Ordinal);
        }

        // An impossible width ends at the time limit, and the point says so.
        await using var strict = await LoadGenerator.ConnectAsync(target, new LoadGeneratorOptions
        {
            Connections = 2,
            LatencyConnections = 2,
            WarmUp = TimeSpan.FromMilliseconds(200),
            Duration = TimeSpan.FromMilliseconds(500),
            Precision = new PrecisionTarget { Percentile = 99.9, Width = TimeSpan.FromTicks(1), TimeLimit = TimeSpan.FromSeconds(2) },
        });
        var limited = await strict.RunOpenLoopAsync(500);
        var verdict = limited.Checks.Single(c => c.Name == CheckNames.Precision);
        Assert.Equal(CheckStatus.Failed, verdict.Status);
        Assert.Contains("time limit", verdict.Detail, StringComparison.Ordinal);
        Assert.InRange(limited.Duration.TotalSeconds, 1.9, 4);
    }

    private static LoadGeneratorOptions Options(int connections, int latencyConnections, double duration) => new()
    {
        Connections = connections,
        LatencyConnections = latencyConnections,
        WarmUp = TimeSpan.FromMilliseconds(500),
        Duration = TimeSpan.FromSeconds(duration),
        Seed = 42,
    };

    /// <summary>Writes the point and its checks to the test output; returns null so it chains with a noise check.</summary>
    private string? Log(LoadPointResult point)
    {
        output.WriteLine(LoadReportWriter.FormatPoint(point));
        foreach (var check in point.Checks)
        {
            output.WriteLine($"  {check.Name}: {check.Status}: {check.Detail}");
        }

        return null;
    }
}
