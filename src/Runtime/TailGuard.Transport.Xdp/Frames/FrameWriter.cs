using System;
using System.Buffers.Binary;

namespace TailGuard.Transport.Xdp.Frames;

/// <summary>
/// Writes the Ethernet, IP and UDP headers in front of a payload already in place, with the IPv4 header checksum and
/// the UDP checksum (computed for IPv4 too, where it is optional, so a receiver can check every datagram).
/// </summary>
internal static class FrameWriter
{
    /// <summary>
    /// Writes the headers into the first <see cref="FrameLayout.IPv4Headers"/> (4-byte addresses) or
    /// <see cref="FrameLayout.IPv6Headers"/> (16-byte addresses) bytes of <paramref name="frame"/>, whose payload of
    /// <paramref name="payloadLength"/> bytes follows them. Returns the frame length.
    /// </summary>
    public static int Write(
        Span<byte> frame,
        ReadOnlySpan<byte> destinationMac,
        ReadOnlySpan<byte> sourceMac,
        ReadOnlySpan<byte> sourceAddress,
        ReadOnlySpan<byte> destinationAddress,
        ushort sourcePort,
        ushort destinationPort,
        int payloadLength)
    {
        var ipv4 = sourceAddress.Length == 4;
        var headers = ipv4 ? FrameLayout.IPv4Headers : FrameLayout.IPv6Headers;
        var udpLength = FrameLayout.UdpHeader + payloadLength;

        destinationMac[..6].CopyTo(frame);
        sourceMac[..6].CopyTo(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], ipv4 ? FrameLayout.EtherTypeIPv4 : FrameLayout.EtherTypeIPv6);

        var ip = frame[FrameLayout.EthernetHeader..];
        Span<byte> udp;
        if (ipv4)
        {
            ip[0] = 0x45;                                                   // version 4, 5 words
            ip[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(FrameLayout.IPv4Header + udpLength));
            BinaryPrimitives.WriteUInt32BigEndian(ip[4..], 0x0000_4000);   // id 0, don't fragment (RFC 6864)
            ip[8] = FrameLayout.HopLimit;
            ip[9] = FrameLayout.ProtocolUdp;
            ip[10] = 0;
            ip[11] = 0;
            sourceAddress.CopyTo(ip[12..]);
            destinationAddress.CopyTo(ip[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Finish(InternetChecksum.Add(ip[..FrameLayout.IPv4Header], 0)));
            udp = ip[FrameLayout.IPv4Header..];
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(ip, 0x6000_0000);          // version 6, class 0, flow 0
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)udpLength);
            ip[6] = FrameLayout.ProtocolUdp;
            ip[7] = FrameLayout.HopLimit;
            sourceAddress.CopyTo(ip[8..]);
            destinationAddress.CopyTo(ip[24..]);
            udp = ip[FrameLayout.IPv6Header..];
        }

        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        udp[6] = 0;
        udp[7] = 0;
        var checksum = UdpChecksum(sourceAddress, destinationAddress, udp[..udpLength]);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? (ushort)0xFFFF : checksum); // 0 means "none" on the wire
        return headers + payloadLength;
    }

    /// <summary>The UDP checksum over the pseudo-header (addresses, protocol, length) and the datagram; 0 when a filled-in checksum is right.</summary>
    public static ushort UdpChecksum(ReadOnlySpan<byte> sourceAddress, ReadOnlySpan<byte> destinationAddress, ReadOnlySpan<byte> datagram)
    {
        var sum = InternetChecksum.Add(sourceAddress, 0);
        sum = InternetChecksum.Add(destinationAddress, sum);
        sum = InternetChecksum.AddWord(FrameLayout.ProtocolUdp, sum);
        sum = InternetChecksum.AddWord((ushort)datagram.Length, sum); // IPv6 uses a 32-bit length: the same sum below 64 KiB
        return InternetChecksum.Finish(InternetChecksum.Add(datagram, sum));
    }
}
