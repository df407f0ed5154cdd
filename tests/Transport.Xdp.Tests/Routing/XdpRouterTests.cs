using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Tests.R2P2.Routing;
using TailGuard.Transport.Xdp.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TailGuard.Transport.Xdp.Tests.Routing;

/// <summary>
/// A router on AF_XDP between kernel UDP clients and servers on one Ethernet segment (docs/router.md, "On AF_XDP"):
/// conformance cases 15 and 16 of docs/design/r2p2.md (FIXED, destination-only rewrite with the client as the source,
/// JBSQ credits on a burst) and calls answered by the servers directly, single- and multi-packet, IPv4 and IPv6; each
/// request forwarded in the frame it arrived in.
/// </summary>
[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class XdpRouterTests(BridgedNetworkFixture fixture, ITestOutputHelper output) : IClassFixture<BridgedNetworkFixture>
{
    private static readonly byte[] Hello = "hello, xdp router"u8.ToArray();

    [NetworkTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Case15_a_request_reaches_its_server_byte_for_byte_from_the_client_and_fixed_requests_the_fixed_server(bool ipv6)
    {
        using var rig = XdpRouterRig.StartWithPeers(fixture.Network, ipv6, 3, servers => new R2P2RouterOptions { Servers = servers, FixedServer = servers[2] });
        var client = rig.ClientPeer();

        var request = Wire.Packet(Wire.Request, Wire.OnePacket, 0x1234, 1, Hello);
        client.Send(rig.Router.LocalAddress, request);
        var arrived = ReceiveOnAnyPeer(rig);
        Assert.Equal(request, arrived.Bytes);
        Assert.Equal(client.Address, arrived.Source);

        for (ushort rid = 1; rid <= 5; rid++)
        {
            var fixedRequest = Wire.Packet(Wire.RequestFixed, Wire.OnePacket, rid, 1, Hello);
            client.Send(rig.Router.LocalAddress, fixedRequest);
            var at = rig.Peers[2].Receive(XdpRouterRig.Unhurried);
            Assert.Equal(fixedRequest, at.Bytes);
            Assert.Equal(client.Address, at.Source);
        }

        Assert.All(rig.Peers, peer => Assert.False(peer.TryReceive(TimeSpan.FromMilliseconds(100), out _), "a datagram too many"));
        Assert.Equal(6, rig.Router.Statistics.Forwarded);
        Assert.Equal(0, rig.Forwarder.SendErrors);
        Assert.Equal(6, rig.Transport.ForwardsInPlace); // each in the frame it arrived in
        Assert.Equal(0, rig.Transport.ForwardCopies);
    }

    [NetworkTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Case16_jbsq2_forwards_2S_of_a_burst_queues_the_rest_and_each_feedback_releases_exactly_one(bool ipv6)
    {
        const int servers = 2;
        const int burst = (2 * servers) + 3;
        using var rig = XdpRouterRig.StartWithPeers(fixture.Network, ipv6, servers, addresses => new R2P2RouterOptions
        {
            Servers = addresses,
            Policy = RouterPolicy.BoundedShortestQueue(2),
            QueueTimeout = XdpRouterRig.Unhurried,
            FeedbackTimeout = XdpRouterRig.Unhurried,
        });
        var client = rig.ClientPeer();
        for (ushort rid = 1; rid <= burst; rid++)
        {
            client.Send(rig.Router.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, rid, 1, Hello));
        }

        // Two at each server, from the client, the rest queued at the router.
        var outstanding = new Queue<(int Peer, Datagram Request)>();
        for (var peer = 0; peer < servers; peer++)
        {
            for (var credit = 0; credit < 2; credit++)
            {
                var request = rig.Peers[peer].Receive(XdpRouterRig.Unhurried);
                Assert.Equal(client.Address, request.Source);
                outstanding.Enqueue((peer, request));
            }
        }

        XdpRouterRig.Eventually(() => rig.Router.QueueLength == burst - (2 * servers), "the rest of the burst queued");
        Assert.Equal(2 * servers, rig.Router.Statistics.Forwarded);

        // Each FEEDBACK, sent by the server as the kernel UDP socket it is, releases the oldest queued request to it.
        var nextQueued = (ushort)((2 * servers) + 1);
        while (outstanding.Count > 0)
        {
            var (peer, done) = outstanding.Dequeue();
            rig.Peers[peer].Send(rig.Router.FeedbackAddress, RouterWire.Feedback(done.RequestId, client.Address));
            if (nextQueued <= burst)
            {
                var released = rig.Peers[peer].Receive(XdpRouterRig.Unhurried);
                Assert.Equal(nextQueued++, released.RequestId);
                Assert.Equal(client.Address, released.Source);
                outstanding.Enqueue((peer, released));
            }
        }

        XdpRouterRig.Eventually(() => rig.Router.Statistics.Feedbacks == burst, "every FEEDBACK counted");
        Assert.All(rig.Peers, peer => Assert.False(peer.TryReceive(TimeSpan.FromMilliseconds(100), out _), "a datagram too many"));
        Assert.Equal(burst, rig.Router.Statistics.Forwarded);
        Assert.Equal(0, rig.Router.QueueLength);
        Assert.Equal(0, rig.Router.OutstandingCount);
        Assert.Equal(0, rig.Forwarder.SendErrors);
    }

    [NetworkTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Calls_single_and_multi_packet_are_answered_by_the_servers_directly_and_every_credit_comes_back(bool ipv6)
    {
        const int calls = 200;
        using var rig = XdpRouterRig.Start(fixture.Network, ipv6, 3, servers => new R2P2RouterOptions
        {
            Servers = servers,
            Policy = RouterPolicy.BoundedShortestQueue(2),
            QueueTimeout = XdpRouterRig.Unhurried,
            FeedbackTimeout = XdpRouterRig.Unhurried,
        });
        var clients = Enumerable.Range(0, 4).Select(_ => rig.Client()).ToArray();

        // Every tenth call is 5000 bytes: its first packet goes through the router, the rest to the server that ACKed.
        var work = new List<Task>();
        for (var i = 0; i < calls; i++)
        {
            work.Add(Call(clients[i % clients.Length], Payload(i % 10 == 0 ? 5000 : 1 + (i % 300), i)));
        }

        await Task.WhenAll(work).WaitAsync(XdpRouterRig.Unhurried);

        XdpRouterRig.Eventually(() => rig.Router.OutstandingCount == 0 && rig.Router.Statistics.Feedbacks == calls, "every credit back");
        output.WriteLine($"{rig.Transport.Statistics}");
        Assert.Equal(calls, rig.Servers.Sum(s => s.Statistics.Responses));
        Assert.All(rig.Servers, server => Assert.True(server.Statistics.Responses > 0, "a server got no request"));
        Assert.Equal(calls / 10, rig.Servers.Sum(s => s.Statistics.Acks)); // the multi-packet ones, ACKed by their server
        Assert.Equal(calls, rig.Router.Statistics.Forwarded);
        Assert.Equal(0, rig.Router.Statistics.Drops);
        Assert.Equal(0, rig.Forwarder.SendErrors);
        Assert.Equal(calls, rig.Transport.ForwardsInPlace);
        Assert.Equal(0, rig.Transport.ForwardCopies);

        static async Task Call(R2P2Client client, byte[] payload)
        {
            using var response = await client.CallAsync(payload);
            Assert.Equal(payload, response.Payload.ToArray());
        }
    }

    [NetworkFact]
    public void CreateXdp_refuses_a_server_whose_next_hop_does_not_answer_and_too_few_frames_and_leaves_the_interface_free()
    {
        var network = fixture.Network;
        var router = network.Router;
        var nobody = PacketAddress.FromEndPoint(new IPEndPoint(network.Nobody(ipv6: false), 9));
        var unresolved = Assert.Throws<XdpException>(() => NamespaceThread.Run(router.Namespace, () => R2P2Router.CreateXdp(
            new XdpTransportOptions { Interface = router.Interface, LocalAddress = router.IPv4, FrameCount = 8192, NeighbourTimeout = TimeSpan.FromMilliseconds(200) },
            new R2P2RouterOptions { Servers = [nobody] })));
        Assert.Contains($"No MAC address for {network.Nobody(ipv6: false)}", unresolved.Message, StringComparison.Ordinal);

        var frames = Assert.Throws<ArgumentException>(() => R2P2Router.CreateXdp(new XdpTransportOptions { Interface = router.Interface, FrameCount = 4096 }, new R2P2RouterOptions { QueueCapacity = 4096 }));
        Assert.Contains("cannot hold the router's central queue", frames.Message, StringComparison.Ordinal);

        // Each refusal released what it had taken: a router on the interface starts.
        using var fits = NamespaceThread.Run(router.Namespace, () => R2P2Router.CreateXdp(
            new XdpTransportOptions { Interface = router.Interface, LocalAddress = router.IPv6, FrameCount = 8192 },
            new R2P2RouterOptions()));
        Assert.False(fits.IsIPv4);
    }

    [NetworkFact]
    public void CreateXdp_with_the_default_frame_count_sizes_the_UMEM_for_the_central_queue_and_refuses_a_queue_no_UMEM_holds()
    {
        var router = fixture.Network.Router;
        using (var defaults = NamespaceThread.Run(router.Namespace, () => R2P2Router.CreateXdp(new XdpTransportOptions { Interface = router.Interface, LocalAddress = router.IPv4 })))
        {
            Assert.Equal(4096 + (2 * 1024), Frames(defaults)); // the default queue (4096 requests) and two rings of 1024
        }

        using (var small = NamespaceThread.Run(router.Namespace, () => R2P2Router.CreateXdp(
            new XdpTransportOptions { Interface = router.Interface, LocalAddress = router.IPv4 }, new R2P2RouterOptions { QueueCapacity = 100 })))
        {
            Assert.Equal(4096, Frames(small)); // no fewer than a transport's default
        }

        using (var ring = NamespaceThread.Run(router.Namespace, () => R2P2Router.CreateXdp(
            new XdpTransportOptions { Interface = router.Interface, LocalAddress = router.IPv4, RingSize = 4096 }, new R2P2RouterOptions { QueueCapacity = 100 })))
        {
            Assert.Equal(100 + (2 * 4096), Frames(ring));
        }

        var huge = Assert.Throws<ArgumentException>(() => R2P2Router.CreateXdp(new XdpTransportOptions { Interface = router.Interface }, new R2P2RouterOptions { QueueCapacity = 1 << 20 }));
        Assert.Contains("more than a transport has (1048576)", huge.Message, StringComparison.Ordinal);
        var badRing = Assert.Throws<ArgumentException>(() => R2P2Router.CreateXdp(new XdpTransportOptions { Interface = router.Interface, RingSize = 3, FrameCount = 100 }));
        Assert.Contains($"{nameof(XdpTransportOptions.RingSize)} must be a power of two", badRing.Message, StringComparison.Ordinal); // the setting at fault, not the frame rule built on it

        static int Frames(R2P2Router router) => ((XdpForwarder)router.Forwarder).Transport.Statistics.FrameCount;
    }

    [NetworkTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void AddServer_resolves_a_new_servers_next_hop_first_so_its_first_request_arrives(bool ipv6)
    {
        using var rig = XdpRouterRig.StartWithPeers(fixture.Network, ipv6, 1, _ => new R2P2RouterOptions { Policy = RouterPolicy.BoundedShortestQueue(2), FeedbackTimeout = XdpRouterRig.Unhurried }); // a raw peer sends no FEEDBACK
        VethPair.IpOutput($"-n {fixture.Network.Router.Namespace} neigh flush all"); // what another test or a start resolved

        Assert.True(rig.Router.AddServer(rig.Peers[0].Address));
        var client = rig.ClientPeer();
        var request = Wire.Packet(Wire.Request, Wire.OnePacket, 7, 1, Hello);
        client.Send(rig.Router.LocalAddress, request);

        var arrived = rig.Peers[0].Receive(XdpRouterRig.Unhurried);
        Assert.Equal(request, arrived.Bytes);
        Assert.Equal(client.Address, arrived.Source);
        Assert.Equal(0, rig.Transport.Statistics.UnresolvedNeighbourDrops);
        Assert.Equal(0, rig.Forwarder.SendErrors);

        // A server whose next hop never answers does not join: the caller hears why, and no request is sent there.
        var nobody = PacketAddress.FromEndPoint(new IPEndPoint(fixture.Network.Nobody(ipv6), 9));
        var refused = Assert.Throws<ArgumentException>(() => rig.Router.AddServer(nobody));
        Assert.Contains($"No MAC address for {fixture.Network.Nobody(ipv6)}", refused.Message, StringComparison.Ordinal);
        Assert.Equal([rig.Peers[0].Address], rig.Router.Servers.Select(s => s.Address));
    }

    /// <summary>A payload of <paramref name="length"/> bytes that differs from call to call.</summary>
    internal static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 31) + seed);
        }

        return bytes;
    }

    private static Datagram ReceiveOnAnyPeer(XdpRouterRig rig)
    {
        var deadline = DateTime.UtcNow + XdpRouterRig.Unhurried;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var peer in rig.Peers)
            {
                if (peer.TryReceive(TimeSpan.FromMilliseconds(20), out var datagram))
                {
                    return datagram;
                }
            }
        }

        throw new TimeoutException("No peer got the request.");
    }
}
