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
/// A graceful stop (docs/r2p2.md, "Draining a server"): once <see cref="R2P2Server.DrainAsync"/> is called every new
/// request is refused with DROP without asking the admission policy, the requests already admitted finish (handlers,
/// multi-packet requests being reassembled, deferred responses), and the drain completes only when none is left.
/// </summary>
public abstract class ServerDrainTests(TestNetwork network) : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);
    private readonly List<IDisposable> _owned = [];
    private readonly RecordingAdmissionPolicy _admission = new();

    [Fact]
    public async Task New_requests_are_refused_with_DROP_without_asking_the_admission_policy()
    {
        var server = Server(new EchoHandler());
        var client = Client(server.LocalAddress);
        using (await client.CallAsync("before"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous))
        {
        }

        Assert.True(await server.DrainAsync().WaitAsync(Payloads.Generous));
        var admittedBefore = _admission.Admitted;

        await Assert.ThrowsAsync<R2P2DroppedException>(() => client.CallAsync("after"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
        Assert.True(server.IsDraining);
        Assert.Equal(admittedBefore, _admission.Admitted);
        Assert.Equal(1, server.Statistics.Drops);
        Assert.Equal(1, server.Statistics.Requests);
    }

    [Fact]
    public async Task Deferred_requests_admitted_before_the_drain_are_answered_and_the_drain_waits_for_them()
    {
        using var handler = new DeferringHandler();
        var server = Server(handler);
        var client = Client(server.LocalAddress);
        var first = client.CallAsync("one"u8.ToArray()).AsTask();
        var second = client.CallAsync("two"u8.ToArray()).AsTask();
        var deferred = new[] { handler.Next(), handler.Next() };

        var drain = server.DrainAsync();
        await Assert.ThrowsAsync<R2P2DroppedException>(() => client.CallAsync("refused"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
        Assert.False(drain.IsCompleted, "the drain ended while two admitted requests were unanswered");

        Assert.True(deferred[0].Handle.TrySend("answer"u8));
        await Task.Delay(Quiet);
        Assert.False(drain.IsCompleted, "the drain ended while one admitted request was unanswered");
        Assert.True(deferred[1].Handle.TrySend("answer"u8));

        Assert.True(await drain.WaitAsync(Payloads.Generous));
        using (var one = await first.WaitAsync(Payloads.Generous))
        using (var two = await second.WaitAsync(Payloads.Generous))
        {
            Assert.Equal("answer"u8.ToArray(), Payloads.ToArray(one.Payload));
            Assert.Equal("answer"u8.ToArray(), Payloads.ToArray(two.Payload));
        }

        Assert.Equal(2, server.Statistics.Responses);
        Assert.Equal(0, server.PendingResponses);
    }

    [Fact]
    public async Task A_multi_packet_request_admitted_before_the_drain_is_reassembled_and_served()
    {
        var server = Server(new EchoHandler());
        var peer = Peer();
        var payload = Payloads.Make(3000, tag: 5);
        var packets = Wire.SplitRequest(payload, rid: 42);

        peer.Send(server.LocalAddress, packets[0]);
        Assert.Equal(0x30, peer.Receive().TypePolicy & 0xF0); // ACK: admitted
        var drain = server.DrainAsync();
        peer.Send(server.LocalAddress, Wire.SplitRequest(Payloads.Make(3000, tag: 6), rid: 43)[0]);
        Assert.Equal(0x40, peer.Receive().TypePolicy & 0xF0); // a new multi-packet request: DROP
        Assert.False(drain.IsCompleted, "the drain ended with a request half reassembled");

        foreach (var packet in packets.Skip(1))
        {
            peer.Send(server.LocalAddress, packet);
        }

        var response = new List<byte>();
        Datagram datagram;
        do
        {
            datagram = peer.Receive();
            Assert.Equal(0x10, datagram.TypePolicy & 0xF0);
            response.AddRange(datagram.Payload);
        }
        while ((datagram.Flags & Wire.Last) == 0);

        Assert.Equal(payload, response.ToArray());
        Assert.True(await drain.WaitAsync(Payloads.Generous));
    }

    [Fact]
    public async Task Requests_queued_behind_a_busy_handler_each_complete_or_are_refused_none_times_out()
    {
        using var gate = new ManualResetEventSlim();
        var handler = new GatedEchoHandler(gate);
        var server = Server(handler);
        var client = Client(server.LocalAddress);

        var calls = Enumerable.Range(0, 40).Select(i => client.CallAsync(Payloads.Make(32, i)).AsTask()).ToArray();
        await Eventually(() => handler.Entered >= 1, "The first request reaching the handler");
        var drain = server.DrainAsync();
        gate.Set();

        Assert.True(await drain.WaitAsync(Payloads.Generous));
        int completed = 0, refused = 0;
        for (var i = 0; i < calls.Length; i++)
        {
            try
            {
                using var response = await calls[i].WaitAsync(Payloads.Generous);
                Assert.Equal(Payloads.Make(32, i), Payloads.ToArray(response.Payload));
                completed++;
            }
            catch (R2P2DroppedException)
            {
                refused++;
            }
        }

        Assert.True(completed >= 1, "the request in the handler when the drain began did not complete");
        Assert.Equal(calls.Length, completed + refused);
        Assert.Equal(refused, server.Statistics.Drops);
        Assert.Equal(0, client.Statistics.Timeouts);
    }

    [Fact]
    public async Task The_drain_gives_up_at_its_deadline_when_an_admitted_request_is_never_answered()
    {
        using var handler = new DeferringHandler();
        var server = Server(handler);
        var client = Client(server.LocalAddress, new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        var call = client.CallAsync("never answered"u8.ToArray()).AsTask();
        handler.Next();

        using var deadline = new CancellationTokenSource(Quiet);
        Assert.False(await server.DrainAsync(deadline.Token).WaitAsync(Payloads.Generous));
        Assert.True(server.IsDraining);
        Assert.Equal(1, server.PendingResponses);
        await Assert.ThrowsAsync<R2P2TimeoutException>(() => call.WaitAsync(Payloads.Generous));
    }

    [Fact]
    public async Task Disposing_during_a_drain_ends_it_as_not_drained_and_a_disposed_server_cannot_drain()
    {
        using var handler = new DeferringHandler();
        var server = new R2P2Server(network.Bind(), handler, new R2P2ServerOptions { ResponseTimeout = Payloads.Generous });
        var client = Client(server.LocalAddress, new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        _ = client.CallAsync("held"u8.ToArray()).AsTask().ContinueWith(static t => t.Exception, TaskScheduler.Default);
        handler.Next();

        var drain = server.DrainAsync();
        server.Dispose();

        Assert.False(await drain.WaitAsync(Payloads.Generous));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => server.DrainAsync());
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        GC.SuppressFinalize(this);
    }

    private R2P2Server Server(IR2P2Handler handler)
        => Own(new R2P2Server(network.Bind(), handler, new R2P2ServerOptions { AdmissionPolicy = _admission, ResponseTimeout = Payloads.Generous }));

    private R2P2Client Client(PacketAddress destination, R2P2ClientOptions? options = null)
        => Own(new R2P2Client(network.Bind(), destination, options ?? new R2P2ClientOptions { Timeout = Payloads.Generous }));

    private RawPeer Peer() => Own(new RawPeer(network.Bind()));

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>Echoes, but the first request waits in the handler until the test opens the gate (the loop is busy).</summary>
    private sealed class GatedEchoHandler(ManualResetEventSlim gate) : IR2P2Handler
    {
        private int _entered;

        public int Entered => Volatile.Read(ref _entered);

        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            Interlocked.Increment(ref _entered);
            gate.Wait(Payloads.Generous);
            foreach (var segment in request.Payload)
            {
                response.Write(segment.Span);
            }
        }
    }

    /// <summary>Defers every request; the test answers through the handles.</summary>
    private sealed class DeferringHandler : IR2P2Handler, IDisposable
    {
        private readonly BlockingCollection<Deferred> _deferred = new();

        public Deferred Next()
            => _deferred.TryTake(out var next, Payloads.Generous) ? next : throw new TimeoutException("No request was deferred.");

        public void Handle(in R2P2Request request, IBufferWriter<byte> response) => _deferred.Add(new Deferred(request.Defer()));

        public void Dispose() => _deferred.Dispose();
    }

    private readonly record struct Deferred(R2P2ResponseHandle Handle);
}

public sealed class InMemoryServerDrainTests() : ServerDrainTests(new InMemoryTestNetwork());

public sealed class UdpServerDrainTests() : ServerDrainTests(new UdpTestNetwork());
