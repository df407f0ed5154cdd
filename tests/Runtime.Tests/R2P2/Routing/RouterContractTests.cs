using System;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>
/// docs/router.md read as an outsider would, through <see cref="R2P2Router"/>'s public API on the in-memory network,
/// with raw peers as servers so every forwarded request and every FEEDBACK is the test's to give: the documented
/// defaults; <c>MaxOutstanding</c> ("Overload": beyond it an unbounded policy answers DROP, JBSQ queues instead); a
/// <c>QueueCapacity</c> of 0 (no waiting at all); and a disposed router (twice is once; no servers join or leave it).
/// </summary>
public sealed class RouterContractTests
{
    private static readonly byte[] Hello = "hello"u8.ToArray();

    [Fact]
    public void The_options_default_to_the_documented_values()
    {
        var defaults = new R2P2RouterOptions();
        Assert.Equal(RouterPolicy.BoundedShortestQueue(2), defaults.Policy);           // "Policies": jbsq:2
        Assert.Equal(4096, defaults.QueueCapacity);                                      // "Overload"
        Assert.Equal(TimeSpan.FromSeconds(1), defaults.QueueTimeout);
        Assert.Equal(16384, defaults.MaxOutstanding);
        Assert.Equal(TimeSpan.FromSeconds(1), defaults.FeedbackTimeout);                 // "What FEEDBACK does"
        Assert.Null(defaults.FixedServer);                                               // the first server to join
    }

    [Theory]
    [InlineData("round-robin")]
    [InlineData("random")]
    [InlineData("jsq")]
    public async Task Beyond_MaxOutstanding_an_unbounded_policy_answers_DROP_and_counts_it(string policy)
    {
        using var rig = RouterRig.StartWithPeers(new InMemoryTestNetwork(seed: 16), 2, servers => Options(servers, RouterPolicy.Parse(policy), maxOutstanding: 2));
        var client = rig.Client();

        var held = new[] { client.CallAsync(Hello).AsTask(), client.CallAsync(Hello).AsTask() };
        var forwarded = await ReceiveForwardedAsync(rig, 2);
        Assert.Equal(2, rig.Router.OutstandingCount);

        await Assert.ThrowsAsync<R2P2DroppedException>(() => client.CallAsync(Hello).AsTask().WaitAsync(Payloads.Generous));
        Assert.Equal(1, rig.Router.Statistics.OutstandingLimitDrops);
        Assert.Equal(0, rig.Router.Statistics.QueueFullDrops);

        // A FEEDBACK frees a place: the next request is forwarded again.
        var (peer, request) = forwarded[0];
        peer.Send(rig.Router.FeedbackAddress, RouterWire.Feedback(request.RequestId, request.Source));
        await Condition.Eventually(() => rig.Router.OutstandingCount == 1, "the FEEDBACK returned its place");
        var next = client.CallAsync(Hello).AsTask();
        Assert.Single(await ReceiveForwardedAsync(rig, 1));
        Assert.Equal(1, rig.Router.Statistics.OutstandingLimitDrops);
        Assert.All(held.Append(next), call => Assert.False(call.IsCompleted));
    }

    [Fact]
    public async Task Under_JBSQ_a_request_beyond_MaxOutstanding_waits_in_the_central_queue_instead_of_being_dropped()
    {
        // Two servers with two credits each, but only two requests may be tracked: the third finds free credits and waits.
        using var rig = RouterRig.StartWithPeers(new InMemoryTestNetwork(seed: 17), 2, servers => Options(servers, RouterPolicy.BoundedShortestQueue(2), maxOutstanding: 2));
        var client = rig.Client();

        var calls = new[] { client.CallAsync(Hello).AsTask(), client.CallAsync(Hello).AsTask() };
        var forwarded = await ReceiveForwardedAsync(rig, 2);
        var third = client.CallAsync(Hello).AsTask();
        await Condition.Eventually(() => rig.Router.QueueLength == 1, "the third request queued");
        Assert.Equal(0, rig.Router.Statistics.OutstandingLimitDrops);
        Assert.Equal(0, rig.Router.Statistics.Drops);

        var (peer, request) = forwarded[1];
        peer.Send(rig.Router.FeedbackAddress, RouterWire.Feedback(request.RequestId, request.Source));
        Assert.Single(await ReceiveForwardedAsync(rig, 1));
        Assert.Equal(0, rig.Router.QueueLength);
        Assert.Equal(1, rig.Router.Statistics.ForwardedFromQueue);
        Assert.All(calls.Append(third), call => Assert.False(call.IsCompleted));
    }

