using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2;

/// <summary>
/// The admission policy decides from its arguments (docs/r2p2.md, "Admission"): it is told each request's rid, client
/// and routing policy, and every release names the request exactly as it was admitted, whichever way the request ended
/// (answered at once, handler failed, deferred and answered later, deferred and expired). A policy that exempts FIXED
/// requests from its limit, as HovercRaft's flow control exempts status queries, therefore stays balanced.
/// </summary>
public abstract class AdmissionRequestTests(TestNetwork network) : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly ExemptFixedPolicy _policy = new(limit: 1);
    private readonly BlockingCollection<R2P2ResponseHandle> _deferred = [];

    [Fact]
    public async Task A_policy_exempting_FIXED_requests_admits_them_past_its_limit_and_every_release_names_the_admitted_request()
    {
        var server = Server(Payloads.Generous);
        var peer = Own(new RawPeer(network.Bind()));

        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 1, 1, "defer"u8)); // takes the one counted slot
        var loadBalanced = NextDeferred();
        peer.Send(server.LocalAddress, Wire.Packet(Wire.RequestFixed, Wire.OnePacket, 2, 1, "defer"u8)); // exempt: admitted past the limit
        var fix = NextDeferred();
        peer.Send(server.LocalAddress, Wire.Packet(Wire.RequestFixed, Wire.OnePacket, 3, 1, "throw"u8)); // exempt; its handler fails
        await Eventually(() => server.Statistics.HandlerFailures == 1, "The failing FIXED request");
        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 4, 1, "echo"u8)); // counted: the limit is reached
        AssertDrop(peer.Receive(), 4);

        // The FIXED request's release must not return the counted slot: the next load-balanced request is still refused.
        Assert.True(await Task.Run(() => fix.TrySend("fixed"u8)).WaitAsync(Payloads.Generous));
        Assert.Equal(Wire.Packet(Wire.Response, Wire.OnePacket, 2, 1, "fixed"u8), peer.Receive().Bytes);
        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 5, 1, "echo"u8));
        AssertDrop(peer.Receive(), 5);
        Assert.Equal(1, _policy.Counted);

        Assert.True(await Task.Run(() => loadBalanced.TrySend("lb"u8)).WaitAsync(Payloads.Generous));
        Assert.Equal(Wire.Packet(Wire.Response, Wire.OnePacket, 1, 1, "lb"u8), peer.Receive().Bytes);
        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 6, 1, "echo"u8));
        Assert.Equal(Wire.Packet(Wire.Response, Wire.OnePacket, 6, 1, "echo"u8), peer.Receive().Bytes);

        await Eventually(() => _policy.Released.Length == 4, "Four releases");
        Assert.Equal(0, _policy.Counted);
        AssertBalanced(peer.Address, [(1, RoutingPolicy.LoadBalanced), (2, RoutingPolicy.Fixed), (3, RoutingPolicy.Fixed), (6, RoutingPolicy.LoadBalanced)]);
    }

    [Fact]
    public async Task Expired_deferred_requests_are_released_with_the_routing_policy_they_were_admitted_with()
    {
        var server = Server(TimeSpan.FromMilliseconds(100));
        var peer = Own(new RawPeer(network.Bind()));

        peer.Send(server.LocalAddress, Wire.Packet(Wire.RequestFixed, Wire.OnePacket, 7, 1, "defer"u8));
        NextDeferred();
        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 8, 1, "defer"u8));
        NextDeferred();
        await Eventually(() => server.Statistics.ExpiredResponses == 2, "Both deferred requests expiring");
        await Eventually(() => _policy.Released.Length == 2, "Two releases");

        Assert.Equal(0, _policy.Counted);
        AssertBalanced(peer.Address, [(7, RoutingPolicy.Fixed), (8, RoutingPolicy.LoadBalanced)]);
        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 9, 1, "echo"u8)); // the counted slot is back
        Assert.Equal(Wire.Packet(Wire.Response, Wire.OnePacket, 9, 1, "echo"u8), peer.Receive().Bytes);
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _deferred.Dispose();
        GC.SuppressFinalize(this);
    }

    private static void AssertDrop(Datagram datagram, ushort requestId)
    {
        Assert.Equal((int)MessageType.Drop, datagram.TypePolicy >> 4);
        Assert.Equal(requestId, (ushort)((datagram.Bytes[4] << 8) | datagram.Bytes[5]));
    }

    /// <summary>Every admitted request was released once, by value (rid, client, routing policy), and nothing else was.</summary>
    private void AssertBalanced(PacketAddress client, (ushort RequestId, RoutingPolicy Policy)[] expected)
    {
        var requests = expected.Select(e => new R2P2AdmissionRequest(e.RequestId, client, e.Policy)).ToArray();
        Assert.Equal(requests, _policy.Admitted.OrderBy(r => r.RequestId));
        Assert.Equal(requests, _policy.Released.OrderBy(r => r.RequestId));
    }

    private R2P2ResponseHandle NextDeferred()
        => _deferred.TryTake(out var next, Payloads.Generous) ? next : throw new TimeoutException("No request was deferred.");

    private R2P2Server Server(TimeSpan responseTimeout)
        => Own(new R2P2Server(network.Bind(), new Handler(_deferred), new R2P2ServerOptions { AdmissionPolicy = _policy, ResponseTimeout = responseTimeout }));

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>"defer" defers (the test answers or lets it expire), "throw" fails, anything else is echoed.</summary>
    private sealed class Handler(BlockingCollection<R2P2ResponseHandle> deferred) : IR2P2Handler
    {
        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            var payload = Payloads.ToArray(request.Payload);
            if (payload.AsSpan().SequenceEqual("defer"u8))
            {
                deferred.Add(request.Defer());
                return;
            }

            if (payload.AsSpan().SequenceEqual("throw"u8))
            {
                throw new InvalidOperationException("The handler failed (on purpose).");
            }

            response.Write(payload);
        }
    }

    /// <summary>Admits at most <c>limit</c> non-FIXED requests at a time and every FIXED one; records admissions and releases.</summary>
    private sealed class ExemptFixedPolicy(int limit) : IR2P2AdmissionPolicy
    {
        private readonly ConcurrentQueue<R2P2AdmissionRequest> _admitted = new();
        private readonly ConcurrentQueue<R2P2AdmissionRequest> _released = new();
        private int _counted;

        public int Counted => Volatile.Read(ref _counted);

        public R2P2AdmissionRequest[] Admitted => _admitted.ToArray();

        public R2P2AdmissionRequest[] Released => _released.ToArray();

        public bool TryAdmit(in R2P2AdmissionRequest request)
        {
            if (request.Policy != RoutingPolicy.Fixed && Interlocked.Increment(ref _counted) > limit)
            {
                Interlocked.Decrement(ref _counted);
                return false;
            }

            _admitted.Enqueue(request);
            return true;
        }

        public void Release(in R2P2AdmissionRequest request)
        {
            _released.Enqueue(request);
            if (request.Policy != RoutingPolicy.Fixed)
            {
                Interlocked.Decrement(ref _counted);
            }
        }
    }
}

public sealed class InMemoryAdmissionRequestTests() : AdmissionRequestTests(new InMemoryTestNetwork());

public sealed class UdpAdmissionRequestTests() : AdmissionRequestTests(new UdpTestNetwork());
