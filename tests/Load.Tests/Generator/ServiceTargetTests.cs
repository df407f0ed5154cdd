using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.Generator;
using TailGuard.Load.Tests.Infrastructure;
using TailGuard.R2P2;
using Xunit.Abstractions;

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

/// <summary>
/// A method of a generated [R2P2Service] client as a load target, through the documented adapter; with the client's
/// batch form, requests due together leave in one send (docs/load.md, "Batched sends").
/// </summary>
[Collection(nameof(LoadMeasurement))]
public sealed class ServiceTargetTests(ITestOutputHelper output)
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
    public async Task With_a_batch_client_the_requests_of_a_batch_queue_in_the_connections_batch_and_leave_at_one_flush()
    {
        var counter = new Counter();
        using var server = TestServers.Start(new CounterDispatcher(counter));
        R2P2CallBatch? batch = null;
        CounterClient? batched = null;
        var calls = new List<(bool Batched, int Queued, long AtServer)>();
        var ok = 0;
        await using var target = new R2P2ServiceTarget<CounterClient, long>(
            server.EndPoint(),
            client => new CounterClient(client),
            (counterClient, _) =>
            {
                // What the batch holds and the server has seen when each call is made.
                calls.Add((ReferenceEquals(counterClient, batched), batch!.Count, server.Statistics.Requests));
                return counterClient.AddAsync(1);
            },
            check: _ =>
            {
                Interlocked.Increment(ref ok);
                return true;
            },
            createBatchClient: b =>
            {
                batch = b;
                return batched = new CounterClient(b);
            });
        var (connection, runner) = await ConnectAsync(target);

        // 40 due together: the first 32 fill the batch (its capacity), which is flushed before the 33rd is queued.
        connection.SendBatch(Rent(runner, 40));

        Assert.All(calls, c => Assert.True(c.Batched, "a call of the batch was not made through the batch client"));
        Assert.Equal(Enumerable.Range(0, 32).Concat(Enumerable.Range(0, 8)), calls.Select(c => c.Queued));
        Assert.All(calls.Take(32), c => Assert.Equal(0, c.AtServer)); // nothing had left while the first 32 were queued
        Assert.Equal(0, batch!.Count); // and SendBatch flushed what was left
        await Answered(runner);
        Assert.Equal(40, Volatile.Read(ref ok));
        Assert.Equal(40, counter.Total);

        // A lone request still goes through the plain client, sent at once.
        calls.Clear();
        connection.Send(Rent(runner, 1)[0]);
        Assert.False(Assert.Single(calls).Batched);
        Assert.Equal(0, batch.Count);
        await Answered(runner);
        Assert.Equal(41, counter.Total);
        await connection.DisposeAsync();
    }

    /// <summary>
    /// End to end, a batched call's latency ends at the socket: over loopback UDP with kernel receive timestamps, the
    /// transport tells each call queued in a batch the request id of its own packet at the flush, so its answer's kernel
    /// stamp ends its sample. A call that was not told its id would end at the clock when its completion ran.
    /// </summary>
    [KernelTimestampsFact]
    public async Task A_batched_calls_latency_ends_at_the_kernel_timestamp_of_its_answer()
    {
        var counter = new Counter();
        using var server = TestServers.Start(new CounterDispatcher(counter));
        await using var target = new R2P2ServiceTarget<CounterClient, long>(
            server.EndPoint(),
            client => new CounterClient(client),
            (counterClient, _) => counterClient.AddAsync(1),
            createBatchClient: batch => new CounterClient(batch));
        await using var generator = await LoadGenerator.ConnectAsync(target, new LoadGeneratorOptions
        {
            Connections = 2,
            LatencyConnections = 2,
            WarmUp = TimeSpan.FromMilliseconds(200),
            Duration = TimeSpan.FromSeconds(1),
            Seed = 5,
            SendWindow = TimeSpan.FromMilliseconds(1), // about two requests a batch at 2k/s, and more when the sender is late
            MaxSendBatch = 32,
        });
        var point = await generator.RunOpenLoopAsync(2_000);
        output.WriteLine($"sent {point.Sent}, ok {point.Ok}, samples {point.Latency.Completed} ({point.SamplesEndedAtReceive} ended at the receive stamp, {point.SamplesEndedByClock} by the clock); senders {point.Sender}");

        Assert.Equal(TimestampSource.KernelSoftware, point.ReceiveTimestamps);
        Assert.True(point.Sender!.BatchedSends >= point.Sent * 9 / 10, $"{point.Sender.BatchedSends} of {point.Sent} requests left in batches");
        Assert.True(point.Latency.Completed > 0, "no latency sample");

        // Every Ok sample (before thinning, so at least the distribution's) ended at its answer's kernel stamp.
        Assert.Equal(0, point.SamplesEndedByClock);
        Assert.True(point.SamplesEndedAtReceive >= point.Latency.Completed, $"{point.SamplesEndedAtReceive} samples ended at the receive stamp, {point.Latency.Completed} in the distribution");
    }

    [Fact]
    public async Task Without_a_batch_client_the_requests_of_a_batch_are_sent_one_at_a_time()
    {
        var counter = new Counter();
        using var server = TestServers.Start(new CounterDispatcher(counter));
        CounterClient? plain = null;
        var calls = new List<(bool Plain, bool EarlierReachedServer)>();
        await using var target = new R2P2ServiceTarget<CounterClient, long>(
            server.EndPoint(),
            client => plain = new CounterClient(client),
            (counterClient, _) =>
            {
                // Each earlier call of the batch left before this one was made, so the server gets to it (a hang guard,
                // not a timing bound: a queued call would never arrive).
                var earlier = calls.Count;
                var reached = SpinWait.SpinUntil(() => server.Statistics.Requests >= earlier, TimeSpan.FromSeconds(20));
                calls.Add((ReferenceEquals(counterClient, plain), reached));
                return counterClient.AddAsync(1);
            });
        var (connection, runner) = await ConnectAsync(target);

        connection.SendBatch(Rent(runner, 8));

        Assert.Equal(8, calls.Count);
        Assert.All(calls, c => Assert.True(c.Plain && c.EarlierReachedServer, "a call was held back or not made through the plain client"));
        await Answered(runner);
        Assert.Equal(8, counter.Total);
        await connection.DisposeAsync();
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

    private static async Task<(LoadConnection Connection, ConnectionRunner Runner)> ConnectAsync(LoadTarget target)
    {
        var connection = await target.ConnectAsync(new LoadConnectionSettings { Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None);
        return (connection, new ConnectionRunner(connection, measuresLatency: false, maxInFlight: 64));
    }

    private static LoadRequest[] Rent(ConnectionRunner runner, int count)
    {
        var requests = new LoadRequest[count];
        for (var i = 0; i < count; i++)
        {
            Assert.True(runner.TryRent(out requests[i]));
        }

        return requests;
    }

    /// <summary>Waits until every request rented from <paramref name="runner"/> has completed (a hang guard only).</summary>
    private static async Task Answered(ConnectionRunner runner)
    {
        for (var waited = 0; runner.InFlight > 0; waited++)
        {
            Assert.True(waited < 3_000, $"{runner.InFlight} requests never completed");
            await Task.Delay(10);
        }
    }
}
