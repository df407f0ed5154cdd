using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Linq;
using System.Net;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Transport.Xdp.Tests.Infrastructure;
using static TailGuard.Transport.Xdp.Tests.Infrastructure.TestFrames;

namespace TailGuard.Transport.Xdp.Tests;

/// <summary>
/// Frames a broken or hostile host on the link could send to the service's port, injected raw (AF_PACKET) from the
/// other end of the veth pair: each is dropped before any handler sees it, counted under its own reason and no other,
/// and the transport goes on receiving good datagrams afterwards (docs/xdp.md, "What the program matches").
/// </summary>
[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class HostileFrameTests(VethFixture veth) : IClassFixture<VethFixture>
{
    public static TheoryData<string, bool, XdpDropReason?> Cases => new()
    {
        { "udp header cut short (IP total length 24)", false, XdpDropReason.TruncatedHeader },
        { "IP total length beyond the frame", false, XdpDropReason.BadLength },
        { "UDP length disagrees with the IP payload", false, XdpDropReason.BadLength },
        { "IP header length below 20", false, null }, // the program passes it: the kernel's to drop
        { "wrong IPv4 header checksum", false, XdpDropReason.BadIPChecksum },
        { "wrong UDP checksum", false, XdpDropReason.BadUdpChecksum },
        { "IPv4 options", false, XdpDropReason.IPOptions },
        { "first fragment (more fragments set)", false, XdpDropReason.Fragment },
        { "another destination IP address", false, XdpDropReason.NotAddressedHere },
        { "another destination MAC address", false, XdpDropReason.NotAddressedHere },
        { "zero UDP checksum over IPv6", true, XdpDropReason.BadUdpChecksum },
        { "IPv6 payload length beyond the frame", true, XdpDropReason.BadLength },
        { "wrong UDP checksum over IPv6", true, XdpDropReason.BadUdpChecksum },
        { "UDP header cut short over IPv6", true, XdpDropReason.TruncatedHeader },
        { "IPv6 fragment header", true, null }, // an extension header: passed, the kernel reassembles or drops
    };

    [NetworkTheory]
    [MemberData(nameof(Cases))]
    public void A_broken_frame_is_dropped_and_counted_and_the_next_good_one_arrives(string breakage, bool ipv6, XdpDropReason? expected)
    {
        var pair = veth.Pair;
        using var xdp = NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA }));
        using var injector = NamespaceThread.Run(pair.NamespaceB, () => PacketInjector.Open(pair.InterfaceB));
        var macA = NamespaceThread.Run(pair.NamespaceA, () => PacketInjector.MacOf(pair.InterfaceA));
        var source = pair.AddressB(ipv6);
        var destination = pair.AddressA(ipv6);
        var port = xdp.LocalAddress.Port;
        byte[] Good(string text) => Udp(macA, injector.Mac, source, destination, 40000, port, System.Text.Encoding.ASCII.GetBytes(text));

        // The injector and the checksums are right: a good frame arrives, as sent.
        injector.Send(Good("before"));
        Assert.Equal("before", ProgramTests.ReceiveText(xdp));
        var before = xdp.Statistics;

        // Judged: counted under its reason, or (no reason) passed to the kernel by the program.
        bool Judged(XdpStatistics now) => expected is { } reason
            ? now.GetReceiveDrops(reason) > before.GetReceiveDrops(reason)
            : now.ProgramPassed > before.ProgramPassed;

        injector.Send(Break(Good("hostile payload"), breakage));
        var deadline = Stopwatch.GetTimestamp() + 5 * Stopwatch.Frequency;
        var slots = new[] { xdp.Rent(xdp.MaxDatagramSize) };
        while (!Judged(xdp.Statistics) && Stopwatch.GetTimestamp() < deadline)
        {
            Assert.Equal(0, xdp.Receive(slots, 20)); // nothing of it reaches the caller
        }

        Assert.True(Judged(xdp.Statistics), $"{breakage}: not judged in time; {xdp.Statistics}");

        var after = xdp.Statistics;
        foreach (var reason in Enum.GetValues<XdpDropReason>())
        {
            Assert.True(after.GetReceiveDrops(reason) - before.GetReceiveDrops(reason) == (reason == expected ? 1 : 0), $"{breakage}: {reason} went from {before.GetReceiveDrops(reason)} to {after.GetReceiveDrops(reason)}; {after}");
        }

        Assert.Equal(before.DatagramsReceived, after.DatagramsReceived);
        Assert.Equal(before.ProgramRedirected + (expected is null ? 0 : 1), after.ProgramRedirected);
        injector.Send(Good("after"));
        Assert.Equal("after", ProgramTests.ReceiveText(xdp));
    }

    private static byte[] Break(byte[] frame, string breakage)
    {
        var ip = Ethernet;
        var udp = ip + IPHeaderLength(frame);
        switch (breakage)
        {
            case "udp header cut short (IP total length 24)":
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(ip + 2), IPv4 + 4);
                FixIPv4Checksum(frame);
                return frame[..(udp + 4)];
            case "UDP header cut short over IPv6":
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(ip + 4), 4);
                return frame[..(udp + 4)];
            case "IP total length beyond the frame":
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(ip + 2), (ushort)(frame.Length - ip + 10));
                FixIPv4Checksum(frame);
                return frame;
            case "IPv6 payload length beyond the frame":
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(ip + 4), (ushort)(frame.Length - udp + 10));
                return frame;
            case "UDP length disagrees with the IP payload":
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(udp + 4), (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(udp + 4)) - 1));
                FixUdpChecksum(frame);
                return frame;
            case "IP header length below 20":
                frame[ip] = 0x44;
                FixIPv4Checksum(frame);
                return frame;
            case "wrong IPv4 header checksum":
                frame[ip + 10] ^= 0x5A;
                return frame;
            case "wrong UDP checksum":
            case "wrong UDP checksum over IPv6":
                frame[udp + 6] ^= 0x5A;
                return frame;
            case "zero UDP checksum over IPv6":
                frame[udp + 6] = 0;
                frame[udp + 7] = 0;
                return frame;
            case "IPv4 options":
            {
                // Four bytes of NOP options: header length 24, total length and checksum kept right.
                var longer = new byte[frame.Length + 4];
                frame.AsSpan(0, udp).CopyTo(longer);
                longer.AsSpan(udp, 4).Fill(1);
                frame.AsSpan(udp).CopyTo(longer.AsSpan(udp + 4));
                longer[ip] = 0x46;
                BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(ip + 2), (ushort)(longer.Length - ip));
                FixIPv4Checksum(longer);
                return longer;
            }

            case "first fragment (more fragments set)":
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(ip + 6), 0x2000);
                FixIPv4Checksum(frame);
                return frame;
            case "another destination IP address":
                frame[ip + 19] ^= 0x40; // still in the subnet, not this host's
                FixIPv4Checksum(frame);
                FixUdpChecksum(frame);
                return frame;
            case "IPv6 fragment header":
            {
                // A fragment header (8 bytes, next header UDP, offset 0, more fragments) between IPv6 and UDP.
                var longer = new byte[frame.Length + 8];
                frame.AsSpan(0, udp).CopyTo(longer);
                frame.AsSpan(udp).CopyTo(longer.AsSpan(udp + 8));
                longer[ip + 6] = 44;
                longer[udp] = 17;
                longer[udp + 3] = 1;
                BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(ip + 4), (ushort)(longer.Length - udp));
                return longer;
            }

            case "another destination MAC address":
                frame[5] ^= 0x10;
                return frame;
            default:
                throw new ArgumentException(breakage);
        }
    }
}
