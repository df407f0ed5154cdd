using System;
using System.Net;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// Source binding at the cheapest depth: a UDP client created for a server connects its socket, so the kernel drops
/// datagrams from anyone else before the receive loop reads them (docs/security.md, "Source binding").
/// </summary>
public sealed class ConnectedSocketTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_connected_client_never_sees_a_third_partys_datagrams_and_still_talks_to_its_server(bool batched)
    {
        var transportOptions = new UdpTransportOptions { UseBatchedSystemCalls = batched };
        using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new EchoHandler(), transportOptions: transportOptions);
        using var client = R2P2Client.CreateUdp(server.LocalAddress.ToEndPoint(), transportOptions: transportOptions);
        using var attacker = new RawPeer(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));

        for (var rid = 0; rid < 256; rid++)
        {
            attacker.Send(client.LocalAddress, Wire.Packet(Wire.Response, Wire.OnePacket, (ushort)rid, 1, "forged"u8));
        }

        for (var i = 0; i < 50; i++)
        {
            var payload = Payloads.Make(32, tag: i);
            using var response = await client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous);
            Assert.Equal(payload, Payloads.ToArray(response.Payload));
        }

        Assert.Equal(0, client.Statistics.MalformedDatagrams + client.Statistics.ForgedDatagrams); // dropped by the kernel
    }

    [Fact]
    public void Connect_binds_the_routed_local_address_and_names_its_peer()
    {
        using var server = UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var connected = UdpTransport.Connect(server.LocalAddress.ToEndPoint());
        using var toward = UdpTransport.BindToward(server.LocalAddress.ToEndPoint());

        Assert.Equal(server.LocalAddress, connected.ConnectedTo);
        Assert.Equal(IPAddress.Loopback, connected.LocalAddress.ToEndPoint().Address);
        Assert.NotEqual(0, connected.LocalAddress.Port);
        Assert.Null(toward.ConnectedTo);
        Assert.Equal(IPAddress.Loopback, toward.LocalAddress.ToEndPoint().Address);
        Assert.Throws<ArgumentException>(() => UdpTransport.Connect(new IPEndPoint(IPAddress.Loopback, 0)));
    }

    [Fact]
    public async Task A_connected_client_whose_server_is_gone_times_out_cleanly()
    {
        var gone = UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var address = gone.LocalAddress;
        gone.Dispose(); // the port answers ICMP port unreachable, which a connected socket reports as an error

        using var client = R2P2Client.CreateUdp(address.ToEndPoint(), new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(100) });
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<R2P2TimeoutException>(() => client.CallAsync("anyone?"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
        }

        Assert.Equal(3, client.Statistics.Timeouts);
        Assert.Equal(0, client.Statistics.CallbackFailures + client.Statistics.MalformedDatagrams);
    }
}
