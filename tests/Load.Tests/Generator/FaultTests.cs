using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.R2P2;
using TailGuard.Load.Tests.Infrastructure;
using TailGuard.Load.Udp;
using TailGuard.R2P2;

namespace TailGuard.Load.Tests.Generator;

/// <summary>
/// Faults a connection survives (its receive loop failing, a completion callback throwing) are counted per point and
/// fail the point's <c>faults</c> check, for R2P2 and plain UDP connections alike, instead of vanishing.
/// </summary>
[Collection(nameof(LoadMeasurement))]
public sealed class FaultTests
{
    [Fact]
    public async Task A_point_whose_connection_reports_faults_fails_its_faults_check_and_says_how_many()
    {
        await using var target = new FaultingTarget(faultEvery: 50);
        await using var generator = await LoadGenerator.ConnectAsync(target, Options());
        var point = await generator.RunOpenLoopAsync(2_000);

        Assert.True(point.Faults > 0, $"{point.Sent} sent, {point.Faults} faults");
        Assert.Equal(target.Faults, point.Faults); // warm-up included: every fault during the point
        var check = point.Checks.Single(c => c.Name == CheckNames.Faults);
        Assert.Equal(CheckStatus.Failed, check.Status);
        Assert.Contains($"{point.Faults} faults", check.Detail, StringComparison.Ordinal);
        Assert.False(point.Passed);

        var report = new LoadReport { Environment = LoadEnvironment.Capture(), Sweeps = [new LoadSweepResult { Target = target.Name, Points = [point] }] };
        using var csv = new StringWriter();
        LoadReportWriter.WriteCsv(report, csv);
        var lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var column = Array.IndexOf(lines[0].Split(','), "faults");
        Assert.True(column >= 0, lines[0]);
        Assert.Equal(point.Faults.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[1].Split(',')[column]);
    }

    [Fact]
    public async Task A_point_without_faults_passes_its_faults_check()
    {
        await using var target = new FaultingTarget(faultEvery: 0);
        await using var generator = await LoadGenerator.ConnectAsync(target, Options());
        var point = await generator.RunOpenLoopAsync(2_000);

        Assert.Equal(0, point.Faults);
        Assert.Equal(CheckStatus.Passed, point.Checks.Single(c => c.Name == CheckNames.Faults).Status);
    }

    [Fact]
    public async Task Faults_before_a_point_are_not_counted_in_it()
    {
        await using var target = new FaultingTarget(faultEvery: 0);
        await using var generator = await LoadGenerator.ConnectAsync(target, Options());
        target.AddFaults(7);
        var point = await generator.RunOpenLoopAsync(2_000);

        Assert.Equal(0, point.Faults);
    }

    [Fact]
    public async Task A_UDP_connection_counts_its_receive_loop_errors()
    {
        using var echo = new PlainUdpEcho(EchoBehaviour.Echo);
        await using var connection = UdpEchoConnection.Open(echo.EndPoint, new LoadConnectionSettings { MaxInFlight = 4 }, new R2P2TargetOptions(), new byte[64]);
        Assert.Equal(0, connection.Faults);
        connection.OnError(null!, new InvalidOperationException("a defect in the receive path"));
        connection.OnError(null!, new InvalidOperationException("another"));
        Assert.Equal(2, connection.Faults);
    }

    [Fact]
    public async Task An_R2P2_connection_counts_a_completion_callback_that_threw()
    {
        using var server = TestServers.Start(new EchoHandler());
        using var connection = R2P2Connection.Open(server.EndPoint(), new LoadConnectionSettings { MaxInFlight = 4 }, new R2P2TargetOptions());
        var callback = new ThrowingCallback();
        Assert.True(connection.Client.TryCall(new byte[16], callback));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (connection.Faults == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(1, callback.Calls);
        Assert.Equal(1, connection.Faults);
    }

    private static LoadGeneratorOptions Options() => new()
    {
        Connections = 2,
        LatencyConnections = 1,
        WarmUp = TimeSpan.FromMilliseconds(200),
        Duration = TimeSpan.FromMilliseconds(500),
        Seed = 3,
    };

    private sealed class ThrowingCallback : IR2P2CallCallback
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void OnCallCompleted(in R2P2CallCompletion completion)
        {
            Interlocked.Increment(ref _calls);
            throw new InvalidOperationException("a callback with a defect");
        }
    }

    /// <summary>Answers every request at once; its connections report a fault of their machinery every <c>faultEvery</c> sends (never when 0).</summary>
    private sealed class FaultingTarget(int faultEvery) : LoadTarget
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<Connection> _connections = new();

        public override string Name => "faulting://test";

        /// <summary>Every fault its connections reported so far.</summary>
        public long Faults => _connections.Sum(c => c.Faults);

        public void AddFaults(long count)
        {
            _connections.TryPeek(out var first);
            first!.Add(count);
        }

        public override ValueTask<LoadConnection> ConnectAsync(LoadConnectionSettings settings, CancellationToken cancellationToken)
        {
            var connection = new Connection(faultEvery);
            _connections.Enqueue(connection);
            return ValueTask.FromResult<LoadConnection>(connection);
        }

        private sealed class Connection(int faultEvery) : LoadConnection
        {
            private long _faults;
            private long _sends;

            public override TimestampSource ReceiveTimestamps => TimestampSource.MonotonicClock;

            public override long Faults => Interlocked.Read(ref _faults);

            public void Add(long count) => Interlocked.Add(ref _faults, count);

            public override void Send(LoadRequest request)
            {
                if (faultEvery > 0 && ++_sends % faultEvery == 0)
                {
                    Interlocked.Increment(ref _faults);
                }

                request.Complete(LoadOutcome.Ok);
            }

            public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
