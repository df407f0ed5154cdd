using System.Net;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Transport;

/// <summary>UDP specifics: a dual-stack socket, and what a socket of one family does with an address of the other.</summary>
[RequiresNetwork(NetworkCapability.IPv6Loopback)]
public sealed class UdpTransportTests
{
    [NetworkTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_dual_stack_socket_serves_IPv4_peers_and_sees_them_as_IPv4(bool batched)
    {
        var options = new UdpTransportOptions { UseBatchedSystemCalls = batched };
        using var server = UdpTransport.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), options);
        using var peer = new RawPeer(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), options));
        using var echo = new RawPeer(server);

        peer.Send(PacketAddress.Parse($"127.0.0.1:{server.LocalAddress.Port}"), [1, 2, 3]);
        var request = echo.Receive();
        echo.Send(request.Source, [4, 5]);
        var reply = peer.Receive();

        Assert.True(request.Source.IsIPv4);
        Assert.Equal(peer.Address, request.Source);
        Assert.Equal([4, 5], reply.Bytes);
        Assert.Equal((ushort)server.LocalAddress.Port, reply.Source.Port);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_IPv4_socket_counts_a_datagram_for_an_IPv6_address_as_a_send_error_and_sends_the_rest(bool batched)
    {
        var options = new UdpTransportOptions { UseBatchedSystemCalls = batched };
        using var sender = UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), options);
        using var receiver = new RawPeer(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), options));
        var unreachable = new PacketBuffer(8) { Length = 8, Address = PacketAddress.Parse("[::1]:9") };
        var reachable = new PacketBuffer(8) { Length = 2, Address = receiver.Address };

        sender.Send([unreachable, reachable]);

        Assert.Equal(1, sender.SendErrors);
        Assert.Equal(2, receiver.Receive().Bytes.Length);
    }
}
