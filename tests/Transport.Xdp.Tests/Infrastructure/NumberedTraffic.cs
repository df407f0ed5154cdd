using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using TailGuard.R2P2;
using Xunit.Abstractions;

namespace TailGuard.Transport.Xdp.Tests.Infrastructure;

/// <summary>
/// Numbered datagrams between a kernel UDP peer (side B) and an AF_XDP transport (side A), and the frame census check
/// after them: what the burst and send-path tests share. Each datagram is 64 bytes and carries its number in its first
/// four bytes (little-endian), so a test can tell which ones arrived.
/// </summary>
internal static class NumberedTraffic
{
    /// <summary>A kernel UDP peer on side B, after one datagram to the transport, so side B knows side A's MAC address before a burst.</summary>
    public static UdpTransport OpenWarmPeer(VethPair pair, XdpTransport xdp)
    {
        var udp = NamespaceThread.Run(pair.NamespaceB, () => UdpTransport.Bind(new System.Net.IPEndPoint(pair.AddressB4, 0)));
        try
        {
            SendNumbered(udp, xdp.LocalAddress, -1, 1);
            Assert.Equal(1, Drain(xdp, out _));
            return udp;
        }
        catch
        {
            udp.Dispose();
            throw;
        }
    }

    /// <summary>Sends datagrams numbered <paramref name="first"/> onwards from the peer, in one batch.</summary>
    public static void SendNumbered(UdpTransport udp, PacketAddress to, int first, int count)
    {
        var batch = new PacketBuffer[count];
        for (var i = 0; i < count; i++)
        {
            batch[i] = Numbered(udp.Rent(64), first + i, to);
        }

        udp.Send(batch);
    }

    /// <summary>Writes <paramref name="number"/> into a 64-byte datagram for <paramref name="to"/>.</summary>
    public static PacketBuffer Numbered(PacketBuffer buffer, int number, PacketAddress to)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer.Storage, number);
        buffer.Length = 64;
        buffer.Address = to;
        return buffer;
    }

    /// <summary>Receives on the transport until 200 ms pass with nothing; returns how many, with their numbers.</summary>
    public static int Drain(XdpTransport xdp, out HashSet<int> numbers)
    {
        numbers = [];
        var slots = new PacketBuffer[16];
        for (var i = 0; i < slots.Length; i++)
        {
            slots[i] = xdp.Rent(xdp.MaxDatagramSize);
        }

        var received = 0;
        int n;
        while ((n = xdp.Receive(slots, 200)) > 0)
        {
            for (var i = 0; i < n; i++)
            {
                numbers.Add(BinaryPrimitives.ReadInt32LittleEndian(slots[i].Span));
            }

            received += n;
        }

        foreach (var slot in slots)
        {
            slot.Return();
        }

        return received;
    }

    /// <summary>
    /// The numbers the peer receives, until it has <paramref name="expected"/> or 2 s pass with nothing (a bound that
    /// only catches what never comes: what the kernel delivered is already queued on the peer's socket).
    /// </summary>
    public static HashSet<int> ReceiveNumbered(UdpTransport udp, int expected)
    {
        var numbers = new HashSet<int>();
        var slots = new PacketBuffer[16];
        for (var i = 0; i < slots.Length; i++)
        {
            slots[i] = new PacketBuffer(2048);
        }

        int n;
        while (numbers.Count < expected && (n = udp.Receive(slots, 2000)) > 0)
        {
            for (var i = 0; i < n; i++)
            {
                numbers.Add(BinaryPrimitives.ReadInt32LittleEndian(slots[i].Span));
            }
        }

        return numbers;
    }

    /// <summary>
    /// Once the kernel has let every sent frame go (idle receives collect completions, up to 2 s): free + receiving +
    /// held + sending = all, nothing is stuck with the kernel to send, the application holds <paramref name="held"/>,
    /// and the fill ring is topped up to <paramref name="ringSize"/>.
    /// </summary>
    public static void AssertEveryFrameAccountedFor(XdpTransport xdp, ITestOutputHelper output, int ringSize, int held)
    {
        var deadline = Stopwatch.GetTimestamp() + 2 * Stopwatch.Frequency;
        var census = xdp.Census;
        while (census.Sending > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(5);
            var slot = new[] { xdp.Rent(64) };
            xdp.Receive(slot, 0); // an idle receive collects completions
            slot[0].Return();
            census = xdp.Census;
        }

        output.WriteLine(census.ToString());
        Assert.Equal(census.Total, census.Counted);
        Assert.Equal(0, census.Sending);
        Assert.Equal(held, census.Held);
        Assert.Equal(ringSize, census.Receiving); // the fill ring is topped up again
    }
}
