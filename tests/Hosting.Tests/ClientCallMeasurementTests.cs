using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using TailGuard.Diagnostics;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;

namespace TailGuard.Hosting.Tests;

/// <summary>
/// Every form of client call is measured once, with its outcome, whatever way it ends: awaited, with a callback
/// (<see cref="R2P2Client.TryCall(ReadOnlyMemory{byte}, IR2P2CallCallback, object?, RoutingPolicy, TimeSpan?)"/>),
/// through a batch, by its timer, and by the client's dispose. The call-duration histogram and the active-calls gauge
/// of the client's own meter factory are read with a listener scoped to that factory.
/// </summary>
public sealed class ClientCallMeasurementTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Awaited_callback_and_batched_calls_each_record_one_ok_duration_and_leave_no_call_active()
    {
        using var telemetry = new ClientTelemetry();
        var network = new InMemoryNetwork();
        using var server = new R2P2Server(network.Bind("10.3.0.1:1"), new Echo());
        using var client = new R2P2Client(network.Bind("10.3.0.2:0"), server.LocalAddress, new R2P2ClientOptions { Timeout = s_generous, MeterFactory = telemetry.Factory });

        using (var response = await client.CallAsync(new byte[] { 1, 2, 3 }))
        {
            Assert.Equal(3, response.Payload.Length);
        }

        Assert.Equal(["ok"], telemetry.TakeOutcomes(1));

        var ended = new Ended();
        Assert.True(client.TryCall(new byte[] { 4 }, ended));
        Assert.Equal(R2P2CallStatus.Completed, await ended.Status.Task.WaitAsync(s_generous));
        Assert.Equal(["ok"], telemetry.TakeOutcomes(1));

        var batch = client.CreateBatch();
        Assert.True(batch.TryCallAsync(new byte[] { 5 }, out var first));
        Assert.True(batch.TryCallAsync(new byte[] { 6 }, out var second));
        batch.Flush();
        (await first).Dispose();
        (await second).Dispose();
        Assert.Equal(["ok", "ok"], telemetry.TakeOutcomes(2));
        Assert.Equal(0, telemetry.ActiveCalls);
    }

    [Fact]
    public async Task A_callback_call_nobody_answers_records_a_timeout_and_a_call_in_flight_at_dispose_records_a_failure()
    {
        using var telemetry = new ClientTelemetry();
        var network = new InMemoryNetwork();
        using var nobody = network.Bind("10.3.1.1:1"); // bound, never read: requests go unanswered
        var client = new R2P2Client(network.Bind("10.3.1.2:0"), nobody.LocalAddress, new R2P2ClientOptions { Timeout = s_generous, MeterFactory = telemetry.Factory });
        try
        {
            var ended = new Ended();
            Assert.True(client.TryCall(new byte[] { 1 }, ended, timeout: TimeSpan.FromMilliseconds(50)));
            Assert.Equal(R2P2CallStatus.TimedOut, await ended.Status.Task.WaitAsync(s_generous));
            Assert.Equal(["timeout"], telemetry.TakeOutcomes(1));

            var pending = client.CallAsync(new byte[] { 2 }).AsTask();
            Assert.Equal(1, telemetry.ActiveCalls);
            await client.DisposeAsync();
            await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(s_generous));
            Assert.Equal(["failed"], telemetry.TakeOutcomes(1));
            Assert.Equal(0, telemetry.ActiveCalls);
        }
        finally
        {
            await client.DisposeAsync();
        }
    }

    private sealed class Echo : IR2P2Handler
    {
        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            foreach (var segment in request.Payload)
            {
                response.Write(segment.Span);
            }
        }
    }

    private sealed class Ended : IR2P2CallCallback
    {
        public TaskCompletionSource<R2P2CallStatus> Status { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnCallCompleted(in R2P2CallCompletion completion) => Status.TrySetResult(completion.Status);
    }

    /// <summary>The client call durations and active calls of one meter factory's TailGuard.R2P2 meter.</summary>
    private sealed class ClientTelemetry : IDisposable
    {
        private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        private readonly MeterListener _listener = new();
        private readonly BlockingCollection<string> _outcomes = [];
        private long _activeCalls;

        public ClientTelemetry()
        {
            Factory = _services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == TailGuardTelemetry.R2P2MeterName && ReferenceEquals(instrument.Meter.Scope, Factory)
                    && instrument.Name is "tailguard.r2p2.client.call.duration" or "tailguard.r2p2.client.active_calls")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "outcome")
                    {
                        _outcomes.Add((string)tag.Value!);
                    }
                }
            });
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _activeCalls, value));
            _listener.Start();
        }

        public IMeterFactory Factory { get; }

        public long ActiveCalls => Interlocked.Read(ref _activeCalls);

        /// <summary>The next <paramref name="count"/> outcomes recorded, then checks that no other was.</summary>
        public List<string> TakeOutcomes(int count)
        {
            var taken = new List<string>();
            for (var i = 0; i < count; i++)
            {
                Assert.True(_outcomes.TryTake(out var outcome, s_generous), $"{taken.Count} of {count} call durations recorded");
                taken.Add(outcome!);
            }

            Assert.False(_outcomes.TryTake(out var extra, TimeSpan.FromMilliseconds(100)), $"a call was measured twice: {extra}");
            return taken;
        }

        public void Dispose()
        {
            _listener.Dispose();
            _outcomes.Dispose();
            _services.Dispose();
        }
    }
}
