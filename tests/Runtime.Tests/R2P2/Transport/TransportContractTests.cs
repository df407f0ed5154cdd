using System;
using System.Collections.Generic;
using System.Linq;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Transport;

/// <summary>
/// The contract every transport keeps with the roles above it (docs/r2p2.md, "Writing a transport"): it lends buffers
/// of its own memory, takes ownership of what it sends, and fills the receiver's slots with datagrams and sources.
/// Runs on each transport and address family.
/// </summary>
public abstract class TransportContractTests(TestNetwork network) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    [NetworkFact]
    public void Rent_lends_buffers_with_room_for_the_capacity_asked_up_to_the_datagram_limit()
    {
        var transport = Bind();

        var buffer = transport.Rent(1472);

        Assert.True(buffer.Capacity >= 1472);
        Assert.Equal(0, buffer.Length);
        Assert.NotNull(buffer.Owner);
        Assert.Throws<ArgumentOutOfRangeException>(() => transport.Rent(transport.MaxDatagramSize + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => transport.Rent(-1));
        buffer.Return();
    }

    [NetworkFact]
    public void Send_delivers_each_datagram_with_its_source_and_takes_every_buffer_back()
    {
        var sender = Bind();
        var receiver = Bind();
        var memory = new TrackingBufferOwner();
        var packets = Enumerable.Range(0, 3).Select(i => memory.Datagram(Payloads.Make(10 + i, tag: i), receiver.LocalAddress)).ToArray();

        sender.Send(packets);

        Assert.Equal(0, memory.Outstanding);
        var received = ReceiveAll(receiver, 3);
        Assert.Equal(Enumerable.Range(0, 3).Select(i => Payloads.Make(10 + i, tag: i)), received.Select(d => d.Bytes));
        Assert.All(received, d => Assert.Equal(sender.LocalAddress, d.Source));
    }

    [NetworkFact]
    public void A_buffer_rented_from_the_transport_is_sent_and_comes_back_to_it_for_reuse()
    {
        var sender = Bind();
        var receiver = Bind();
        var first = sender.Rent(64);
        "one"u8.CopyTo(first.Storage);
        first.Length = 3;
        first.Address = receiver.LocalAddress;

        sender.Send([first]);

        Assert.Throws<InvalidOperationException>(first.Return); // it went back when it was sent
        Assert.Equal("one"u8.ToArray(), ReceiveAll(receiver, 1)[0].Bytes);
    }

    [NetworkFact]
    public void Send_after_dispose_throws_and_still_gives_the_packets_back()
    {
        var sender = Bind();
        var memory = new TrackingBufferOwner();
        var packet = memory.Datagram([1, 2, 3], sender.LocalAddress);
        sender.Dispose();

        Assert.Throws<ObjectDisposedException>(() => sender.Send([packet]));
        Assert.Equal(0, memory.Outstanding);
        Assert.Equal(0, sender.Receive([new PacketBuffer(64)], 0));
    }

    [NetworkFact]
    public void Receive_drops_a_datagram_larger_than_its_slot_and_delivers_the_rest()
    {
        var sender = Bind();
        var receiver = Bind();
        var big = new PacketBuffer(3000) { Length = 3000, Address = receiver.LocalAddress };
        var small = new PacketBuffer(100) { Length = 100, Address = receiver.LocalAddress };
        sender.Send([big]);
        sender.Send([small]);

        var received = ReceiveAll(receiver, 1, slotCapacity: 1472);

        Assert.Equal(100, received[0].Bytes.Length);
        Assert.Equal(1, receiver switch
        {
            UdpTransport udp => udp.DatagramsTruncated,
            InMemoryTransport memory => memory.DatagramsTruncated,
            _ => throw new InvalidOperationException(),
        });
    }

    [NetworkFact]
    public void A_full_receive_queue_drops_and_counts_what_arrives_and_a_receive_says_whether_it_emptied_the_queue()
    {
        // What the router needs to tell a lost FEEDBACK from a silent server (docs/router.md, "What FEEDBACK does").
        const int Sent = 200;
        var sender = Bind();
        var receiver = network.BindWithSmallReceiveQueue();
        _owned.Add(receiver);
        Assert.True(receiver.WatchesReceiveQueue);
        for (var i = 0; i < Sent; i++)
        {
            sender.Send([new PacketBuffer(16) { Length = 16, Address = receiver.LocalAddress }]);
        }

        // Every datagram was either read or dropped and counted (bound by work: the kernel may deliver them late).
        var slots = Enumerable.Range(0, 4).Select(_ => receiver.Rent(64)).ToArray();
        var received = 0;
        var deadline = DateTime.UtcNow + Payloads.Generous;
        while (received + receiver.ReceiveQueueDrops < Sent)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{received} received and {receiver.ReceiveQueueDrops} dropped of {Sent}");
            received += receiver.Receive(slots, 50);
        }

        Assert.Equal(Sent, received + receiver.ReceiveQueueDrops);
        Assert.True(receiver.ReceiveQueueDrops > 0, "nothing was dropped");
        Assert.InRange(received, 1, Sent - 1);
        Assert.Equal(0, receiver.Receive(slots, 0));
        Assert.True(receiver.LastReceiveEmptiedQueue, "an empty queue was not seen empty");

        // A receive that fills every slot of a full queue has not emptied it.
        for (var i = 0; i < 20; i++)
        {
            sender.Send([new PacketBuffer(16) { Length = 16, Address = receiver.LocalAddress }]);
        }

        var one = new[] { slots[0] };
        Assert.Equal(1, receiver.Receive(one, (int)Payloads.Generous.TotalMilliseconds));
        Assert.False(receiver.LastReceiveEmptiedQueue);
        foreach (var slot in slots)
        {
            slot.Return();
        }
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    private static List<Datagram> ReceiveAll(PacketTransport transport, int count, int slotCapacity = 1472)
    {
        var slots = new PacketBuffer[4];
        var received = new List<Datagram>();
        var deadline = DateTime.UtcNow + Payloads.Generous;
        while (received.Count < count && DateTime.UtcNow < deadline)
        {
            for (var i = 0; i < slots.Length; i++)
            {
                slots[i] ??= transport.Rent(slotCapacity);
            }

            var n = transport.Receive(slots, 50);
            for (var i = 0; i < n; i++)
            {
                received.Add(new Datagram(slots[i].Span.ToArray(), slots[i].Address));
            }
        }

        Assert.Equal(count, received.Count);
        return received;
    }

    private PacketTransport Bind()
    {
        var transport = network.Bind();
        _owned.Add(transport);
        return transport;
    }
}

public sealed class InMemoryTransportContractTests() : TransportContractTests(new InMemoryTestNetwork());

public sealed class InMemoryIPv6TransportContractTests() : TransportContractTests(new InMemoryTestNetwork(ipv6: true));

public sealed class UdpTransportContractTests() : TransportContractTests(new UdpTestNetwork());

public sealed class UdpPortableTransportContractTests() : TransportContractTests(new UdpTestNetwork(batchedSystemCalls: false));

[RequiresNetwork(NetworkCapability.IPv6Loopback)]
public sealed class UdpIPv6TransportContractTests() : TransportContractTests(new UdpTestNetwork(ipv6: true));

[RequiresNetwork(NetworkCapability.IPv6Loopback)]
public sealed class UdpPortableIPv6TransportContractTests() : TransportContractTests(new UdpTestNetwork(batchedSystemCalls: false, ipv6: true));
