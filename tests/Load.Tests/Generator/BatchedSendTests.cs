using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TailGuard.Load.Tests.Generator;

/// <summary>
/// Batched sends (docs/load.md, "Batched sends"): requests a sending thread finds due together leave in one
/// <see cref="LoadConnection.SendBatch"/> per connection, each keeping its scheduled time, so latency is still measured
/// from when a request was due and the lateness a batch costs is reported and judged, not hidden. A stalled sender (the
/// generator's own stall option) makes batches on any machine: a busy one only makes them larger.
/// </summary>
[Collection(nameof(LoadMeasurement))]
public sealed class BatchedSendTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Requests_found_due_together_leave_in_one_batch_each_keeping_its_scheduled_time()
    {
        await using var target = new RecordingTarget(TimeSpan.FromMilliseconds(1));
        var options = Stalling(maxSendBatch: 8);
        await using var generator = await LoadGenerator.ConnectAsync(target, options);
        var point = await generator.RunOpenLoopAsync(2_000);
        var sends = target.Sends;
        Report(point, sends);

        // A 20 ms stall leaves about 40 requests due: they go out in batches of at most 8, none alone.
        var batches = sends.Where(s => s.Batched).ToList();
        Assert.NotEmpty(batches);
        Assert.All(sends, s => Assert.InRange(s.Scheduled.Length, 1, options.MaxSendBatch));
        Assert.Contains(batches, b => b.Scheduled.Length == options.MaxSendBatch);
        foreach (var send in sends)
        {
            // Never early, in schedule order, each request its own time: nothing is re-stamped to the batch's.
            Assert.All(send.Scheduled, s => Assert.True(s <= send.At, "a request left before its scheduled time"));
            for (var i = 1; i < send.Scheduled.Length; i++)
            {
                Assert.True(send.Scheduled[i] > send.Scheduled[i - 1], "a batch's requests out of schedule order, or stamped alike");
            }
        }

        // Latency from the scheduled time: the target answers 1 ms after the batch left, so requests that waited in a
        // stall carry the wait (a latency taken from the batch's departure would be 1 ms for all).
        Assert.True(point.Latency.MicrosecondsAtRank(1) >= 999, $"fastest {point.Latency.MicrosecondsAtRank(1)} us");
        Assert.True(point.Percentile(90).Microseconds >= 5_000, $"p90 {point.Percentile(90).Microseconds} us hides the stalls");
        Assert.Equal(point.Sent, point.Ok);

        // The sender's health counts them: every batched request of the window, in as many batches as were made.
        var health = point.Sender!;
        Assert.True(health.BatchedSends > health.Batches && health.Batches > 0, health.ToString());
        Assert.True(health.BatchedSends <= batches.Sum(b => b.Scheduled.Length), health.ToString());
        Assert.Contains($"{health.BatchedSends} requests sent in {health.Batches} batches", health.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_limit_of_one_sends_every_request_alone()
    {
        await using var target = new RecordingTarget(TimeSpan.FromMilliseconds(1));
        await using var generator = await LoadGenerator.ConnectAsync(target, Stalling(maxSendBatch: 1));
        var point = await generator.RunOpenLoopAsync(2_000);
        var sends = target.Sends;
        Report(point, sends);

        Assert.DoesNotContain(sends, s => s.Batched);
        Assert.Equal(0, point.Sender!.BatchedSends);
        Assert.True(point.Percentile(90).Microseconds >= 5_000, $"p90 {point.Percentile(90).Microseconds} us hides the stalls");
    }

    [Fact]
    public async Task A_send_window_gathers_requests_and_the_lateness_it_costs_is_judged_not_hidden()
    {
        await using var target = new RecordingTarget(TimeSpan.Zero);
        await using var generator = await LoadGenerator.ConnectAsync(target, new LoadGeneratorOptions
        {
            Connections = 1,
            LatencyConnections = 1,
            WarmUp = TimeSpan.FromMilliseconds(200),
            Duration = TimeSpan.FromSeconds(1),
            Distribution = InterArrivalDistribution.Fixed,
            Seed = 5,
            SendWindow = TimeSpan.FromMilliseconds(1),
            MaxSendBatch = 32,
        });

        // Every 500 us, held up to 1 ms: the first request of a batch waits for the next two (a late sender only gathers more).
        var point = await generator.RunOpenLoopAsync(2_000);
        var sends = target.Sends;
        Report(point, sends);

        var requests = sends.Sum(s => s.Scheduled.Length);
        var batched = sends.Where(s => s.Batched).Sum(s => s.Scheduled.Length);
        Assert.True(batched >= requests * 0.9, $"{batched} of {requests} requests left in batches");

        // The window's wait is the requests' lateness and their latency (0 at the target): a median of about 500 us.
        Assert.True(point.SendLateness.Estimate(50).Microseconds >= 400, $"lateness p50 {point.SendLateness.Estimate(50).Microseconds} us");
        Assert.True(point.Percentile(50).Microseconds >= 400, $"latency p50 {point.Percentile(50).Microseconds} us");
        var lateness = point.Checks.Single(c => c.Name == CheckNames.Lateness);
        Assert.Equal(CheckStatus.Failed, lateness.Status); // a 1 ms window is beyond the 100 us limit, and the check says so
        Assert.False(point.Passed);
    }

    [Fact]
    public async Task A_batch_that_throws_fails_the_requests_it_did_not_complete_each_once()
    {
        await using var target = new RecordingTarget(TimeSpan.Zero, throwAfterFirst: true);
        await using var generator = await LoadGenerator.ConnectAsync(target, Stalling(maxSendBatch: 8));
        var point = await generator.RunOpenLoopAsync(2_000);
        Report(point, target.Sends);

        // The connection completes a batch's first request and throws: the generator ends the rest as failures, and the
        // completed one is not counted twice.
        Assert.True(point.Failures > 0, $"{point.Failures} failures");
        Assert.True(point.Ok > 0, $"{point.Ok} ok");
        Assert.Equal(point.Sent, point.Ok + point.Failures);
        Assert.Equal(point.Sent - point.Sender!.BatchedSends + point.Sender.Batches, point.Ok);
    }

    [Fact]
    public async Task An_R2P2_batch_larger_than_the_clients_room_fails_the_calls_it_refuses_and_sends_the_rest()
    {
        // A server that never answers keeps every started call in flight. The client has room for 1 + 16 calls (the
        // target adds 16 to the generator's limit); a batch of 40 starts 17 and fails the other 23 at once.
        using var silent = TailGuard.R2P2.UdpTransport.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        await using var target = new R2P2EchoTarget(silent.LocalAddress.ToEndPoint(), 64, new R2P2TargetOptions { KernelTimestamps = false });
        var connection = await target.ConnectAsync(new LoadConnectionSettings { MaxInFlight = 1, Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None);
        var runner = new TailGuard.Load.Generator.ConnectionRunner(connection, measuresLatency: false, maxInFlight: 40);
        var batch = new LoadRequest[40];
        for (var i = 0; i < batch.Length; i++)
        {
            Assert.True(runner.TryRent(out batch[i]));
        }

        connection.SendBatch(batch);
        Assert.Equal(17, runner.InFlight); // the refused 23 completed (and went back to the pool) before SendBatch returned

        await connection.DisposeAsync();
        Assert.Equal(0, runner.InFlight); // the 17 end when the client goes; none is lost or ends twice
    }

    [Fact]
    public void The_batch_limit_and_the_send_window_are_bounded()
    {
        var server = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadGenerator.ConnectAsync(new R2P2EchoTarget(server, 8), new LoadGeneratorOptions { MaxSendBatch = 0 }).GetAwaiter().GetResult());
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadGenerator.ConnectAsync(new R2P2EchoTarget(server, 8), new LoadGeneratorOptions { MaxSendBatch = 1025 }).GetAwaiter().GetResult());
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadGenerator.ConnectAsync(new R2P2EchoTarget(server, 8), new LoadGeneratorOptions { SendWindow = TimeSpan.FromMicroseconds(-1) }).GetAwaiter().GetResult());
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadGenerator.ConnectAsync(new R2P2EchoTarget(server, 8), new LoadGeneratorOptions { SendWindow = TimeSpan.FromMilliseconds(11) }).GetAwaiter().GetResult());
    }

    [Fact]
    public void Agents_run_with_the_coordinators_batch_limit_and_send_window()
    {
        var settings = Distributed.AgentSettings.From(new LoadGeneratorOptions { MaxSendBatch = 7, SendWindow = TimeSpan.FromMicroseconds(30) }, agentIndex: 1);
        var json = System.Text.Json.JsonSerializer.Serialize(settings);
        var options = System.Text.Json.JsonSerializer.Deserialize<Distributed.AgentSettings>(json)!.ToOptions();
        Assert.Equal(7, options.MaxSendBatch);
        Assert.Equal(TimeSpan.FromMicroseconds(30), options.SendWindow);

        // A coordinator that predates batching says nothing: the agent keeps the defaults rather than an invalid 0.
        var silent = System.Text.Json.JsonSerializer.Deserialize<Distributed.AgentSettings>("{\"Distribution\":\"Exponential\"}")!.ToOptions();
        Assert.Equal(new LoadGeneratorOptions().MaxSendBatch, silent.MaxSendBatch);
        Assert.Equal(TimeSpan.Zero, silent.SendWindow);
    }

    /// <summary>Two connections, one sender stalled 20 ms every 100 ms: about 40 requests fall due at once after each stall.</summary>
    private static LoadGeneratorOptions Stalling(int maxSendBatch) => new()
    {
        Connections = 2,
        LatencyConnections = 2,
        WarmUp = TimeSpan.Zero,
        Duration = TimeSpan.FromSeconds(1),
        Seed = 11,
        MaxSendBatch = maxSendBatch,
        SenderStall = TimeSpan.FromMilliseconds(20),
        SenderStallInterval = TimeSpan.FromMilliseconds(100),
    };

    private void Report(LoadPointResult point, IReadOnlyList<RecordedSend> sends)
        => output.WriteLine($"sent {point.Sent}, ok {point.Ok}, failed {point.Failures}; {sends.Count} sends to connections, {sends.Count(s => s.Batched)} batches (largest {sends.Max(s => s.Scheduled.Length)}); lateness p50 {point.SendLateness.Estimate(50).Microseconds:0.#} us; senders {point.Sender}");

    /// <summary>One call the generator made on a connection: the scheduled times of its requests and when it was made.</summary>
    private sealed record RecordedSend(bool Batched, long[] Scheduled, long At);

    /// <summary>
    /// Records every Send and SendBatch, and answers each request <c>delay</c> after the call that carried it. With
    /// <c>throwAfterFirst</c>, a batch completes its first request and then throws.
    /// </summary>
    private sealed class RecordingTarget(TimeSpan delay, bool throwAfterFirst = false) : LoadTarget
    {
        private readonly List<RecordedSend> _sends = [];

        public override string Name => "recording://test";

        public IReadOnlyList<RecordedSend> Sends
        {
            get
            {
                lock (_sends)
                {
                    return _sends.ToList();
                }
            }
        }

        public override ValueTask<LoadConnection> ConnectAsync(LoadConnectionSettings settings, CancellationToken cancellationToken)
            => ValueTask.FromResult<LoadConnection>(new Connection(this));

        private void Record(bool batched, ReadOnlySpan<LoadRequest> requests, long at)
        {
            var scheduled = new long[requests.Length];
            for (var i = 0; i < requests.Length; i++)
            {
                scheduled[i] = requests[i].ScheduledTimestamp;
            }

            lock (_sends)
            {
                _sends.Add(new RecordedSend(batched, scheduled, at));
            }
        }

        private sealed class Connection(RecordingTarget target) : LoadConnection
        {
            private readonly long _delayTicks = (long)(target.Delay.TotalSeconds * Stopwatch.Frequency);

            public override TimestampSource ReceiveTimestamps => TimestampSource.MonotonicClock;

            public override void Send(LoadRequest request)
            {
                var at = Stopwatch.GetTimestamp();
                target.Record(false, new ReadOnlySpan<LoadRequest>(ref request), at);
                request.Complete(LoadOutcome.Ok, at + _delayTicks);
            }

            public override void SendBatch(ReadOnlySpan<LoadRequest> requests)
            {
                var at = Stopwatch.GetTimestamp();
                target.Record(true, requests, at);
                foreach (var request in requests)
                {
                    request.Complete(LoadOutcome.Ok, at + _delayTicks);
                    if (target.ThrowAfterFirst)
                    {
                        throw new InvalidOperationException("a connection that fails mid-batch");
                    }
                }
            }

            public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }

        private TimeSpan Delay => delay;

        private bool ThrowAfterFirst => throwAfterFirst;
    }
}
