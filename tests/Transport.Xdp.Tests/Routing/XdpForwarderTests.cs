using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Transport.Xdp.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TailGuard.Transport.Xdp.Tests.Routing;

/// <summary>
/// The AF_XDP forwarder on its own, on a bridged segment (router, client, server namespaces): a burst of UMEM frames
/// reaches a kernel UDP server with the client's address as its source, in place; a foreign buffer is copied; an
/// unresolved next hop, a destination of the other family and a datagram too large for the MTU are dropped and counted
/// in SendErrors (and by reason in the transport's statistics); after it all, every frame is back in the pool.
/// </summary>
[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class XdpForwarderTests(BridgedNetworkFixture fixture, ITestOutputHelper output) : IClassFixture<BridgedNetworkFixture>
{
    /// <summary>More than the TX and completion rings hold (64 each here), within the server socket's buffer.</summary>
    private const int Burst = 200;

    [NetworkTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_burst_is_forwarded_in_place_from_the_client_and_every_refused_datagram_is_counted_with_no_frame_lost(bool ipv6)
    {
        var network = fixture.Network;
        using var xdp = NamespaceThread.Run(network.Router.Namespace, () => XdpTransport.Create(new XdpTransportOptions
        {
            Interface = network.Router.Interface,
            LocalAddress = network.Router.Address(ipv6),
            RingSize = 64,
            FrameCount = 512,
        }));
        using var server = NamespaceThread.Run(network.Server.Namespace, () => UdpTransport.Bind(new IPEndPoint(network.Server.Address(ipv6), 0)));
        using var forwarder = new XdpForwarder(xdp);
        xdp.ResolveNeighbour(server.LocalAddress);
        var client = PacketAddress.FromEndPoint(new IPEndPoint(network.Client.Address(ipv6), 4242));

        // A burst in UMEM frames, in place, with the client as the source.
        var burst = new PacketBuffer[Burst];
        var destinations = new PacketAddress[Burst];
        for (var i = 0; i < Burst; i++)
        {
            burst[i] = Numbered(xdp.Rent(64), i, client);
            destinations[i] = server.LocalAddress;
        }

        forwarder.Forward(burst, destinations);
        var arrived = new HashSet<int>();
        var slots = new[] { server.Rent(2048) };
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (arrived.Count + forwarder.SendErrors < Burst && Stopwatch.GetTimestamp() < deadline)
        {
            FinishSending(xdp);
            if (server.Receive(slots, 10) == 1)
            {
                Assert.Equal(client, slots[0].Address);
                Assert.Equal(64, slots[0].Length);
                Assert.True(arrived.Add(BinaryPrimitives.ReadInt32LittleEndian(slots[0].Span)), "a datagram twice");
            }
        }

        var sent = xdp.Statistics;
        output.WriteLine($"burst: {arrived.Count} arrived; {sent}");
        Assert.Equal(Burst, arrived.Count + forwarder.SendErrors);
        Assert.Equal(sent.TransmitRingFullDrops, forwarder.SendErrors); // a ring-full drop is the only way a good one is lost
        Assert.True(arrived.Count >= 64, $"only {arrived.Count} of {Burst} arrived");
        Assert.Equal(Burst, xdp.ForwardsInPlace);
        Assert.Equal(0, xdp.ForwardCopies);

        // A foreign buffer is copied into a frame, and arrives the same.
        var foreign = Numbered(new PacketBuffer(64), Burst, client);
        forwarder.Forward([foreign], [server.LocalAddress]);
        FinishSending(xdp);
        Assert.Equal(1, server.Receive(slots, (int)XdpRouterRig.Unhurried.TotalMilliseconds));
        Assert.Equal(client, slots[0].Address);
        Assert.Equal(Burst, BinaryPrimitives.ReadInt32LittleEndian(slots[0].Span));
        Assert.Equal(1, xdp.ForwardCopies);

        // Refused: an unresolved next hop, the other family, too large for the MTU (in place, and copied).
        var errors = forwarder.SendErrors;
        var before = xdp.Statistics;
        var nobody = PacketAddress.FromEndPoint(new IPEndPoint(network.Nobody(ipv6), 9));
        var otherFamily = PacketAddress.FromEndPoint(new IPEndPoint(network.Server.Address(!ipv6), 9));
        var refused = new List<PacketBuffer>();
        var refusedTo = new List<PacketAddress>();
        for (var i = 0; i < 100; i++)
        {
            refused.Add(Numbered(xdp.Rent(64), i, client));
            refusedTo.Add(nobody);
            refused.Add(Numbered(xdp.Rent(64), i, client));
            refusedTo.Add(otherFamily);
        }

        var tooLarge = xdp.Rent(xdp.MaxDatagramSize);
        tooLarge.Length = xdp.MaxDatagramSize;
        tooLarge.Address = client;
        refused.Add(tooLarge); // fits over IPv4 exactly (the MTU less 28 bytes); over IPv6 its headers are 20 bytes longer
        refusedTo.Add(server.LocalAddress);
        refused.Add(new PacketBuffer(xdp.MaxDatagramSize + 1) { Length = xdp.MaxDatagramSize + 1, Address = client });
        refusedTo.Add(server.LocalAddress);
        forwarder.Forward(refused.ToArray(), refusedTo.ToArray());

        var after = xdp.Statistics;
        output.WriteLine($"refused: {after}");
        Assert.Equal(100, after.UnresolvedNeighbourDrops - before.UnresolvedNeighbourDrops);
        Assert.Equal(100, after.UnroutableDrops - before.UnroutableDrops);
        Assert.Equal(ipv6 ? 2 : 1, after.OversizedSendDrops - before.OversizedSendDrops);
        Assert.Equal(200 + (ipv6 ? 2 : 1), forwarder.SendErrors - errors);
        if (!ipv6)
        {
            // The largest datagram that fits went out whole.
            FinishSending(xdp);
            Assert.Equal(1, server.Receive(slots, (int)XdpRouterRig.Unhurried.TotalMilliseconds));
            Assert.Equal(xdp.MaxDatagramSize, slots[0].Length);
            Assert.Equal(client, slots[0].Address);
        }

        // Every frame back: nothing held, nothing left with the kernel for sending, none missing.
        var census = xdp.Census;
        var censusDeadline = Stopwatch.GetTimestamp() + (long)(XdpRouterRig.Unhurried.TotalSeconds * Stopwatch.Frequency);
        while ((census.Sending != 0 || census.Held != 0) && Stopwatch.GetTimestamp() < censusDeadline)
        {
            FinishSending(xdp);
            census = xdp.Census;
        }

        output.WriteLine($"{census}");
        Assert.Equal(0, census.Held);
        Assert.Equal(0, census.Sending);
        Assert.Equal(census.Total, census.Counted);
    }

    [NetworkFact]
    public void A_disposed_forwarder_takes_the_packets_and_throws()
    {
        var network = fixture.Network;
        using var xdp = NamespaceThread.Run(network.Router.Namespace, () => XdpTransport.Create(new XdpTransportOptions { Interface = network.Router.Interface }));
        var forwarder = new XdpForwarder(xdp);
        forwarder.Dispose();
        var frame = xdp.Rent(64);

        Assert.Throws<ObjectDisposedException>(() => forwarder.Forward([frame], [xdp.LocalAddress]));
        Assert.Equal(0, xdp.Census.Held);
    }

    /// <summary>An idle receive collects completions and hands the kernel what the TX ring still holds (docs/xdp.md, "Sending").</summary>
    private static void FinishSending(XdpTransport xdp)
    {
        Span<PacketBuffer> none = [new PacketBuffer(16)];
        xdp.Receive(none, 0);
        Thread.Sleep(1);
    }

    private static PacketBuffer Numbered(PacketBuffer buffer, int number, PacketAddress source)
    {
        buffer.Length = 64;
        buffer.Span.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(buffer.Span, number);
        buffer.Address = source;
        return buffer;
    }
}
