using System;
using System.Buffers;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// Per-source quotas (docs/security.md, "Per-source quotas"): a source is an IPv4 address or an IPv6 /64, whatever its
/// port. Its own oldest request goes when it is over its share; under pressure on the shared bounds the heaviest
/// source's oldest goes; admission can be capped per source.
/// </summary>
public sealed class ServerQuotaTests : IDisposable
{
    private readonly InMemoryNetwork _network = new(seed: 13, inboxCapacity: 65_536);
    private readonly System.Collections.Generic.List<IDisposable> _owned = [];
    private readonly TrackingBufferOwner _memory = new();

    [Fact]
    public void A_source_over_its_share_loses_its_own_oldest_request_whatever_port_it_uses()
    {
        var reassembler = new RequestReassembler(maxPending: 100, maxBytes: 1 << 20, maxPendingPerSource: 3, maxBytesPerSource: 1 << 20, timeoutTicks: long.MaxValue);
        var honest = PacketAddress.Parse("10.0.0.2:5000");
        Assert.True(reassembler.Begin(new ReassemblyKey(honest, 1), 3, RoutingPolicy.LoadBalanced, First(honest, 1), now: 0));
        for (ushort port = 1; port <= 10; port++)
        {
            var attacker = PacketAddress.Parse($"10.6.6.6:{port}");
            Assert.True(reassembler.Begin(new ReassemblyKey(attacker, port), 3, RoutingPolicy.LoadBalanced, First(attacker, port), now: port));
        }

        Assert.Equal(3, reassembler.PendingFrom(PacketAddress.Parse("10.6.6.6:1")));
        Assert.True(reassembler.Contains(new ReassemblyKey(honest, 1)));
        Assert.Equal(7, reassembler.Discards);
        Assert.Equal(2, reassembler.Sources);
        reassembler.Clear();
        Assert.Equal(0, _memory.Outstanding);
        Assert.Equal(0, reassembler.Bytes);
    }

    [Fact]
    public void Under_pressure_the_heaviest_source_loses_its_oldest_not_the_oldest_overall()
    {
        var reassembler = new RequestReassembler(maxPending: 6, maxBytes: 1 << 20, maxPendingPerSource: 6, maxBytesPerSource: 1 << 20, timeoutTicks: long.MaxValue);
        var early = PacketAddress.Parse("[fd00::1]:1");
        var heavy = PacketAddress.Parse("[fd00:0:0:9::1]:1");
        Assert.True(reassembler.Begin(new ReassemblyKey(early, 1), 3, RoutingPolicy.LoadBalanced, First(early, 1), now: 0));
        for (ushort rid = 1; rid <= 8; rid++)
        {
            var port = heavy.WithPort(rid); // another port, and another address in the same /64: one source
            Assert.True(reassembler.Begin(new ReassemblyKey(port, rid), 3, RoutingPolicy.LoadBalanced, First(port, rid), now: rid));
        }

        Assert.True(reassembler.Contains(new ReassemblyKey(early, 1)), "the oldest request of a light source was evicted");
        Assert.Equal(6, reassembler.Count);
        Assert.Equal(5, reassembler.PendingFrom(heavy));
        reassembler.Clear();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void Every_structure_a_request_holds_is_charged_to_the_byte_bound()
    {
        var reassembler = new RequestReassembler(maxPending: 10, maxBytes: 1 << 20, timeoutTicks: long.MaxValue);
        var client = PacketAddress.Parse("10.0.0.2:5000");
        var first = First(client, 1);
        var capacity = first.Capacity;

        Assert.True(reassembler.Begin(new ReassemblyKey(client, 1), 65535, RoutingPolicy.LoadBalanced, first, now: 0));

        // The bitmap of 65535 indices (1024 words) and the arrival list are counted with the buffer.
        Assert.True(reassembler.Bytes >= capacity + (1024 * sizeof(ulong)), $"{reassembler.Bytes} bytes charged");
        Assert.Equal(reassembler.Bytes, reassembler.PeakBytes);
        reassembler.Clear();
        Assert.Equal(0, reassembler.Bytes);
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public async Task Admission_can_be_capped_per_source()
    {
        var handler = new DeferringHandler();
        var server = Own(new R2P2Server(_network.Bind("10.0.0.1:9000"), handler, new R2P2ServerOptions { MaxInFlightPerSource = 2 }));
        var greedy = Own(new R2P2Client(_network.Bind("10.0.0.2:0"), server.LocalAddress));
        var samePlace = Own(new R2P2Client(_network.Bind("10.0.0.2:0"), server.LocalAddress)); // same host, another port
        var other = Own(new R2P2Client(_network.Bind("10.0.0.3:0"), server.LocalAddress));

        var held = new[] { greedy.CallAsync("1"u8.ToArray()).AsTask(), greedy.CallAsync("2"u8.ToArray()).AsTask() };
        await Condition.Eventually(() => handler.Pending == 2, "two requests were deferred");
        await Assert.ThrowsAsync<R2P2DroppedException>(() => samePlace.CallAsync("3"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
        var third = other.CallAsync("4"u8.ToArray()).AsTask();
        await Condition.Eventually(() => handler.Pending == 3, "another source was admitted");

        handler.AnswerAll();
        foreach (var call in held.Append(third))
        {
            using var response = await call.WaitAsync(Payloads.Generous);
        }

        // The answers gave the slots back: the same host is admitted again.
        var after = samePlace.CallAsync("5"u8.ToArray()).AsTask();
        await Condition.Eventually(() => handler.Pending == 4, "the source was admitted again");
        handler.AnswerAll();
        using var last = await after.WaitAsync(Payloads.Generous);
        Assert.Equal("done"u8.ToArray(), Payloads.ToArray(last.Payload));
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private PacketBuffer First(PacketAddress source, ushort rid) => _memory.Datagram(Wire.Packet(Wire.Request, Wire.First, rid, 3, new byte[14]), source);

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
