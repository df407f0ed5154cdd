using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2.Client;

/// <summary>
/// The call forms for load generators: TryCallAsync (false, not an exception, at MaxInFlight), TryCall with a callback
/// (every way a call ends, as a status, exactly once), and batches (first packets leave in one transport send).
/// </summary>
public sealed class ClientCallFormsTests : IDisposable
{
    private static readonly R2P2PayloadWriter<int> WriteTag = static (writer, in tag) =>
    {
        writer.GetSpan(1)[0] = (byte)tag;
        writer.Advance(1);
    };

    private readonly InMemoryNetwork _network = new(seed: 21);
    private readonly RawPeer _server;
    private readonly RecordingTransport _transport;
    private readonly R2P2Client _client;

    public ClientCallFormsTests()
    {
        _server = new RawPeer(_network.Bind("10.0.0.1:9000"));
        _transport = new RecordingTransport(_network.Bind("10.0.0.2:0"));
        _client = new R2P2Client(_transport, _server.Address, new R2P2ClientOptions { MaxInFlight = 2, Timeout = TimeSpan.FromSeconds(30) });
    }

    [Fact]
    public async Task TryCallAsync_returns_false_at_MaxInFlight_without_writing_or_sending_and_true_once_a_call_ends()
    {
        Assert.True(_client.TryCallAsync("a"u8.ToArray(), out var first));
        Assert.True(_client.TryCallAsync("b"u8.ToArray(), out var second));
        var requests = new[] { _server.Receive(), _server.Receive() };

        var writes = 0;
        Assert.False(_client.TryCallAsync(in writes, static (IBufferWriter<byte> w, in int _) => throw new InvalidOperationException("the writer of a refused call ran"), out var refused));
        Assert.Equal(default, refused);
        Assert.False(_client.TryCallAsync("c"u8.ToArray(), out _, RoutingPolicy.Fixed, TimeSpan.FromSeconds(1)));
        Assert.False(_server.TryReceive(TimeSpan.FromMilliseconds(50), out _));
        Assert.Equal(2, _client.Statistics.InFlightLimitRefusals);
        Assert.Equal(2, _client.Statistics.Requests);

        _server.Send(requests[0].Source, Wire.Packet(Wire.Response, Wire.OnePacket, requests[0].RequestId, 1, "A"u8));
        using (var response = await first.AsTask().WaitAsync(Payloads.Generous))
        {
            Assert.Equal("A"u8.ToArray(), Payloads.ToArray(response.Payload));
        }

        Assert.True(_client.TryCallAsync("d"u8.ToArray(), out var third));
        Assert.Equal("d"u8.ToArray(), _server.Receive().Payload);
        GC.KeepAlive(second);
        GC.KeepAlive(third);
    }

    [Fact]
    public async Task CallAsync_still_throws_at_MaxInFlight_and_counts_the_refusal()
    {
        var first = _client.CallAsync("a"u8.ToArray()).AsTask();
        var second = _client.CallAsync("b"u8.ToArray()).AsTask();

        var error = Assert.Throws<InvalidOperationException>(() => { _ = _client.CallAsync("c"u8.ToArray()).AsTask(); });
        Assert.Contains("MaxInFlight", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _client.Statistics.InFlightLimitRefusals);
        Assert.False(first.IsCompleted || second.IsCompleted);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task TryCallAsync_with_a_cancelled_token_starts_nothing_and_returns_a_cancelled_call()
    {
        Assert.True(_client.TryCallAsync("x"u8.ToArray(), out var call, cancellationToken: new CancellationToken(canceled: true)));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.AsTask());
        Assert.False(_server.TryReceive(TimeSpan.FromMilliseconds(50), out _));
    }

