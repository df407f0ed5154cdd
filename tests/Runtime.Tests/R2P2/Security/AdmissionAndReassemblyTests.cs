using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// One source must not exhaust what a server shares between its clients: admission slots, the reassembly table, and the
/// memory behind both (docs/security.md, "Admission and reassembly"). Each test is the attack that used to work.
/// </summary>
public sealed class AdmissionAndReassemblyTests : IDisposable
{
    private readonly InMemoryNetwork _network = new(seed: 7, inboxCapacity: 65_536);
    private readonly System.Collections.Generic.List<IDisposable> _owned = [];

    [Fact]
    public async Task First_only_packets_do_not_hold_admission_slots()
    {
        var server = Own(new R2P2Server(_network.Bind("10.0.0.1:9000"), new EchoHandler(), new R2P2ServerOptions { AdmissionPolicy = new MaxInFlightAdmissionPolicy(16) }));
        var attacker = Own(new RawPeer(_network.Bind("10.6.6.6:0")));
        var client = Own(new R2P2Client(_network.Bind("10.0.0.2:0"), server.LocalAddress));

        // 320 requests that announce 5 packets and never send more: 2.5 KB of traffic.
        for (var rid = 0; rid < 320; rid++)
        {
            attacker.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.First, (ushort)rid, 5, new byte[14]));
        }

        await Eventually(() => server.Statistics.Acks + server.Statistics.Drops + server.Statistics.MalformedDatagrams >= 320, "the flood was processed");
        for (var i = 0; i < 200; i++)
        {
            using var response = await client.CallAsync("ping"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous);
        }

        Assert.Equal(0, client.Statistics.Drops);
    }

    [Fact]
    public void One_source_flooding_first_packets_does_not_evict_another_sources_request()
    {
        var server = Own(new R2P2Server(_network.Bind("10.0.0.1:9000"), new EchoHandler(), new R2P2ServerOptions { MaxPendingReassemblies = 64 }));
        var honest = Own(new RawPeer(_network.Bind("10.0.0.2:0")));
        var attacker = Own(new RawPeer(_network.Bind("10.6.6.6:0")));
        var payload = Payloads.Make(20_000, tag: 4);
        var packets = Wire.SplitRequest(payload, rid: 77);

        honest.Send(server.LocalAddress, packets[0]);
        Assert.Equal(0x31, honest.Receive().TypePolicy);
        honest.Send(server.LocalAddress, packets[1]);
        for (var rid = 0; rid < 2_000; rid++)
        {
            attacker.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.First, (ushort)rid, 9, new byte[14]));
            if (rid % 500 == 499)
            {
                Thread.Sleep(10);
            }
        }

        Assert.True(server.Statistics.ReassemblyEvictions > 0 || server.PendingReassembliesEventually(64) > 0);
        foreach (var packet in packets.Skip(2))
        {
            honest.Send(server.LocalAddress, packet);
        }

        var response = honest.Receive();
        Assert.Equal(0x11, response.TypePolicy);
        Assert.Equal(77, response.RequestId);
    }

    [Fact]
    public void Huge_announced_packet_counts_cost_no_memory_the_byte_bound_does_not_count()
    {
        var options = new R2P2ServerOptions { MaxRequestBytes = 64 * 1024 * 1024, MaxPendingReassemblies = 64, MaxReassemblyBytes = 1024 * 1024 };
        var protocol = new ServerProtocol(options);
        using var memory = _network.Bind("10.0.0.9:0"); // pooled buffers: the flood's own datagrams cost nothing once warm
        var attacker = PacketAddress.Parse("10.6.6.6:4000");
        var count = (ushort)Fragmenter.PacketCount(MessageType.Request, options.MaxRequestBytes, options.PayloadSize);

        // FIRST packets announcing ~46,000 packets, each followed by its last packet only: per request, an index
        // structure sized by the announced count would be ~360 KB that no byte bound sees.
        var first = Wire.Packet(Wire.Request, Wire.First, 0, count, new byte[14]);
        var last = Wire.Packet(Wire.Request, Wire.Last, 0, (ushort)(count - 1), new byte[1000]);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var rid = 0; rid < 2_000; rid++)
        {
            first[4] = last[4] = (byte)(rid >> 8);
            first[5] = last[5] = (byte)rid;
            Offer(protocol, memory, first, attacker);
            Offer(protocol, memory, last, attacker);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(protocol.PeakReassemblyBytes <= options.MaxReassemblyBytes, $"peak {protocol.PeakReassemblyBytes} bytes");
        Assert.True(allocated < 8 * 1024 * 1024, $"the flood allocated {allocated} bytes; the byte bound is {options.MaxReassemblyBytes}");
        protocol.Clear();
        Assert.Equal(0, protocol.PendingReassemblyBytes);
    }

    [Fact]
    public void A_first_packet_must_carry_exactly_14_bytes()
    {
        var server = Own(new R2P2Server(_network.Bind("10.0.0.1:9000"), new EchoHandler()));
        var peer = Own(new RawPeer(_network.Bind("10.0.0.2:0")));

        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.First, 1, 3));
        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.First, 2, 3, new byte[13]));
        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.First, 3, 3, new byte[100]));
        peer.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.First, 4, 3, new byte[14]));

        var ack = peer.Receive();
        Assert.Equal(0x31, ack.TypePolicy);
        Assert.Equal(4, ack.RequestId);
        Assert.False(peer.TryReceive(TimeSpan.FromMilliseconds(200), out _), "a first packet without exactly 14 bytes was acknowledged");
        Assert.Equal(3, server.Statistics.MalformedDatagrams);
        Assert.Equal(1, server.PendingReassemblies);
    }

    [Fact]
    public void Configurable_bounds_have_hard_ceilings()
    {
        using var transport = _network.Bind("10.0.0.3:0");
        Assert.Throws<ArgumentException>(() => new R2P2Server(transport, new EchoHandler(), new R2P2ServerOptions { MaxRequestBytes = int.MaxValue, OwnsTransports = false }));
        Assert.Throws<ArgumentException>(() => new R2P2Server(transport, new EchoHandler(), new R2P2ServerOptions { MaxReassemblyBytes = long.MaxValue, OwnsTransports = false }));
        Assert.Throws<ArgumentException>(() => new R2P2Server(transport, new EchoHandler(), new R2P2ServerOptions { MaxPendingReassemblies = int.MaxValue, OwnsTransports = false }));
        Assert.Throws<ArgumentException>(() => new R2P2Server(transport, new EchoHandler(), new R2P2ServerOptions { ReassemblyTimeout = TimeSpan.FromDays(1), OwnsTransports = false }));
        Assert.Throws<ArgumentException>(() => new R2P2Server(transport, new EchoHandler(), new R2P2ServerOptions { ResponseTimeout = TimeSpan.FromDays(1), OwnsTransports = false }));
        Assert.Throws<ArgumentException>(() => new R2P2Client(transport, PacketAddress.Parse("10.0.0.1:9000"), new R2P2ClientOptions { MaxResponseBytes = int.MaxValue, OwnsTransport = false }));
        Assert.Throws<ArgumentException>(() => new R2P2Client(transport, PacketAddress.Parse("10.0.0.1:9000"), new R2P2ClientOptions { Timeout = TimeSpan.FromDays(1), OwnsTransport = false }));
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private static void Offer(ServerProtocol protocol, PacketTransport memory, byte[] datagram, PacketAddress source)
    {
        var packet = memory.Rent(1472);
        datagram.CopyTo(packet.Storage);
        packet.Length = datagram.Length;
        packet.Address = source;
        if (!protocol.Receive(packet, now: 1).KeepsPacket)
        {
            packet.Return();
        }
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
