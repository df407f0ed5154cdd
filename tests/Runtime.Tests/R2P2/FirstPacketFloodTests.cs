using System;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2;

/// <summary>A flood of FIRST packets that never continue: pending state stays bounded and new requests are served.</summary>
public sealed class FirstPacketFloodTests
{
    private const int Flood = 40_000;

    [Fact]
    public async Task A_flood_of_first_packets_keeps_reassembly_bounded_and_new_requests_are_served()
    {
        var network = new InMemoryNetwork(seed: 3, inboxCapacity: 65_536);
        var options = new R2P2ServerOptions { MaxPendingReassemblies = 512, MaxReassemblyBytes = 512 * 1024, ReassemblyTimeout = TimeSpan.FromSeconds(2) };
        using var server = new R2P2Server(network.Bind("10.0.0.1:9000"), new EchoHandler(), options);
        // The server works through up to 65 536 queued flood packets before the calls: on a loaded machine that takes
        // longer than the default 1 s timer. What is asserted is that the calls are served, not how fast.
        using var client = new R2P2Client(network.Bind("10.0.0.2:0"), server.LocalAddress, new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(30) });
        var attackers = new[] { network.Bind("10.6.6.6:0"), network.Bind("10.6.6.7:0") };

        var first = new PacketBuffer(64) { Address = server.LocalAddress };
        for (var i = 0; i < Flood; i++)
        {
            var datagram = Wire.Packet(0x00, 0x80, (ushort)i, 5, new byte[14]);
            datagram.CopyTo(first.Storage);
            first.Length = datagram.Length;
            attackers[i % 2].Send([first]);
            if (i % 4096 == 4095)
            {
                Thread.Sleep(20); // let the server drain its inbox, as a socket buffer would overflow anyway
            }
        }

        var payload = Payloads.Make(4000);
        using (var response = await client.CallAsync(payload).AsTask().WaitAsync(TimeSpan.FromSeconds(60)))
        {
            Assert.Equal(payload, Payloads.ToArray(response.Payload));
        }

        using (var response = await client.CallAsync("small"u8.ToArray()).AsTask().WaitAsync(TimeSpan.FromSeconds(60)))
        {
            Assert.Equal("small"u8.ToArray(), Payloads.ToArray(response.Payload));
        }

        Assert.True(server.PendingReassemblies <= 512, $"{server.PendingReassemblies} pending");
        Assert.True(server.Statistics.Acks > 512, "the flood never reached the bound");
        Assert.True(server.Statistics.ReassemblyEvictions >= server.Statistics.Acks - 513, "state was kept beyond the bound");
        Assert.True(server.PeakReassemblyBytes <= 512 * 1024, $"peak {server.PeakReassemblyBytes} bytes");
        Assert.Equal(0, server.PendingReassembliesEventually(0)); // and it all expires
        foreach (var attacker in attackers)
        {
            attacker.Dispose();
        }
    }

    [Fact]
    public async Task Partial_requests_that_never_finish_are_evicted_by_the_byte_bound()
    {
        const long byteBound = 64 * 1024;
        var network = new InMemoryNetwork(seed: 4, inboxCapacity: 65_536);
        var options = new R2P2ServerOptions { MaxReassemblyBytes = byteBound, ReassemblyTimeout = TimeSpan.FromSeconds(30) };
        using var server = new R2P2Server(network.Bind("10.0.0.1:9000"), new EchoHandler(), options);
        using var client = new R2P2Client(network.Bind("10.0.0.2:0"), server.LocalAddress);
        using var attacker = network.Bind("10.6.6.6:0");

        // 2000 requests of 5 packets each send all but their last packet: each pins 4 buffers until evicted.
        var packet = new PacketBuffer(2048) { Address = server.LocalAddress };
        for (var rid = 0; rid < 2_000; rid++)
        {
            var packets = Wire.SplitRequest(Payloads.Make(14 + (4 * 1464)), (ushort)rid);
            for (var i = 0; i < 4; i++)
            {
                packets[i].CopyTo(packet.Storage);
                packet.Length = packets[i].Length;
                attacker.Send([packet]);
            }

            if (rid % 500 == 499)
            {
                Thread.Sleep(20);
            }
        }

        var payload = Payloads.Make(6000, tag: 1);
        using var response = await client.CallAsync(payload).AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(payload, Payloads.ToArray(response.Payload));
        Assert.True(server.PeakReassemblyBytes <= byteBound, $"peak {server.PeakReassemblyBytes} bytes");
        Assert.True(server.PendingReassemblyBytes <= byteBound);
        Assert.True(server.Statistics.ReassemblyEvictions > 1_900, $"{server.Statistics.ReassemblyEvictions} evictions");
    }
}
