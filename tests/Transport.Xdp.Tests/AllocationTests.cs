using System;
using System.Net;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Transport.Xdp.Tests.Infrastructure;

namespace TailGuard.Transport.Xdp.Tests;

/// <summary>
/// Steady state allocates nothing per call: receiving into UMEM frames, answering from the frame received (headers
/// rewritten in place), renting frames to send, the neighbour table's cached next hop, the rings. Counted on the one
/// thread that does all of it (docs/xdp.md); the kernel UDP peer on the other side runs on the same thread and is
/// allocation-free too (docs/r2p2.md), so any byte counted is a byte of the round trip.
/// </summary>
[Collection("Allocation measurement")] // AllocationMeasurementCollection.Name (the type is in this assembly and in TailGuard.Tests)
[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class AllocationTests(VethFixture veth) : IClassFixture<VethFixture>
{
    [NetworkTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_receive_reply_round_trip_and_a_rent_send_allocate_nothing_per_call(bool ipv6)
    {
        var pair = veth.Pair;
        using var xdp = NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA, LocalAddress = pair.AddressA(ipv6) }));
        using var udp = NamespaceThread.Run(pair.NamespaceB, () => UdpTransport.Bind(new IPEndPoint(pair.AddressB(ipv6), 0)));
        xdp.ResolveNeighbour(udp.LocalAddress);
        var xdpSlots = new PacketBuffer[1];
        var udpSlots = new[] { udp.Rent(1500) };

        var report = AllocationWindows.OnThisThread(
            call =>
            {
                // Kernel UDP -> AF_XDP; AF_XDP answers from the frame it received.
                var request = udp.Rent(64);
                request.Length = 64;
                request.Address = xdp.LocalAddress;
                udp.Send([request]);
                xdpSlots[0] = xdp.Rent(1500);
                Receive(xdp, xdpSlots);
                var reply = xdpSlots[0];
                reply.Address = udp.LocalAddress;
                xdp.Send([reply]);
                Receive(udp, udpSlots);

                // And a datagram AF_XDP starts itself, in a rented frame.
                var own = xdp.Rent(64);
                own.Length = 32;
                own.Address = udp.LocalAddress;
                xdp.Send([own]);
                Receive(udp, udpSlots);
            },
            windows: 9,
            callsPerWindow: 200,
            warmUpCalls: 1000);

        report.AssertNoPerCallAllocation();
        var stats = xdp.Statistics;
        Assert.Equal(0, stats.ReceiveDrops);
        Assert.Equal(0, stats.RentOverflows);
        Assert.True(stats.DatagramsReceived >= 2800 && stats.DatagramsSent >= 5600, stats.ToString());
    }

    private static void Receive(PacketTransport transport, PacketBuffer[] slots)
    {
        for (var i = 0; i < 5000; i++)
        {
            if (transport.Receive(slots, 10) == 1)
            {
                return;
            }
        }

        throw new TimeoutException($"nothing reached {transport.LocalAddress}");
    }
}
