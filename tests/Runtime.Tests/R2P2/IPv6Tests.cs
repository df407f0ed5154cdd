using System;
using System.Net;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2;

/// <summary>IPv6 end to end: dual-stack servers, the UDP factories, and FEEDBACK staying IPv4 on the wire.</summary>
[RequiresNetwork(NetworkCapability.IPv6Loopback)]
public sealed class IPv6Tests
{
    [NetworkFact]
    public async Task A_dual_stack_server_serves_IPv4_and_IPv6_clients_through_the_udp_factories()
    {
        var handler = new EchoHandler();
        using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.IPv6Any, 0), handler);
        var port = server.LocalAddress.Port;
        await using var v4 = R2P2Client.CreateUdp(new IPEndPoint(IPAddress.Loopback, port));
        await using var v6 = R2P2Client.CreateUdp(new IPEndPoint(IPAddress.IPv6Loopback, port));

        foreach (var (client, size) in new[] { (v4, 10), (v6, 10), (v4, 5000), (v6, 5000) })
        {
            var payload = Payloads.Make(size, tag: size);
            using var response = await client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous);
            Assert.Equal(payload, Payloads.ToArray(response.Payload));
        }

        Assert.True(v4.LocalAddress.IsIPv4);
        Assert.True(v6.LocalAddress.IsIPv6);
        Assert.Equal(4, handler.Calls);
    }

    [NetworkFact]
    public async Task Requests_carry_the_IPv6_client_address_to_the_handler()
    {
        var handler = new ClientRecordingHandler();
        using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.IPv6Loopback, 0), handler);
        await using var client = R2P2Client.CreateUdp(server.LocalAddress.ToEndPoint());

        using var response = await client.CallAsync("who"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous);

        Assert.Equal(client.LocalAddress, handler.Client);
        Assert.True(handler.Client.IsIPv6);
    }

    [Fact]
    public void A_router_gets_feedback_naming_each_client_in_its_own_family()
    {
        // Only the simulation lets one server talk to both families through one address; the FEEDBACK for an IPv6
        // client is TailGuard's 28-byte form (docs/router.md, "IPv6"), for an IPv4 one the reference's 16 bytes.
        var network = new InMemoryNetwork();
        var router = new RawPeer(network.Bind("10.9.0.1:9001"));
        using var server = new R2P2Server(network.Bind("[fd00::1]:9000"), new EchoHandler(), new R2P2ServerOptions { RouterAddress = router.Address });
        using var v6 = new RawPeer(network.Bind("[fd00::2]:0"));
        using var v4 = new RawPeer(network.Bind("10.0.0.2:0"));

        v6.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 1, 1, "six"u8));
        Assert.Equal("six"u8.ToArray(), v6.Receive().Payload);
        var feedback6 = router.Receive();
        v4.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 2, 1, "four"u8));
        Assert.Equal("four"u8.ToArray(), v4.Receive().Payload);
        var feedback4 = router.Receive();

        Assert.Equal(28, feedback6.Bytes.Length);
        Assert.True(ControlMessages.TryReadFeedback(feedback6.Bytes, out var rid6, out var client6));
        Assert.Equal(1, rid6);
        Assert.Equal(v6.Address, client6);
        Assert.Equal(16, feedback4.Bytes.Length);
        Assert.True(ControlMessages.TryReadFeedback(feedback4.Bytes, out var rid4, out var client4));
        Assert.Equal(2, rid4);
        Assert.Equal(v4.Address, client4);
        Assert.Equal(2, server.Statistics.Feedbacks);
        router.Dispose();
    }

    [Fact]
    public void Feedback_is_16_bytes_for_IPv4_clients_and_28_for_IPv6_ones()
    {
        var bytes = new byte[ControlMessages.FeedbackIPv6Length];
        var written = ControlMessages.WriteFeedback(bytes, 0xBEEF, PacketAddress.Parse("10.1.2.3:4660"));
        Assert.Equal(16, written);
        Assert.True(ControlMessages.TryReadFeedback(bytes.AsSpan(0, written), out var rid, out var client));
        Assert.Equal(0xBEEF, rid);
        Assert.Equal(PacketAddress.Parse("10.1.2.3:4660"), client);
        Assert.False(ControlMessages.TryReadFeedback(bytes.AsSpan(0, written - 1), out _, out _));

        written = ControlMessages.WriteFeedback(bytes, 0xBEEF, PacketAddress.Parse("[fd00::1:2]:4660"));
        Assert.Equal(28, written);
        byte[] expected = [0xCC, 8, 0x20, 0, 0, 0, 0, 0, 0xBE, 0xEF, 0x12, 0x34, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2];
        Assert.Equal(expected, bytes);
        Assert.True(ControlMessages.TryReadFeedback(bytes, out rid, out client));
        Assert.Equal(PacketAddress.Parse("[fd00::1:2]:4660"), client);
        Assert.False(ControlMessages.TryReadFeedback(bytes.AsSpan(0, 27), out _, out _));

        // One form per client: an IPv4-mapped address in the 28-byte form is refused.
        PacketAddress.Parse("[::ffff:10.1.2.3]:1").WriteIPv6Bytes(bytes.AsSpan(12));
        Assert.False(ControlMessages.TryReadFeedback(bytes, out _, out _));
        var error = Assert.Throws<ArgumentException>(() => ControlMessages.WriteFeedback(bytes.AsSpan(0, 16), 1, PacketAddress.Parse("[::1]:1")));
        Assert.Contains("28 bytes", error.Message, StringComparison.Ordinal);
    }

    private sealed class ClientRecordingHandler : IR2P2Handler
    {
        public PacketAddress Client { get; private set; }

        public void Handle(in R2P2Request request, System.Buffers.IBufferWriter<byte> response)
        {
            Client = request.Client;
            response.GetSpan(1)[0] = 1;
            response.Advance(1);
        }
    }
}
