using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.Tests.Infrastructure;
using TailGuard.R2P2;

namespace TailGuard.Load.Tests.Generator;

/// <summary>A counter service: each call adds to a total and returns it (so the server sees every call).</summary>
[R2P2Service]
internal interface ICounter
{
    long Add(int amount);
}

internal sealed class Counter : ICounter
{
    private long _total;

    public long Total => Volatile.Read(ref _total);

    public long Add(int amount) => Interlocked.Add(ref _total, amount);
}

/// <summary>A method of a generated [R2P2Service] client as a load target, through the documented adapter.</summary>
[Collection(nameof(LoadMeasurement))]
public sealed class ServiceTargetTests
{
    [Fact]
    public async Task A_generated_service_method_is_loaded_through_the_adapter_and_every_call_reaches_the_server()
    {
        var counter = new Counter();
        using var server = TestServers.Start(new CounterDispatcher(counter));

        // The adapter of docs/load.md: wrap each connection's client, make one call per request (varying its argument).
        await using var target = new R2P2ServiceTarget<CounterClient, long>(
            server.EndPoint(),
            client => new CounterClient(client),
            (counterClient, request) => counterClient.AddAsync((int)(request.Sequence % 3) + 1),
            check: total => total > 0);
        await using var generator = await LoadGenerator.ConnectAsync(target, new LoadGeneratorOptions
        {
            Connections = 2,
            LatencyConnections = 1,
            WarmUp = TimeSpan.FromMilliseconds(200),
            Duration = TimeSpan.FromSeconds(1),
        });
        var point = await generator.RunOpenLoopAsync(500);

        Assert.StartsWith("r2p2://", point.Target, StringComparison.Ordinal);
        Assert.Contains("CounterClient", point.Target, StringComparison.Ordinal);
        Assert.True(point.Sent > 0);
        Assert.Equal(point.Sent, point.Ok + point.Errors);
        Assert.True(point.Ok > 0);

        // Every call the generator made reached the implementation, warm-up included (1 to 3 each).
        Assert.InRange(counter.Total, server.Statistics.Requests, 3 * server.Statistics.Requests);
        Assert.True(server.Statistics.Requests >= point.Sent);
    }

    [Fact]
    public async Task A_result_the_check_refuses_counts_as_a_wrong_response()
    {
        using var server = TestServers.Start(new CounterDispatcher(new Counter()));
        await using var target = new R2P2ServiceTarget<CounterClient, long>(
            server.EndPoint(),
            client => new CounterClient(client),
            (counterClient, _) => counterClient.AddAsync(1),
            check: _ => false);
        await using var generator = await LoadGenerator.ConnectAsync(target, new LoadGeneratorOptions
        {
            Connections = 1,
            LatencyConnections = 1,
            WarmUp = TimeSpan.Zero,
            Duration = TimeSpan.FromMilliseconds(500),
        });
        var point = await generator.RunOpenLoopAsync(200);
        Assert.True(point.WrongResponses > 0);
        Assert.Equal(0, point.Ok);
        Assert.True(double.IsPositiveInfinity(point.Percentile(50).Microseconds));
    }

    [Fact]
    public async Task Drops_are_counted_apart_from_timeouts()
    {
        using var refusing = R2P2Server.CreateUdp(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), new CounterDispatcher(new Counter()), new R2P2ServerOptions { AdmissionPolicy = new MaxInFlightAdmissionPolicy(0) });
        await using var target = new R2P2EchoTarget(refusing.EndPoint(), 16);
        await using var generator = await LoadGenerator.ConnectAsync(target, new LoadGeneratorOptions { Connections = 1, LatencyConnections = 1, WarmUp = TimeSpan.Zero, Duration = TimeSpan.FromMilliseconds(500) });
        var point = await generator.RunOpenLoopAsync(200);
        Assert.True(point.Drops > 0);
        Assert.Equal(point.Sent, point.Drops);
        Assert.Equal(0, point.Timeouts);
    }
}
