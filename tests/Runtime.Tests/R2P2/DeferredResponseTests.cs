using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2;

/// <summary>
/// Deferred responses (docs/r2p2.md, "Deferred responses"): a handler defers, something else answers later from any
/// thread, exactly once. Unanswered handles are released at the deadline, late and second answers are ignored and
/// counted, and the admission of each request is released once, naming its rid and client.
/// </summary>
public abstract class DeferredResponseTests(TestNetwork network) : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);
    private readonly List<IDisposable> _owned = [];
    private readonly RecordingAdmissionPolicy _admission = new();
    private readonly DeferringHandler _handler = new();

    [Fact]
    public async Task A_deferred_request_is_answered_from_another_thread()
    {
        var server = Server();
        var client = Client(server.LocalAddress);

        var call = client.CallAsync("ping"u8.ToArray());
        var deferred = _handler.Next();
        var answered = await Task.Run(() => deferred.Handle.TrySend("pong"u8)).WaitAsync(Payloads.Generous);
        using var response = await call.AsTask().WaitAsync(Payloads.Generous);

        Assert.True(answered);
        Assert.Equal("pong"u8.ToArray(), Payloads.ToArray(response.Payload));
        Assert.False(deferred.Handle.IsPending);
        Assert.Equal(1, server.Statistics.DeferredResponses);
        Assert.Equal(1, server.Statistics.Responses);
        Assert.Equal(0, server.PendingResponses);
        Assert.Equal([(deferred.RequestId, client.LocalAddress)], _admission.Released);
        Assert.Equal(client.LocalAddress, deferred.Client);
    }

    [Fact]
    public void What_the_handler_wrote_before_deferring_is_not_sent()
    {
        var server = Server();
        var peer = Peer();

        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 7, 1, "q"u8));
        var deferred = _handler.Next();
        Assert.False(peer.TryReceive(Quiet, out _), "the handler's synchronous writing was sent");
        Assert.True(deferred.Handle.TrySend("later"u8));

        Assert.Equal(Wire.Packet(Wire.Response, Wire.OnePacket, 7, 1, "later"u8), peer.Receive().Bytes);
        Assert.False(peer.TryReceive(Quiet, out _), "more than one response");
    }

    [Fact]
    public void A_second_answer_is_ignored_and_counted_and_only_one_response_leaves()
    {
        var server = Server();
        var peer = Peer();

        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 8, 1, "q"u8));
        var deferred = _handler.Next();
        var copy = deferred.Handle;

        Assert.True(deferred.Handle.TrySend("first"u8));
        Assert.False(copy.TrySend("second"u8));
        Assert.False(copy.TrySend(0, static (IBufferWriter<byte> writer, in int _) => writer.Write("third"u8)));

        Assert.Equal("first"u8.ToArray(), peer.Receive().Payload);
        Assert.False(peer.TryReceive(Quiet, out _), "a second answer left");
        Assert.Equal(2, server.Statistics.LateResponses);
        Assert.Single(_admission.Released);
    }

    [Fact]
    public void A_stale_handle_never_answers_the_request_that_reused_its_slot()
    {
        var server = Server(new R2P2ServerOptions { AdmissionPolicy = _admission, MaxDeferredResponses = 1, ResponseTimeout = Payloads.Generous });
        var peer = Peer();
        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 20, 1, "a"u8));
        var first = _handler.Next();
        Assert.True(first.Handle.TrySend("a"u8));
        Assert.Equal(20, peer.Receive().RequestId);

        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 21, 1, "b"u8)); // the one slot again
        var second = _handler.Next();

        Assert.NotEqual(first.Handle, second.Handle);
        Assert.False(first.Handle.IsPending);
        Assert.False(first.Handle.TrySend("stale"u8));
        Assert.True(second.Handle.IsPending);
        Assert.False(peer.TryReceive(Quiet, out _), "a stale handle answered the next request");
        Assert.True(second.Handle.TrySend("b"u8));
        Assert.Equal(Wire.Packet(Wire.Response, Wire.OnePacket, 21, 1, "b"u8), peer.Receive().Bytes);
    }

    [Fact]
    public async Task A_request_never_answered_is_released_at_its_deadline_and_a_later_answer_is_ignored()
    {
        var server = Server(new R2P2ServerOptions { AdmissionPolicy = _admission, ResponseTimeout = TimeSpan.FromMilliseconds(150) });
        var peer = Peer();

        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 9, 1, "q"u8));
        var deferred = _handler.Next();
        await Eventually(() => server.Statistics.ExpiredResponses == 1);

        Assert.Equal(0, server.PendingResponses);
        Assert.False(deferred.Handle.IsPending);
        Assert.Equal([((ushort)9, peer.Address)], _admission.Released);
        Assert.Equal(0, _admission.TotalInFlight);
        Assert.False(deferred.Handle.TrySend("too late"u8));
        Assert.Equal(1, server.Statistics.LateResponses);
        Assert.False(peer.TryReceive(Quiet, out _), "an expired request was answered");
    }

    [Fact]
    public async Task An_answer_after_the_client_gave_up_is_sent_and_the_client_drops_it()
    {
        var server = Server(new R2P2ServerOptions { AdmissionPolicy = _admission, ResponseTimeout = Payloads.Generous });
        var client = Client(server.LocalAddress, new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(100) });

        var call = client.CallAsync("q"u8.ToArray());
        var deferred = _handler.Next();
        await Assert.ThrowsAsync<R2P2TimeoutException>(() => call.AsTask().WaitAsync(Payloads.Generous));
        Assert.True(deferred.Handle.TrySend("late"u8));

        await Eventually(() => client.Statistics.MalformedDatagrams == 1);
        Assert.Equal(0, client.Statistics.Responses);
        Assert.Equal(0, client.InFlightCount);
        Assert.Equal(0, server.PendingResponses);
    }

    [Fact]
    public async Task A_multi_packet_request_is_answered_later_with_a_multi_packet_response_from_a_writer()
    {
        var server = Server();
        var client = Client(server.LocalAddress);
        var payload = Payloads.Make(6000, tag: 3);

        var call = client.CallAsync(payload);
        var deferred = _handler.Next();
        Assert.Equal(payload, deferred.Payload); // copied by the handler before it returned
        var reply = Payloads.Make(5000, tag: 4);
        Assert.True(deferred.Handle.TrySend(reply, static (IBufferWriter<byte> writer, in byte[] bytes) => writer.Write(bytes)));
        using var response = await call.AsTask().WaitAsync(Payloads.Generous);

        Assert.Equal(reply, Payloads.ToArray(response.Payload));
    }

    [Fact]
    public async Task A_writer_that_throws_sends_nothing_propagates_and_releases_the_request()
    {
        var server = Server();
        var client = Client(server.LocalAddress, new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(300) });

        var call = client.CallAsync("q"u8.ToArray());
        var deferred = _handler.Next();

        Assert.Throws<FormatException>(() => deferred.Handle.TrySend(0, static (IBufferWriter<byte> _, in int _) => throw new FormatException("bad answer")));
        await Assert.ThrowsAsync<R2P2TimeoutException>(() => call.AsTask().WaitAsync(Payloads.Generous));
        Assert.False(deferred.Handle.IsPending);
        Assert.False(deferred.Handle.TrySend("retry"u8));
        Assert.Equal(1, server.Statistics.HandlerFailures);
        Assert.Single(_admission.Released);
        Assert.Equal(0, server.PendingResponses);
    }

    [Fact]
    public async Task Stopping_the_server_releases_what_waits_and_ignores_answers_after()
    {
        var server = Server();
        var peer = Peer();
        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 10, 1, "q"u8));
        var deferred = _handler.Next();

        await server.DisposeAsync();

        Assert.Equal(1, server.Statistics.ExpiredResponses);
        Assert.Single(_admission.Released);
        Assert.False(deferred.Handle.TrySend("after"u8));
        Assert.Equal(1, server.Statistics.LateResponses);
    }

    [Fact]
    public async Task A_full_table_makes_defer_fail_the_handler_and_the_request_is_released()
    {
        var server = Server(new R2P2ServerOptions { AdmissionPolicy = _admission, MaxDeferredResponses = 1, ResponseTimeout = Payloads.Generous });
        var peer = Peer();

        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 11, 1, "a"u8));
        var held = _handler.Next();
        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 12, 1, "b"u8));
        var error = _handler.NextFailure();

        Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("MaxDeferredResponses", error.Message, StringComparison.Ordinal);
        await Eventually(() => server.Statistics.HandlerFailures == 1);
        Assert.Equal([((ushort)12, peer.Address)], _admission.Released);
        Assert.True(held.Handle.TrySend("a"u8));
        Assert.Equal(11, peer.Receive().RequestId);
    }

    [Fact]
    public async Task A_per_client_admission_policy_gets_each_clients_slot_back_when_its_deferred_request_is_answered()
    {
        var perClient = new RecordingAdmissionPolicy(perClientLimit: 1);
        var server = Server(new R2P2ServerOptions { AdmissionPolicy = perClient, ResponseTimeout = Payloads.Generous });
        var a = Client(server.LocalAddress);
        var b = Client(server.LocalAddress);

        var first = a.CallAsync("a1"u8.ToArray());
        var held = _handler.Next();
        await Assert.ThrowsAsync<R2P2DroppedException>(() => a.CallAsync("a2"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
        var other = b.CallAsync("b1"u8.ToArray());
        Assert.True(_handler.Next().Handle.TrySend("b"u8));
        using (await other.AsTask().WaitAsync(Payloads.Generous))
        {
        }

        Assert.Equal(1, perClient.InFlight(a.LocalAddress));
        Assert.True(held.Handle.TrySend("a"u8));
        using (await first.AsTask().WaitAsync(Payloads.Generous))
        {
        }

        var again = a.CallAsync("a3"u8.ToArray());
        Assert.True(_handler.Next().Handle.TrySend("a3"u8));
        using var last = await again.AsTask().WaitAsync(Payloads.Generous);
        Assert.Equal("a3"u8.ToArray(), Payloads.ToArray(last.Payload));
        Assert.Contains((held.RequestId, a.LocalAddress), perClient.Released);
    }

    [Fact]
    public void Defer_is_refused_twice_after_the_handler_returned_and_outside_a_server()
    {
        var server = Server();
        var peer = Peer();
        _handler.DeferTwice = true;

        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 13, 1, "q"u8));
        var deferred = _handler.Next();

        Assert.IsType<InvalidOperationException>(_handler.NextFailure()); // the second Defer, caught by the handler
        Assert.Throws<InvalidOperationException>(() => deferred.Request.Defer()); // a copy, after the handler returned
        Assert.True(deferred.Request.CanDefer);
        Assert.False(new R2P2Request(default, 1, RoutingPolicy.Fixed).CanDefer);
        Assert.Throws<InvalidOperationException>(() => new R2P2Request(default, 1, RoutingPolicy.Fixed).Defer());
        Assert.Throws<InvalidOperationException>(() => default(R2P2ResponseHandle).TrySend("x"u8));
        Assert.False(default(R2P2ResponseHandle).IsPending);
        Assert.True(deferred.Handle.TrySend("ok"u8));
        Assert.Equal("ok"u8.ToArray(), peer.Receive().Payload);
    }

    [Fact]
    public async Task Many_requests_answered_concurrently_from_several_threads_each_get_their_own_answer()
    {
        var server = Server();
        var client = Client(server.LocalAddress);
        using var stop = new CancellationTokenSource();
        var answerers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            while (_handler.TryNext(stop.Token, out var deferred))
            {
                Assert.True(deferred.Handle.TrySend(deferred.Payload, static (IBufferWriter<byte> writer, in byte[] bytes) => writer.Write(bytes)));
            }
        })).ToArray();

        var calls = Enumerable.Range(0, 200).Select(async i =>
        {
            var payload = Payloads.Make(i % 5 == 0 ? 3000 : 20, tag: i);
            using var response = await client.CallAsync(payload);
            Assert.Equal(payload, Payloads.ToArray(response.Payload));
        });
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(answerers).WaitAsync(Payloads.Generous);

        Assert.Equal(200, server.Statistics.DeferredResponses);
        Assert.Equal(200, _admission.Released.Count);
        Assert.Equal(0, server.PendingResponses);
        Assert.Equal(0, server.Statistics.LateResponses);
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _handler.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// A server of the deferring handler. Deferrals wait for the generous timeout (a busy machine must not expire them
    /// between steps); options given here must name the admission policy and the timeout themselves.
    /// </summary>
    private R2P2Server Server(R2P2ServerOptions? options = null)
        => Own(new R2P2Server(network.Bind(), _handler, options ?? new R2P2ServerOptions { AdmissionPolicy = _admission, ResponseTimeout = Payloads.Generous }));

    private R2P2Client Client(PacketAddress destination, R2P2ClientOptions? options = null)
        => Own(new R2P2Client(network.Bind(), destination, options ?? new R2P2ClientOptions { Timeout = Payloads.Generous }));

    private RawPeer Peer() => Own(new RawPeer(network.Bind()));

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>Writes something, then defers every request; the test (or its threads) answers through the queue.</summary>
    private sealed class DeferringHandler : IR2P2Handler, IDisposable
    {
        private readonly BlockingCollection<Deferred> _deferred = new();
        private readonly BlockingCollection<Exception> _failures = new();

        public bool DeferTwice { get; set; }

        public void Dispose()
        {
            _deferred.Dispose();
            _failures.Dispose();
        }

        public Deferred Next()
            => _deferred.TryTake(out var next, Payloads.Generous) ? next : throw new TimeoutException("No request was deferred.");

        public bool TryNext(CancellationToken stop, out Deferred next)
        {
            try
            {
                return _deferred.TryTake(out next, Timeout.Infinite, stop);
            }
            catch (OperationCanceledException)
            {
                next = default;
                return false;
            }
        }

        public Exception NextFailure()
            => _failures.TryTake(out var next, Payloads.Generous) ? next : throw new TimeoutException("No handler failure.");

        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            response.Write("written before deferring"u8);
            R2P2ResponseHandle handle;
            try
            {
                handle = request.Defer();
            }
            catch (InvalidOperationException error)
            {
                _failures.Add(error);
                throw;
            }

            if (DeferTwice)
            {
                try
                {
                    request.Defer();
                }
                catch (InvalidOperationException error)
                {
                    _failures.Add(error);
                }
            }

            _deferred.Add(new Deferred(handle, request.Payload.ToArray(), request.RequestId, request.Client, request));
        }
    }

    private readonly record struct Deferred(R2P2ResponseHandle Handle, byte[] Payload, ushort RequestId, PacketAddress Client, R2P2Request Request);
}

public sealed class InMemoryDeferredResponseTests() : DeferredResponseTests(new InMemoryTestNetwork());

public sealed class UdpDeferredResponseTests() : DeferredResponseTests(new UdpTestNetwork());
