using System;
using System.Buffers.Binary;
using TailGuard.R2P2;

namespace TailGuard.Transport.Xdp.Frames;

/// <summary>A datagram found in a frame: where its payload is, how long, and who sent it.</summary>
internal struct ParsedDatagram
{
    public int PayloadOffset;
    public int PayloadLength;
    public PacketAddress Source;
}

/// <summary>
/// Checks a received frame byte by byte before its payload reaches a handler: Ethernet addressed to this interface,
/// IPv4 (no options, not a fragment, right lengths and header checksum) or IPv6 (UDP right after the fixed header,
/// right payload length), addressed to one of this interface's addresses, UDP to the transport's port with a right
/// length and checksum (mandatory over IPv6). Anything else is a <see cref="XdpDropReason"/>; nothing here throws.
/// </summary>
internal static class FrameParser
{
    public static bool TryParse(ReadOnlySpan<byte> frame, LocalIdentity local, out ParsedDatagram datagram, out XdpDropReason reason)
    {
        datagram = default;
        if (frame.Length < FrameLayout.EthernetHeader)
        {
            reason = XdpDropReason.TruncatedHeader;
            return false;
        }

        if (!frame[..6].SequenceEqual(local.Mac))
        {
            reason = XdpDropReason.NotAddressedHere;
            return false;
        }

        var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        var ip = frame[FrameLayout.EthernetHeader..];
        return etherType switch
        {
            FrameLayout.EtherTypeIPv4 => TryParseIPv4(ip, local, ref datagram, out reason),
            FrameLayout.EtherTypeIPv6 => TryParseIPv6(ip, local, ref datagram, out reason),
            _ => Fail(XdpDropReason.Unsupported, out reason),
        };
    }

    private static bool TryParseIPv4(ReadOnlySpan<byte> ip, LocalIdentity local, ref ParsedDatagram datagram, out XdpDropReason reason)
    {
        if (ip.Length < FrameLayout.IPv4Header)
        {
            return Fail(XdpDropReason.TruncatedHeader, out reason);
        }

        if ((ip[0] >> 4) != 4)
        {
            return Fail(XdpDropReason.Unsupported, out reason);
        }

        var headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < FrameLayout.IPv4Header)
        {
            return Fail(XdpDropReason.BadLength, out reason);
        }

        if (headerLength > FrameLayout.IPv4Header)
        {
            return Fail(ip.Length < headerLength ? XdpDropReason.TruncatedHeader : XdpDropReason.IPOptions, out reason);
        }

        // The frame may be longer than the packet (Ethernet pads to 60 bytes), never shorter.
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (totalLength < FrameLayout.IPv4Header || totalLength > ip.Length)
        {
            return Fail(XdpDropReason.BadLength, out reason);
        }

        if (InternetChecksum.Finish(InternetChecksum.Add(ip[..FrameLayout.IPv4Header], 0)) != 0)
        {
            return Fail(XdpDropReason.BadIPChecksum, out reason);
        }

        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3FFF) != 0)
        {
            return Fail(XdpDropReason.Fragment, out reason); // more fragments, or an offset
        }

        if (ip[9] != FrameLayout.ProtocolUdp)
        {
            return Fail(XdpDropReason.Unsupported, out reason);
        }

        if (!local.IsLocal(BinaryPrimitives.ReadUInt32BigEndian(ip[16..])))
        {
            return Fail(XdpDropReason.NotAddressedHere, out reason);
        }

        var udp = ip[FrameLayout.IPv4Header..totalLength];
        if (!TryParseUdp(udp, ip.Slice(12, 4), ip.Slice(16, 4), local, ipv6: false, out var sourcePort, out reason))
        {
            return false;
        }

        datagram.PayloadOffset = FrameLayout.IPv4Headers;
        datagram.PayloadLength = udp.Length - FrameLayout.UdpHeader;
        datagram.Source = new PacketAddress(BinaryPrimitives.ReadUInt32BigEndian(ip[12..]), sourcePort);
        return true;
    }

    private static bool TryParseIPv6(ReadOnlySpan<byte> ip, LocalIdentity local, ref ParsedDatagram datagram, out XdpDropReason reason)
    {
        if (ip.Length < FrameLayout.IPv6Header)
        {
            return Fail(XdpDropReason.TruncatedHeader, out reason);
        }

        if ((ip[0] >> 4) != 6)
        {
            return Fail(XdpDropReason.Unsupported, out reason);
        }

        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        if (payloadLength > ip.Length - FrameLayout.IPv6Header)
        {
            return Fail(XdpDropReason.BadLength, out reason);
        }

        if (ip[6] != FrameLayout.ProtocolUdp)
        {
            return Fail(ip[6] == FrameLayout.NextHeaderFragment ? XdpDropReason.Fragment : XdpDropReason.Unsupported, out reason);
        }

        if (!local.IsLocal(ip.Slice(24, 16)))
        {
            return Fail(XdpDropReason.NotAddressedHere, out reason);
        }

        var udp = ip.Slice(FrameLayout.IPv6Header, payloadLength);
        if (!TryParseUdp(udp, ip.Slice(8, 16), ip.Slice(24, 16), local, ipv6: true, out var sourcePort, out reason))
        {
            return false;
        }

        var source = ip.Slice(8, 16);
        var linkLocal = source[0] == 0xFE && (source[1] & 0xC0) == 0x80;
        datagram.PayloadOffset = FrameLayout.IPv6Headers;
        datagram.PayloadLength = udp.Length - FrameLayout.UdpHeader;
        datagram.Source = new PacketAddress(source, sourcePort, linkLocal ? (uint)local.InterfaceIndex : 0);
        return true;
    }

    /// <summary>The UDP header over exactly the IP payload: its length must say the same, its port be ours, its checksum hold.</summary>
    private static bool TryParseUdp(ReadOnlySpan<byte> udp, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, LocalIdentity local, bool ipv6, out ushort sourcePort, out XdpDropReason reason)
    {
        sourcePort = 0;
        if (udp.Length < FrameLayout.UdpHeader)
        {
            return Fail(XdpDropReason.TruncatedHeader, out reason);
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(udp[4..]) != udp.Length)
        {
            return Fail(XdpDropReason.BadLength, out reason);
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(udp[2..]) != local.Port)
        {
            return Fail(XdpDropReason.WrongPort, out reason);
        }

        var checksum = BinaryPrimitives.ReadUInt16BigEndian(udp[6..]);
        if (checksum == 0 ? ipv6 : FrameWriter.UdpChecksum(source, destination, udp) != 0)
        {
            return Fail(XdpDropReason.BadUdpChecksum, out reason); // IPv4 may omit it (0); IPv6 may not
        }

        sourcePort = BinaryPrimitives.ReadUInt16BigEndian(udp);
        reason = default;
        return true;
    }

    private static bool Fail(XdpDropReason why, out XdpDropReason reason)
    {
        reason = why;
        return false;
    }
}
