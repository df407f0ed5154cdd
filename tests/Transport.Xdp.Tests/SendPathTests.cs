using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Transport.Xdp.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TailGuard.Transport.Xdp.Tests;

/// <summary>
/// The paths that finish sends (docs/xdp.md, "Sending"), reached on veth: rings smaller than a send
/// (<see cref="XdpTransportOptions.TransmitRingSize"/>, <see cref="XdpTransportOptions.CompletionRingSize"/>), an
/// interface that is down (the kernel takes nothing from the TX ring), a peer that is down (no carrier: the device drops
/// what the kernel takes), every UMEM frame held. Each datagram is sent, or dropped and counted; every frame comes back;
/// nothing stays on the TX ring once the kernel can take it; nothing hangs.
/// </summary>
[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class SendPathTests(VethFixture veth, ITestOutputHelper output) : IClassFixture<VethFixture>
{
    private const int RingSize = 64;

    /// <summary>More than a small ring and than the kernel's copy-mode batch (32), within the free frames and the peer's socket buffer.</summary>
    private const int Burst = 48;

    [NetworkFact]
    public void A_send_larger_than_the_transmit_ring_goes_out_whole_within_the_call()
    {
        // Twelve ring-fulls in one call: at each full ring the sender wakes the kernel, which takes what the ring holds.
        using var xdp = OpenXdp(transmitRing: 4);
        AssertABurstGoesOutWholeWithinOneSend(xdp);
    }

    [NetworkFact]
    public void Completions_are_collected_between_wakeups_so_a_send_larger_than_the_completion_ring_goes_out_whole()
    {
        // The kernel sends only while the completion ring has room: four at a time, then EAGAIN until the sender
        // collects those four completions and asks again.
        using var xdp = OpenXdp(completionRing: 4);
        AssertABurstGoesOutWholeWithinOneSend(xdp);
    }

    [NetworkFact]
    public void Replies_while_the_interface_is_down_fill_the_transmit_ring_the_rest_are_counted_and_an_idle_receive_sends_the_ring_once_it_is_up()
    {
        const int requests = 20;
        const int transmitRing = 4;
        var pair = veth.Pair;
        using var xdp = OpenXdp(transmitRing: transmitRing);
        using var udp = NumberedTraffic.OpenWarmPeer(pair, xdp);
        xdp.ResolveNeighbour(udp.LocalAddress); // remembered for the whole test (OpenXdp): no lookup while the link is down
        NumberedTraffic.SendNumbered(udp, xdp.LocalAddress, 0, requests);
        var received = ReceiveHeld(xdp, requests);
        var before = xdp.Statistics;

        pair.SetLink(sideA: true, up: false);
        try
        {
            // Each reply from its request's frame, to its source. The kernel refuses to transmit on a down interface
            // (ENETDOWN): the TX ring keeps the first four, the other sixteen find it full and are dropped.
            xdp.Send(received.ToArray());
            var down = xdp.Statistics;
            var census = xdp.Census;
            output.WriteLine($"interface down: {down}; {census}");
            Assert.Equal(transmitRing, down.DatagramsSent - before.DatagramsSent);
            Assert.Equal(requests - transmitRing, down.TransmitRingFullDrops - before.TransmitRingFullDrops);
            Assert.Equal(transmitRing, census.Sending); // on the TX ring, waiting for the interface
            Assert.Equal(0, census.Held); // each dropped reply's frame came back
            Assert.Equal(census.Total, census.Counted);
        }
        finally
        {
            pair.SetLink(sideA: true, up: true);
        }

        // No send from here on, nothing to receive: idle receives alone must hand the TX ring to the kernel. They
        // do not wait (the busy-poll receive): a waiting receive's poll() would transmit by itself in copy mode.
        var answered = new HashSet<int>();
        var slot = new[] { xdp.Rent(64) };
        var replies = new[] { new PacketBuffer(2048) };
        var deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency; // only catches replies that never leave
        while (answered.Count < transmitRing && Stopwatch.GetTimestamp() < deadline)
        {
            xdp.Receive(slot, 0);
            if (udp.Receive(replies, 10) == 1)
            {
                answered.Add(BinaryPrimitives.ReadInt32LittleEndian(replies[0].Span));
            }
        }

        slot[0].Return();
        var after = xdp.Statistics;
        output.WriteLine($"interface up: {after}");
        Assert.Equal(Enumerable.Range(0, transmitRing), answered.Order()); // the replies that found room on the ring
        Assert.Equal(requests, answered.Count + (after.TransmitRingFullDrops - before.TransmitRingFullDrops)); // each answered or counted
        NumberedTraffic.AssertEveryFrameAccountedFor(xdp, output, RingSize, held: 0);
    }

    [NetworkFact]
    public void With_no_carrier_the_kernel_drops_a_datagram_per_wakeup_and_the_sender_goes_on_until_every_frame_is_back()
    {
        var pair = veth.Pair;
        using var xdp = OpenXdp();
        using var udp = NumberedTraffic.OpenWarmPeer(pair, xdp);
        xdp.ResolveNeighbour(udp.LocalAddress);
        var before = xdp.Statistics;
        var droppedBefore = pair.TransmitDroppedA();

        pair.SetLink(sideA: false, up: false); // side A loses its carrier
        try
        {
            // For each wakeup the kernel takes one entry, the device drops it, and the kernel completes its frame and
            // answers EBUSY: the sender collects the completion and asks again until the ring is empty.
            xdp.Send(Numbered(() => xdp.Rent(64), udp.LocalAddress, Burst));
            var after = xdp.Statistics;
            var census = xdp.Census;
            output.WriteLine($"no carrier: {after}; {census}");
            Assert.Equal(Burst, after.DatagramsSent - before.DatagramsSent);
            Assert.Equal(0, after.TransmitRingFullDrops - before.TransmitRingFullDrops);
            Assert.Equal(0, census.Sending); // every frame completed and collected within the call
            Assert.Equal(census.Total, census.Counted);

            // Where the loss shows: the device's own counter (at least these; the kernel may have lost its own packets too).
            Assert.True(pair.TransmitDroppedA() - droppedBefore >= Burst, pair.LinkStatisticsA());
        }
        finally
        {
            pair.SetLink(sideA: false, up: true);
        }

        NumberedTraffic.AssertEveryFrameAccountedFor(xdp, output, RingSize, held: 0);
    }

    [NetworkFact]
    public void A_foreign_buffer_that_finds_no_free_frame_is_dropped_counted_and_given_back()
    {
        using var xdp = OpenXdp();
        using var udp = NumberedTraffic.OpenWarmPeer(veth.Pair, xdp);
        xdp.ResolveNeighbour(udp.LocalAddress);
        var held = new List<PacketBuffer>();
        for (var free = xdp.Census.Free; free > 0; free--)
        {
            held.Add(xdp.Rent(64)); // every frame not with the kernel to receive
        }

        var before = xdp.Statistics;
        Assert.Equal(0, before.FramesFree);
        var foreign = new PacketBufferPool(256, maxIdle: 16);
        xdp.Send(Numbered(foreign.Rent, udp.LocalAddress, 8));

        var after = xdp.Statistics;
        output.WriteLine(after.ToString());
        Assert.Equal(8, after.FrameShortageDrops - before.FrameShortageDrops);
        Assert.Equal(0, after.DatagramsSent - before.DatagramsSent);
        Assert.Equal(8, foreign.IdleCount); // each went back to its owner

        // With frames free again, the same kind of send is copied into frames and goes.
        foreach (var frame in held)
        {
            frame.Return();
        }

        xdp.Send(Numbered(foreign.Rent, udp.LocalAddress, 8));
        Assert.Equal(Enumerable.Range(0, 8), NumberedTraffic.ReceiveNumbered(udp, 8).Order());
        Assert.Equal(8, xdp.Statistics.FrameShortageDrops - before.FrameShortageDrops);
        NumberedTraffic.AssertEveryFrameAccountedFor(xdp, output, RingSize, held: 0);
    }

    [NetworkFact]
    public void Transmit_and_completion_ring_sizes_other_than_powers_of_two_are_refused_naming_the_setting()
    {
        var transmit = Assert.Throws<ArgumentException>(() => XdpTransport.Create(new XdpTransportOptions { Interface = veth.Pair.InterfaceA, TransmitRingSize = 3 }));
        Assert.Contains(nameof(XdpTransportOptions.TransmitRingSize), transmit.Message, StringComparison.Ordinal);
        var completion = Assert.Throws<ArgumentException>(() => XdpTransport.Create(new XdpTransportOptions { Interface = veth.Pair.InterfaceA, CompletionRingSize = 1 }));
        Assert.Contains(nameof(XdpTransportOptions.CompletionRingSize), completion.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// AF_XDP on side A with 64-entry fill and RX rings and 256 frames, a TX or completion ring as small as asked, and
    /// next hops remembered for the test's length (one test takes the link down, where the kernel forgets them).
    /// </summary>
    private XdpTransport OpenXdp(int transmitRing = 0, int completionRing = 0)
    {
        var pair = veth.Pair;
        return NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions
        {
            Interface = pair.InterfaceA,
            RingSize = RingSize,
            FrameCount = 4 * RingSize,
            TransmitRingSize = transmitRing,
            CompletionRingSize = completionRing,
            NeighbourCacheLifetime = TimeSpan.FromMinutes(10),
        }));
    }

    /// <summary>
    /// One Send of <see cref="Burst"/> UMEM frames: all of it leaves within the call (nothing more is asked of the
    /// transport before the peer reads them), none is counted as a ring-full drop, and every frame comes back.
    /// </summary>
    private void AssertABurstGoesOutWholeWithinOneSend(XdpTransport xdp)
    {
        using var udp = NumberedTraffic.OpenWarmPeer(veth.Pair, xdp);
        xdp.ResolveNeighbour(udp.LocalAddress);
        var before = xdp.Statistics;

        xdp.Send(Numbered(() => xdp.Rent(64), udp.LocalAddress, Burst));

        var after = xdp.Statistics;
        output.WriteLine(after.ToString());
        Assert.Equal(0, after.TransmitRingFullDrops - before.TransmitRingFullDrops);
        Assert.Equal(Burst, after.DatagramsSent - before.DatagramsSent);
        Assert.Equal(Enumerable.Range(0, Burst), NumberedTraffic.ReceiveNumbered(udp, Burst).Order());
        NumberedTraffic.AssertEveryFrameAccountedFor(xdp, output, RingSize, held: 0);
    }

    /// <summary>
    /// <paramref name="count"/> buffers from <paramref name="rent"/>, numbered 0 onwards, for <paramref name="to"/>: UMEM
    /// frames rented from the transport, or buffers of another owner (each must be copied into a frame).
    /// </summary>
    private static PacketBuffer[] Numbered(Func<PacketBuffer> rent, PacketAddress to, int count)
    {
        var batch = new PacketBuffer[count];
        for (var i = 0; i < count; i++)
        {
            batch[i] = NumberedTraffic.Numbered(rent(), i, to);
        }

        return batch;
    }

    /// <summary>Receives exactly <paramref name="count"/> datagrams and keeps their frames (held by the test, to answer from).</summary>
    private static List<PacketBuffer> ReceiveHeld(XdpTransport xdp, int count)
    {
        var held = new List<PacketBuffer>();
        var slots = new PacketBuffer[16];
        for (var i = 0; i < slots.Length; i++)
        {
            slots[i] = xdp.Rent(xdp.MaxDatagramSize);
        }

        try
        {
            while (held.Count < count)
            {
                var n = xdp.Receive(slots.AsSpan(0, Math.Min(slots.Length, count - held.Count)), 2000);
                Assert.True(n > 0, $"only {held.Count} of {count} requests arrived");
                for (var i = 0; i < n; i++)
                {
                    held.Add(slots[i]);
                    slots[i] = xdp.Rent(xdp.MaxDatagramSize);
                }
            }
        }
        finally
        {
            foreach (var slot in slots)
            {
                slot.Return();
            }
        }

        return held;
    }
}