    [Fact]
    public async Task A_callback_gets_the_response_its_state_and_the_calls_rid_on_the_receive_loop_and_the_call_is_recycled()
    {
        var callback = new RecordingCallback();
        var state = new object();

        Assert.True(_client.TryCall(7, WriteTag, callback, state));
        var request = _server.Receive();
        Assert.Equal([7], request.Payload);
        _server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "seven"u8));

        var completion = await callback.Next();
        Assert.Equal(R2P2CallStatus.Completed, completion.Status);
        Assert.True(completion.Succeeded);
        Assert.Equal("seven"u8.ToArray(), completion.Payload);
        Assert.Same(state, completion.State);
        Assert.Equal(request.RequestId, completion.RequestId);
        Assert.StartsWith("R2P2 client", completion.Thread, StringComparison.Ordinal);
        await Eventually(() => _client.InFlightCount == 0, "the call out of flight");
        Assert.Equal(1, _client.Statistics.Responses);
    }

    [Fact]
    public async Task A_callback_learns_of_a_timeout_as_a_status_once()
    {
        var callback = new RecordingCallback();

        Assert.True(_client.TryCall("t"u8.ToArray(), callback, timeout: TimeSpan.FromMilliseconds(50)));
        _server.Receive();

        var completion = await callback.Next();
        Assert.Equal(R2P2CallStatus.TimedOut, completion.Status);
        Assert.False(completion.Succeeded);
        Assert.Empty(completion.Payload);
        Assert.Equal(1, _client.Statistics.Timeouts);
        Assert.False(callback.TryNext(TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task A_callback_learns_of_a_malformed_response()
    {
        var callback = new RecordingCallback();
        Assert.True(_client.TryCall("m"u8.ToArray(), callback));
        var request = _server.Receive();

        // A three-packet response whose second packet is missing: a gap fails the call.
        _server.Send(request.Source, Wire.Packet(Wire.Response, Wire.First, request.RequestId, 3, "a"u8));
        _server.Send(request.Source, Wire.Packet(Wire.Response, Wire.Last, request.RequestId, 2, "c"u8));

        Assert.Equal(R2P2CallStatus.MalformedResponse, (await callback.Next()).Status);
        Assert.Equal(1, _client.Statistics.MalformedResponses);
    }

    [Fact]
    public async Task A_callback_learns_of_a_drop()
    {
        using var server = new R2P2Server(_network.Bind("10.0.0.5:0"), new EchoHandler(), new R2P2ServerOptions { AdmissionPolicy = new MaxInFlightAdmissionPolicy(0) });
        using var client = new R2P2Client(_network.Bind("10.0.0.6:0"), server.LocalAddress);
        var callback = new RecordingCallback();

        Assert.True(client.TryCall("d"u8.ToArray(), callback));

        Assert.Equal(R2P2CallStatus.Dropped, (await callback.Next()).Status);
        Assert.Equal(1, client.Statistics.Drops);
    }

    [Fact]
    public async Task A_callback_learns_the_send_failed_before_TryCall_returns_and_the_call_is_out_of_flight()
    {
        var callback = new RecordingCallback();
        _transport.FailSends = true;

        Assert.True(_client.TryCall("s"u8.ToArray(), callback));

        Assert.True(callback.TryNext(TimeSpan.Zero, out var completion), "the send failure was not told before TryCall returned");
        Assert.Equal(R2P2CallStatus.SendFailed, completion.Status);
        Assert.Equal(0, _client.InFlightCount);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Disposing_the_client_ends_callback_calls_in_flight_with_ClientDisposed()
    {
        var callback = new RecordingCallback();
        Assert.True(_client.TryCall("a"u8.ToArray(), callback));
        Assert.True(_client.TryCall("b"u8.ToArray(), callback));

        _client.Dispose();

        Assert.Equal([R2P2CallStatus.ClientDisposed, R2P2CallStatus.ClientDisposed], new[] { (await callback.Next()).Status, (await callback.Next()).Status });
        Assert.False(callback.TryNext(TimeSpan.FromMilliseconds(50)));
        Assert.Throws<ObjectDisposedException>(() => _client.TryCall("c"u8.ToArray(), callback));
    }

    [Fact]
    public async Task TryCall_returns_false_at_MaxInFlight_and_never_runs_that_callback()
    {
        var callback = new RecordingCallback();
        Assert.True(_client.TryCall("a"u8.ToArray(), callback));
        Assert.True(_client.TryCall("b"u8.ToArray(), callback));

        Assert.False(_client.TryCall("c"u8.ToArray(), callback, "refused"));

        var requests = new[] { _server.Receive(), _server.Receive() };
        foreach (var request in requests)
        {
            _server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "r"u8));
        }

        var ended = new[] { await callback.Next(), await callback.Next() };
        Assert.All(ended, c => Assert.Null(c.State));
        Assert.False(callback.TryNext(TimeSpan.FromMilliseconds(50)));
        Assert.Equal(1, _client.Statistics.InFlightLimitRefusals);
    }

    [Fact]
    public async Task A_throwing_callback_is_counted_and_reported_and_the_client_goes_on()
    {
        var reported = new ConcurrentQueue<Exception>();
        _client.CallbackFailed += (_, error) => reported.Enqueue(error);
        var throwing = new RecordingCallback { Throw = true };

        Assert.True(_client.TryCall("a"u8.ToArray(), throwing));
        var request = _server.Receive();
        _server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "r"u8));
        await Eventually(() => _client.Statistics.CallbackFailures == 1, "the failure counted");

        Assert.Equal("callback bug", Assert.Single(reported).Message);
        Assert.Equal(0, _client.InFlightCount);
        var callback = new RecordingCallback();
        Assert.True(_client.TryCall("b"u8.ToArray(), callback));
        var next = _server.Receive();
        _server.Send(next.Source, Wire.Packet(Wire.Response, Wire.OnePacket, next.RequestId, 1, "fine"u8));
        Assert.Equal("fine"u8.ToArray(), (await callback.Next()).Payload);
    }

    [Fact]
    public void A_callback_call_refuses_a_null_callback_and_a_bad_timeout()
    {
        Assert.Throws<ArgumentNullException>(() => _client.TryCall("a"u8.ToArray(), null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => _client.TryCall("a"u8.ToArray(), new RecordingCallback(), timeout: TimeSpan.Zero));
        Assert.Equal(0, _client.InFlightCount);
    }

    [Fact]
    public async Task Calls_in_a_batch_leave_together_in_one_send_at_Flush()
    {
        using var server = new R2P2Server(_network.Bind("10.0.0.7:0"), new EchoHandler());
        var transport = new RecordingTransport(_network.Bind("10.0.0.8:0"));
        using var client = new R2P2Client(transport, server.LocalAddress);
        var batch = client.CreateBatch(8);
        var callback = new RecordingCallback();

        Assert.True(batch.TryCall(1, WriteTag, callback, "one"));
        Assert.True(batch.TryCall("two"u8.ToArray(), callback, "two"));
        Assert.True(batch.TryCallAsync("three"u8.ToArray(), out var three));
        var four = batch.CallAsync(4, WriteTag);
        Assert.Equal(4, batch.Count);
        Assert.Equal(4, client.InFlightCount);
        Assert.Empty(transport.SendBatches); // nothing left yet

        batch.Flush();

        Assert.Equal(0, batch.Count);
        Assert.Equal([4], transport.SendBatches.ToArray());
        var states = new[] { (await callback.Next()).State, (await callback.Next()).State };
        Assert.Equal(["one", "two"], states.Cast<string>().Order());
        using (var response = await three.AsTask().WaitAsync(Payloads.Generous))
        {
            Assert.Equal("three"u8.ToArray(), Payloads.ToArray(response.Payload));
        }

        using (var response = await four.AsTask().WaitAsync(Payloads.Generous))
        {
            Assert.Equal([4], Payloads.ToArray(response.Payload));
        }

        batch.Flush(); // empty: nothing more is sent
        Assert.Single(transport.SendBatches);
    }

    [Fact]
    public async Task A_full_batch_flushes_itself_before_taking_one_more()
    {
        using var server = new R2P2Server(_network.Bind("10.0.0.9:0"), new EchoHandler());
        var transport = new RecordingTransport(_network.Bind("10.0.0.10:0"));
        using var client = new R2P2Client(transport, server.LocalAddress);
        var batch = client.CreateBatch(2);
        var callback = new RecordingCallback();

        for (var i = 0; i < 5; i++)
        {
            Assert.True(batch.TryCall(i, WriteTag, callback));
        }

        batch.Flush();

        Assert.Equal([2, 2, 1], transport.SendBatches.ToArray());
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(R2P2CallStatus.Completed, (await callback.Next()).Status);
        }
    }

    [Fact]
    public async Task A_batch_refuses_at_MaxInFlight_without_queueing_and_a_failed_flush_ends_its_calls_as_unsent()
    {
        var batch = _client.CreateBatch();
        var callback = new RecordingCallback();
        Assert.True(batch.TryCall("a"u8.ToArray(), callback, "a"));
        Assert.True(batch.TryCallAsync("b"u8.ToArray(), out var awaited));

        Assert.False(batch.TryCall("c"u8.ToArray(), callback));
        Assert.False(batch.TryCallAsync("d"u8.ToArray(), out _));
        Assert.Throws<InvalidOperationException>(() => { _ = batch.CallAsync("e"u8.ToArray()).AsTask(); });
        Assert.Equal(2, batch.Count);

        _transport.FailSends = true;
        batch.Flush();

        Assert.Equal(R2P2CallStatus.SendFailed, (await callback.Next()).Status);
        var error = await Assert.ThrowsAsync<R2P2Exception>(() => awaited.AsTask().WaitAsync(Payloads.Generous));
        Assert.IsType<System.IO.IOException>(error.InnerException);
        Assert.Equal(0, _client.InFlightCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => _client.CreateBatch(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _client.CreateBatch(1025));
    }

    [Fact]
    public async Task Reading_a_pending_calls_result_throws_without_disturbing_the_call()
    {
        var call = _client.CallAsync("p"u8.ToArray());
        var request = _server.Receive();

        var error = Assert.Throws<InvalidOperationException>(() => call.Result);
        Assert.Contains("await", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _client.InFlightCount);

        _server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "ok"u8));
        using var response = await call.AsTask().WaitAsync(Payloads.Generous);
        Assert.Equal("ok"u8.ToArray(), Payloads.ToArray(response.Payload));
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    /// <summary>A completion copied out of the callback (its payload is valid only while the callback runs).</summary>
    private readonly record struct Completed(R2P2CallStatus Status, bool Succeeded, byte[] Payload, ushort RequestId, object? State, string Thread);

    private sealed class RecordingCallback : IR2P2CallCallback
    {
        private readonly BlockingCollection<Completed> _completed = [];

        public bool Throw { get; init; }

        public void OnCallCompleted(in R2P2CallCompletion completion)
        {
            _completed.Add(new Completed(completion.Status, completion.Succeeded, completion.Payload.ToArray(), completion.RequestId, completion.State, System.Threading.Thread.CurrentThread.Name ?? string.Empty));
            if (Throw)
            {
                throw new InvalidOperationException("callback bug");
            }
        }

        public Task<Completed> Next() => Task.Run(() =>
        {
            Assert.True(_completed.TryTake(out var completed, Payloads.Generous), "no call ended in time");
            return completed;
        });

        public bool TryNext(TimeSpan wait) => _completed.TryTake(out _, wait);

        public bool TryNext(TimeSpan wait, out Completed completed) => _completed.TryTake(out completed, wait);
    }
}
