using System;
using System.Collections.Generic;
using System.Linq;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;

namespace TailGuard.Tests.R2P2;

/// <summary>The simulated network's own behaviours: addressing, bounded inboxes and each seeded fault.</summary>
public sealed class InMemoryNetworkTests
{
    [Fact]
    public void The_same_seed_and_send_order_give_the_same_losses_duplicates_and_order()
    {
        var faults = new NetworkFaults { LossRate = 0.1, DuplicationRate = 0.1, ReorderRate = 0.2, ReorderWindow = TimeSpan.Zero, DelayRate = 0 };

        var first = Run(new InMemoryNetwork(seed: 42, faults));
        var second = Run(new InMemoryNetwork(seed: 42, faults));
        var other = Run(new InMemoryNetwork(seed: 43, faults));

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        Assert.InRange(first.Count, 800, 1200); // about 10% lost and 10% duplicated of 1000
    }

    [Fact]
    public void Loss_duplication_and_corruption_do_what_they_say()
    {
        Assert.Empty(Run(new InMemoryNetwork(1, new NetworkFaults { LossRate = 1 })));

        var doubled = Run(new InMemoryNetwork(1, new NetworkFaults { DuplicationRate = 1 }));
        Assert.Equal(2000, doubled.Count);
        Assert.All(doubled.GroupBy(d => d), g => Assert.Equal(2, g.Count()));

        var network = new InMemoryNetwork(1, new NetworkFaults { CorruptionRate = 1 });
        using var a = network.Bind("10.0.0.1:1");
        using var b = network.Bind("10.0.0.2:1");
        var original = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        Send(a, b.LocalAddress, original);
        var received = ReceiveAll(b).Single();
        var differing = original.Zip(received).Select((pair, i) => (pair, i)).Where(x => x.pair.First != x.pair.Second).ToList();
        Assert.Single(differing);
        Assert.InRange(differing[0].i, 0, 7); // the header, by default
        Assert.Equal(1, System.Numerics.BitOperations.PopCount((uint)(differing[0].pair.First ^ differing[0].pair.Second)));
    }

    [Fact]
    public void Reordering_delivers_everything_but_not_in_send_order()
    {
        var network = new InMemoryNetwork(7, new NetworkFaults { ReorderRate = 0.3, ReorderWindow = TimeSpan.FromMilliseconds(5) });
        using var a = network.Bind("10.0.0.1:1");
        using var b = network.Bind("10.0.0.2:1");
        for (var i = 0; i < 200; i++)
        {
            Send(a, b.LocalAddress, BitConverter.GetBytes(i));
        }

        System.Threading.Thread.Sleep(50);
        var order = ReceiveAll(b).Select(d => BitConverter.ToInt32(d)).ToList();

        Assert.Equal(Enumerable.Range(0, 200), order.Order());
        Assert.NotEqual(Enumerable.Range(0, 200), order);
    }

    [Fact]
    public void A_full_inbox_loses_datagrams_and_counts_them()
    {
        var network = new InMemoryNetwork(inboxCapacity: 10);
        using var a = network.Bind("10.0.0.1:1");
        using var b = network.Bind("10.0.0.2:1");
        for (var i = 0; i < 25; i++)
        {
            Send(a, b.LocalAddress, [1, 2, 3]);
        }

        Assert.Equal(10, ReceiveAll(b).Count);
        Assert.Equal(15, b.DatagramsOverflowed);
    }

    [Fact]
    public void Addresses_are_unique_and_unbound_destinations_count_as_unroutable()
    {
        var network = new InMemoryNetwork();
        using var a = network.Bind("10.0.0.1:9000");
        Assert.Throws<InvalidOperationException>(() => network.Bind("10.0.0.1:9000"));
        using var ephemeral = network.Bind("10.0.0.1:0");
        Assert.NotEqual(0, ephemeral.LocalAddress.Port);
        Assert.Equal("10.0.0.1", ephemeral.LocalAddress.ToString().Split(':')[0]);

        Send(a, PacketAddress.Parse("10.9.9.9:1"), [1]);
        Assert.Equal(1, network.DatagramsUnroutable);
        Assert.Throws<FormatException>(() => PacketAddress.Parse("not an address"));
    }

    private static List<string> Run(InMemoryNetwork network)
    {
        using var a = network.Bind("10.0.0.1:1");
        using var b = network.Bind("10.0.0.2:1");
        for (var i = 0; i < 1000; i++)
        {
            Send(a, b.LocalAddress, BitConverter.GetBytes(i));
        }

        return ReceiveAll(b).Select(d => BitConverter.ToInt32(d).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }

    private static void Send(PacketTransport from, PacketAddress to, byte[] bytes)
    {
        var packet = new PacketBuffer(64) { Address = to, Length = bytes.Length };
        bytes.CopyTo(packet.Storage);
        from.Send([packet]);
    }

    private static List<byte[]> ReceiveAll(PacketTransport transport)
    {
        var buffers = Enumerable.Range(0, 64).Select(_ => new PacketBuffer(64)).ToArray();
        var all = new List<byte[]>();
        int received;
        while ((received = transport.Receive(buffers, 20)) > 0)
        {
            all.AddRange(buffers.Take(received).Select(b => b.Span.ToArray()));
        }

        return all;
    }
}