    [Fact]
    public async Task A_queue_capacity_of_zero_answers_DROP_as_soon_as_no_credit_is_free()
    {
        using var rig = RouterRig.StartWithPeers(new InMemoryTestNetwork(seed: 18), 1, servers => Options(servers, RouterPolicy.BoundedShortestQueue(1), maxOutstanding: 16384, queueCapacity: 0));
        var client = rig.Client();

        var held = client.CallAsync(Hello).AsTask();
        await ReceiveForwardedAsync(rig, 1);
        await Assert.ThrowsAsync<R2P2DroppedException>(() => client.CallAsync(Hello).AsTask().WaitAsync(Payloads.Generous));
        Assert.Equal(1, rig.Router.Statistics.QueueFullDrops);
        Assert.Equal(0, rig.Router.QueueLength);
        Assert.False(held.IsCompleted);
    }

    [Fact]
    public void A_router_disposed_twice_is_disposed_once()
    {
        var rig = RouterRig.StartWithPeers(new InMemoryTestNetwork(seed: 19), 1, servers => Options(servers, RouterPolicy.BoundedShortestQueue(2), maxOutstanding: 16384));
        rig.Router.Dispose();
        rig.Router.Dispose();
        rig.Dispose(); // a third time, with its peers
    }

    [Fact]
    public void A_disposed_router_refuses_to_add_or_remove_servers()
    {
        using var rig = RouterRig.StartWithPeers(new InMemoryTestNetwork(seed: 23), 1, servers => Options(servers, RouterPolicy.BoundedShortestQueue(2), maxOutstanding: 16384));
        var member = rig.Peers[0].Address;
        var newcomer = rig.Peer().Address;
        rig.Router.Dispose();

        Assert.Throws<ObjectDisposedException>(() => rig.Router.AddServer(newcomer));
        Assert.Throws<ObjectDisposedException>(() => rig.Router.RemoveServer(member));
    }

    [Fact]
    public void AddServer_readies_the_forwarder_for_a_server_before_it_joins_and_a_forwarder_that_refuses_keeps_it_out()
    {
        var network = new InMemoryTestNetwork(seed: 29);
        using var server = new RawPeer(network.Bind());
        using var unreachable = new RawPeer(network.Bind());
        var forwarder = new ReadyingForwarder(RouterRig.ForwarderFor(network), unreachable.Address);
        using var router = new R2P2Router(network.Bind(), forwarder, Options([], RouterPolicy.BoundedShortestQueue(2), maxOutstanding: 16384));
        forwarder.Router = router;

        var refused = Assert.Throws<ArgumentException>(() => router.AddServer(unreachable.Address));
        Assert.Contains("unreachable", refused.Message, StringComparison.Ordinal);
        Assert.Empty(router.Servers);

        Assert.True(router.AddServer(server.Address));
        Assert.Equal([(unreachable.Address, false), (server.Address, false)], forwarder.Readied); // each before it was a member
        using var client = new RawPeer(network.Bind());
        var request = Wire.Packet(Wire.Request, Wire.OnePacket, 3, 1, Hello);
        client.Send(router.LocalAddress, request);
        Assert.Equal(request, server.Receive(Payloads.Generous).Bytes);
    }

    private static R2P2RouterOptions Options(System.Collections.Generic.IReadOnlyList<PacketAddress> servers, RouterPolicy policy, int maxOutstanding, int queueCapacity = 4096)
        => new()
        {
            Servers = servers,
            Policy = policy,
            MaxOutstanding = maxOutstanding,
            QueueCapacity = queueCapacity,
            QueueTimeout = RouterRig.Unhurried, // hang guards: these tests are about counts, not timers
            FeedbackTimeout = RouterRig.Unhurried,
        };

    /// <summary>Waits until the rig's peers have received <paramref name="count"/> forwarded requests in all (a barrier on the router's work).</summary>
    private static async Task<(RawPeer Peer, Datagram Request)[]> ReceiveForwardedAsync(RouterRig rig, int count)
    {
        var received = new System.Collections.Generic.List<(RawPeer, Datagram)>();
        var deadline = DateTime.UtcNow + Payloads.Generous;
        while (received.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{received.Count} of {count} requests were forwarded in time");
            foreach (var peer in rig.Peers)
            {
                if (peer.TryReceive(TimeSpan.FromMilliseconds(5), out var datagram))
                {
                    received.Add((peer, datagram));
                }
            }

            await Task.Yield();
        }

        return [.. received];
    }

    /// <summary>A forwarder that records each destination it is readied for (and whether the router had it as a server then), refusing one.</summary>
    private sealed class ReadyingForwarder(PacketForwarder inner, PacketAddress unreachable) : PacketForwarder
    {
        public R2P2Router? Router { get; set; }

        public System.Collections.Generic.List<(PacketAddress Destination, bool WasMember)> Readied { get; } = [];

        public override long SendErrors => inner.SendErrors;

        public override void PrepareDestination(PacketAddress destination)
        {
            Readied.Add((destination, Router!.Servers.Any(s => s.Address == destination)));
            if (destination == unreachable)
            {
                throw new ArgumentException($"{destination} is unreachable");
            }
        }

        public override void Forward(ReadOnlySpan<PacketBuffer> packets, ReadOnlySpan<PacketAddress> destinations) => inner.Forward(packets, destinations);

        protected override void Dispose(bool disposing)
        {
            inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
