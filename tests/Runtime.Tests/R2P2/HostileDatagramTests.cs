using System;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2;

/// <summary>Hostile and broken datagrams are dropped and counted; the server keeps serving.</summary>
public abstract class HostileDatagramTests : IDisposable
{
    private readonly TestNetwork _network;
    private readonly R2P2Server _server;
    private readonly EchoHandler _handler = new();
    private readonly RawPeer _attacker;
    private readonly R2P2Client _client;

    protected HostileDatagramTests(TestNetwork network)
    {
        _network = network;
        _server = new R2P2Server(network.Bind(), _handler, new R2P2ServerOptions { MaxRequestBytes = 64 * 1024 });
        _attacker = new RawPeer(network.Bind());
        _client = new R2P2Client(network.Bind(), _server.LocalAddress);
    }

    public static TheoryData<string, byte[]> Hostile => new()
    {
        { "empty", [] },
        { "truncated header", [0xCC, 0x08, 0x00, 0xC0, 0x00, 0x01, 0x00] },
        { "wrong magic", Patch(Wire.Packet(0x00, 0xC0, 1, 1, "x"u8), 0, 0x00) },
        { "wrong header size", Patch(Wire.Packet(0x00, 0xC0, 1, 1, "x"u8), 1, 16) },
        { "unknown type 8", Wire.Packet(0x80, 0xC0, 1, 1, "x"u8) },
        { "unknown type 15", Wire.Packet(0xF0, 0xC0, 1, 1, "x"u8) },
        { "a response sent to a server", Wire.Packet(0x11, 0xC0, 1, 1, "x"u8) },
        { "an ACK sent to a server", Wire.Packet(0x31, 0xC0, 1, 1, "ACK"u8) },
        { "a DROP sent to a server", Wire.Packet(0x41, 0xC0, 1, 1, "DROP"u8) },
        { "a FEEDBACK sent to a server", Wire.Packet(0x20, 0x00, 1, 0, new byte[8]) },
        { "a RAFT message", Wire.Packet(0x70, 0xC0, 1, 1, "x"u8) },
        { "unserved policy REPLICATED", Wire.Packet(0x02, 0xC0, 1, 1, "x"u8) },
        { "unserved policy REPLICATED_READ_ONLY", Wire.Packet(0x03, 0xC0, 1, 1, "x"u8) },
        { "undefined policy 9", Wire.Packet(0x09, 0xC0, 1, 1, "x"u8) },
        { "extra flag bits", Wire.Packet(0x00, 0xC1, 1, 1, "x"u8) },
        { "packet order 0", Wire.Packet(0x00, 0xC0, 1, 0, "x"u8) },
        { "single packet with order 2", Wire.Packet(0x00, 0xC0, 1, 2, "x"u8) },
        { "FIRST announcing 1 packet", Wire.Packet(0x00, 0x80, 1, 1, "x"u8) },
        { "FIRST announcing 65535 packets", Wire.Packet(0x00, 0x80, 1, 65535, new byte[14]) },
        { "orphan continuation", Wire.Packet(0x00, 0x00, 999, 1, new byte[100]) },
        { "orphan LAST", Wire.Packet(0x00, 0x40, 998, 3, new byte[100]) },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_datagram_is_dropped_and_counted_and_the_server_keeps_serving(string what, byte[] datagram)
    {
        _attacker.Send(_server.LocalAddress, datagram);

        await Eventually(() => _server.Statistics.MalformedDatagrams == 1, what);
        Assert.Equal(0, _handler.Calls);
        Assert.False(_attacker.TryReceive(TimeSpan.FromMilliseconds(100), out _), $"{what} was answered");
        using var response = await _client.CallAsync("still here"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous);
        Assert.Equal("still here"u8.ToArray(), Payloads.ToArray(response.Payload));
        Assert.Equal(0, _server.PendingReassemblies);
    }

    [Fact]
    public async Task Random_garbage_never_stops_the_server()
    {
        var random = new Random(5);
        for (var i = 0; i < 2_000; i++)
        {
            var garbage = new byte[random.Next(0, 64)];
            random.NextBytes(garbage);
            if (garbage.Length > 2 && i % 2 == 0)
            {
                garbage[0] = 0xCC; // get past the magic check half of the time
                garbage[1] = 0x08;
            }

            _attacker.Send(_server.LocalAddress, garbage);
        }

        var payload = Payloads.Make(5000);
        using var response = await _client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous);
        Assert.Equal(payload, Payloads.ToArray(response.Payload));
        Assert.True(_server.Statistics.MalformedDatagrams > 0);
    }

    [Fact]
    public async Task Hostile_responses_to_a_client_are_dropped_and_counted_without_touching_its_calls()
    {
        var call = _client.CallAsync("real"u8.ToArray(), RoutingPolicy.LoadBalanced, TimeSpan.FromSeconds(10));
        _attacker.Send(_client.LocalAddress, []);
        _attacker.Send(_client.LocalAddress, Patch(Wire.Packet(0x11, 0xC0, 60000, 1, "x"u8), 0, 0));
        _attacker.Send(_client.LocalAddress, Wire.Packet(0x11, 0xC0, 60001, 1, "forged"u8)); // a rid not in flight

        using var response = await call.AsTask().WaitAsync(Payloads.Generous);
        Assert.Equal("real"u8.ToArray(), Payloads.ToArray(response.Payload));
        await Eventually(() => _client.Statistics.MalformedDatagrams == 3, "client drops");
    }

    public void Dispose()
    {
        _client.Dispose();
        _attacker.Dispose();
        _server.Dispose();
        GC.SuppressFinalize(this);
    }

    private static byte[] Patch(byte[] bytes, int index, byte value)
    {
        bytes[index] = value;
        return bytes;
    }
}

public sealed class InMemoryHostileDatagramTests() : HostileDatagramTests(new InMemoryTestNetwork());

public sealed class UdpHostileDatagramTests() : HostileDatagramTests(new UdpTestNetwork());
