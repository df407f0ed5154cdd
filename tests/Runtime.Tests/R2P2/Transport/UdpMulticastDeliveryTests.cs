using System;
using System.Net;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Transport;

/// <summary>
/// A UDP endpoint that is also a member of an IPv4 multicast group (docs/replication.md, "Fan-out"): every member on a
/// host gets each group datagram, from the sender's own address; everything a member sends leaves from its unicast
/// address; the group socket takes no unicast datagram. Real sockets on the loopback of a namespace of the test's own,
/// with multicast on and a 224.0.0.0/4 route.
/// </summary>
[RequiresNetwork(NetworkCapability.NetworkNamespaces)]
public sealed class UdpMulticastDeliveryTests
{
    private static readonly IPEndPoint Group = IPEndPoint.Parse("239.7.7.7:7200");

    [NetworkTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_member_on_a_host_gets_a_group_datagram_and_answers_from_its_unicast_address(bool batched)
    {
        using var space = LoopbackNamespace.Create(mtu: 65536);
        space.CarryMulticast();
        space.Run(() =>
        {
            var options = new UdpTransportOptions { UseBatchedSystemCalls = batched };
            using var first = UdpMulticastMemberTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), Group, options);
            using var second = UdpMulticastMemberTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), Group, options);
            using var sender = new RawPeer(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), options));
            using var one = new RawPeer(first);
            using var two = new RawPeer(second);

            sender.Send(PacketAddress.FromEndPoint(Group), [1, 2, 3]);
            var atFirst = one.Receive();
            var atSecond = two.Receive();
            Assert.Equal([1, 2, 3], atFirst.Bytes);
            Assert.Equal([1, 2, 3], atSecond.Bytes);
            Assert.Equal(sender.Address, atFirst.Source);
            Assert.Equal(sender.Address, atSecond.Source);
            Assert.Equal(1, first.GroupDatagrams);
            Assert.Equal(1, second.GroupDatagrams);

            // The answer leaves from the member's unicast socket, and unicast still arrives there (not counted as group).
            one.Send(atFirst.Source, [4]);
            Assert.Equal(first.LocalAddress, sender.Receive().Source);
            sender.Send(first.LocalAddress, [5]);
            Assert.Equal([5], one.Receive().Bytes);
            Assert.Equal(1, first.GroupDatagrams);

            // The group sockets are bound to the group address: a unicast datagram to the group's port on 127.0.0.1 is
            // taken by neither (bound to any, one of them would take it: unicast goes to one SO_REUSEADDR socket).
            sender.Send(new PacketAddress(0x7F000001, (ushort)Group.Port), [6]);
            Assert.False(one.TryReceive(TimeSpan.FromMilliseconds(200), out _));
            Assert.False(two.TryReceive(TimeSpan.FromMilliseconds(200), out _));
            Assert.Equal(1, first.GroupDatagrams);
            Assert.Equal(1, second.GroupDatagrams);
            return 0;
        });
    }
}
