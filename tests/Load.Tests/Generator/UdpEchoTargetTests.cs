using System;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using TailGuard.Load.Tests.Infrastructure;
using TailGuard.R2P2;
using Xunit.Abstractions;

namespace TailGuard.Load.Tests.Generator;

/// <summary>
/// The plain UDP target (issue 11's comparison): the same generator against a UDP echo that answers well, twice, short
/// or never. Outcomes are counts, whatever the machine does; nothing here is a timing assertion.
/// </summary>
[Collection(nameof(LoadMeasurement))]
public sealed class UdpEchoTargetTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_echoed_request_completes_once_and_ok()
    {
        using var echo = new PlainUdpEcho(EchoBehaviour.Echo);
        await using var target = new UdpEchoTarget(echo.EndPoint, 64);
        await using var generator = await LoadGenerator.ConnectAsync(target, Options());
        var point = Log(await generator.RunOpenLoopAsync(1_000));

        Assert.Equal("udp://" + echo.EndPoint, target.Name);
        Assert.True(point.Sent > 500, $"{point.Sent} sent");
        AssertEachCompletedOnce(point);
        Assert.True(point.Ok > 0);
        Assert.True(point.Latency.Count > 0);
        Assert.Equal(OperatingSystem.IsLinux() ? TimestampSource.KernelSoftware : TimestampSource.MonotonicClock, point.ReceiveTimestamps);
        Assert.True(point.Latency.MicrosecondsAtRank(1) > 0);
    }

    [Fact]
    public async Task Requests_sent_in_batches_complete_once_each_with_their_own_echo()
    {
        using var echo = new PlainUdpEcho(EchoBehaviour.Echo);
        await using var target = new UdpEchoTarget(echo.EndPoint, 64);

        // A stalled sender finds about 20 requests due at once: they leave in one sendmmsg per connection, each in its own
        // slot with its own number, so a response completing the wrong request would show as a wrong or double outcome.
        await using var generator = await LoadGenerator.ConnectAsync(target, Options(stall: TimeSpan.FromMilliseconds(20)));
        var point = Log(await generator.RunOpenLoopAsync(1_000));

        Assert.True(point.Sender!.BatchedSends > point.Sender.Batches && point.Sender.Batches > 0, point.Sender.ToString());
        AssertEachCompletedOnce(point);
        Assert.True(point.Ok > point.Sent / 2, $"{point.Ok} ok of {point.Sent}");
        // Latency runs from each request's scheduled time, so the stalls show in it as they show in the sends' lateness (a
        // 20 ms stall every 100 ms: about one send in ten is 10 ms late or more). Read against the lateness of the same
        // run, not a fixed bound: on a loaded machine an unstalled run reaches 17 ms at p99 too (lateness from preemption),
        // while latency taken from the send instead would be the round trip whatever the lateness.
        var lateness = point.SendLateness.Estimate(99).Microseconds;
        var latency = point.Percentile(99).Microseconds;
        Assert.True(lateness >= 10_000, $"send lateness p99 {lateness} us: the 20 ms stalls did not happen");
        Assert.True(latency >= lateness / 2, $"latency p99 {latency} us against send lateness p99 {lateness} us: the stalls are hidden");
    }

    [Fact]
    public async Task A_duplicated_echo_completes_its_request_once()
    {
        using var echo = new PlainUdpEcho(EchoBehaviour.Twice);
        await using var target = new UdpEchoTarget(echo.EndPoint, 64);
        await using var generator = await LoadGenerator.ConnectAsync(target, Options());
        var point = Log(await generator.RunOpenLoopAsync(1_000));

        // A request completed twice would count twice (more outcomes than sends), or complete a later send on the same
        // slot early, as a wrong response or a latency below the echo's.
        AssertEachCompletedOnce(point);
        Assert.True(point.Ok > 0);
    }

    [Fact]
    public async Task A_short_echo_is_a_wrong_response()
    {
        using var echo = new PlainUdpEcho(EchoBehaviour.Truncated);
        await using var target = new UdpEchoTarget(echo.EndPoint, 64);
        await using var generator = await LoadGenerator.ConnectAsync(target, Options());
        var point = Log(await generator.RunOpenLoopAsync(500));

        // Every short echo that came back is a wrong response, never ok; on a machine loaded enough to hold a reply past
        // the timeout (load 90: 48 of 1 014) the rest time out, and nothing ends twice.
        Assert.Equal(0, point.Ok);
        Assert.True(point.WrongResponses > point.Sent / 2, $"{point.WrongResponses} wrong of {point.Sent}");
        Assert.Equal(point.Sent, point.WrongResponses + point.Timeouts);
    }

    [Fact]
    public async Task Unanswered_requests_time_out_and_stay_bounded()
    {
        using var silent = UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var target = new UdpEchoTarget(silent.LocalAddress.ToEndPoint(), 16);
        await using var generator = await LoadGenerator.ConnectAsync(target, new LoadGeneratorOptions
        {
            Connections = 2,
            LatencyConnections = 1,
            MaxInFlight = 64,
            Timeout = TimeSpan.FromMilliseconds(100),
            WarmUp = TimeSpan.Zero,
            Duration = TimeSpan.FromSeconds(1),
            Seed = 3,
        });
        var point = Log(await generator.RunOpenLoopAsync(1_000));

        Assert.Equal(0, point.Ok);
        Assert.Equal(point.Sent, point.Timeouts);
        Assert.True(point.Skipped > 0, "1000/s for 100 ms each cannot fit in 64 in flight");
        Assert.Equal(CheckStatus.Failed, point.Checks.Single(c => c.Name == CheckNames.InFlight).Status);
    }

    [Fact]
    public void Bad_sizes_and_addresses_are_refused()
    {
        var server = new IPEndPoint(IPAddress.Loopback, 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpEchoTarget(server, UdpEchoTarget.MinimumSize - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpEchoTarget(server, UdpEchoTarget.MaximumSize + 1));
        Assert.Throws<ArgumentException>(() => new UdpEchoTarget(new IPEndPoint(IPAddress.Loopback, 0)));
        Assert.Throws<NotSupportedException>(() => new UdpEchoTarget(new IPEndPoint(IPAddress.IPv6Loopback, 9)));
    }

    /// <summary>
    /// Every send ended exactly once, as ok or (on a machine so loaded that a socket buffer overflowed and UDP lost the
    /// datagram) as a timeout; never as a wrong response or twice.
    /// </summary>
    private void AssertEachCompletedOnce(LoadPointResult point)
    {
        Assert.Equal(point.Sent, point.Ok + point.Timeouts);
        Assert.Equal(0, point.WrongResponses + point.Drops + point.Failures);
        if (point.Timeouts > 0)
        {
            output.WriteLine($"{point.Timeouts} datagrams were lost (load average {LoadEnvironment.ReadLoadAverage()}): counted as timeouts, as they should be.");
        }
    }

    private static LoadGeneratorOptions Options(TimeSpan stall = default) => new()
    {
        SenderStall = stall,
        SenderStallInterval = TimeSpan.FromMilliseconds(100),
        MaxSendBatch = stall > TimeSpan.Zero ? 32 : 1, // a stall's due requests leave in batches
        Connections = 2,
        LatencyConnections = 1,
        WarmUp = TimeSpan.FromMilliseconds(300),
        Duration = TimeSpan.FromSeconds(1.5),
        Timeout = TimeSpan.FromSeconds(2),
        Seed = 11,
    };

    private LoadPointResult Log(LoadPointResult point)
    {
        output.WriteLine(LoadReportWriter.FormatPoint(point));
        return point;
    }
}
