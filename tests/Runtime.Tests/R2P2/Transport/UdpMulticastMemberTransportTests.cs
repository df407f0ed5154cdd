using System;
using System.Net;
using System.Net.Sockets;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Transport;

/// <summary>
/// The settings of multicast fan-out at the socket (docs/replication.md, "Fan-out"): what a group member refuses to
/// bind, and the multicast send settings a UDP socket takes from its options.
/// </summary>
public sealed class UdpMulticastMemberTransportTests
{
    [Theory]
    [InlineData("[::1]:0", "239.7.7.7:7200", "IPv4 address")]
    [InlineData("127.0.0.1:0", "10.0.0.1:7200", "IPv4 multicast address")]
    [InlineData("127.0.0.1:0", "239.7.7.7:0", "port from 1 to 65535")]
    public void It_refuses_an_IPv6_local_address_and_a_group_that_is_not_IPv4_multicast_with_a_port(string local, string group, string says)
    {
        var error = Assert.Throws<ArgumentException>(() => UdpMulticastMemberTransport.Bind(IPEndPoint.Parse(local), IPEndPoint.Parse(group)));
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_socket_takes_its_multicast_send_settings_from_its_options()
    {
        using var transport = UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), new UdpTransportOptions { MulticastTimeToLive = 3, MulticastLoopback = false });
        Assert.Equal(3, (int)transport.Socket.GetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive)!);
        Assert.Equal(0, (int)transport.Socket.GetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback)!);
        Assert.Throws<ArgumentOutOfRangeException>(() => UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), new UdpTransportOptions { MulticastTimeToLive = 256 }));
    }

    [Theory]
    [InlineData("224.0.0.0", true)]
    [InlineData("239.255.255.255", true)]
    [InlineData("223.255.255.255", false)]
    [InlineData("240.0.0.0", false)]
    [InlineData("ff02::1", false)]
    public void IPv4_multicast_is_224_0_0_0_slash_4(string address, bool multicast)
        => Assert.Equal(multicast, UdpMulticastMemberTransport.IsIPv4Multicast(IPAddress.Parse(address)));
}
