using System;
using System.Buffers.Binary;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit big-endian words. Used
/// for the UDP checksum of forwarded datagrams (over the IPv4 or IPv6 pseudo-header, the UDP header and the payload).
/// </summary>
internal static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> to a running sum; every part but the last must have an even length.</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        // 32-bit words fold to the same 16-bit sum (2^16 is 1 modulo 0xFFFF) in half the additions.
        while (data.Length >= 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data);
            data = data[4..];
        }

        if (data.Length >= 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data);
            data = data[2..];
        }

        if (data.Length == 1)
        {
            sum += (uint)data[0] << 8; // an odd last byte is padded with a zero
        }

        return sum;
    }

    /// <summary>Folds a running sum to 16 bits and complements it.</summary>
    public static ushort Finish(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    /// <summary>
    /// The UDP checksum over IPv4: pseudo-header (source, destination, protocol 17, UDP length), the 8-byte UDP header
    /// with its checksum field zero, and the payload. A computed 0 is sent as 0xFFFF (0 means "no checksum").
    /// </summary>
    public static ushort Udp(uint source, uint destination, ReadOnlySpan<byte> udpHeaderWithZeroChecksum, ReadOnlySpan<byte> payload)
    {
        var udpLength = (ulong)(udpHeaderWithZeroChecksum.Length + payload.Length);
        ulong sum = source;
        sum += destination;
        sum += 17;
        sum += udpLength;
        sum = Add(sum, udpHeaderWithZeroChecksum);
        sum = Add(sum, payload);
        var checksum = Finish(sum);
        return checksum == 0 ? (ushort)0xFFFF : checksum;
    }

    /// <summary>
    /// The UDP checksum over IPv6 (RFC 8200, 8.1): pseudo-header (source and destination addresses, the 32-bit UDP length,
    /// next header 17), the UDP header with its checksum field zero, and the payload; a computed 0 is sent as 0xFFFF.
    /// </summary>
    /// <param name="addresses">The 32 bytes of source then destination address, as in the IPv6 header.</param>
    /// <param name="udpHeaderWithZeroChecksum">The 8-byte UDP header, its checksum field zero.</param>
    /// <param name="payload">The UDP payload.</param>
    public static ushort Udp6(ReadOnlySpan<byte> addresses, ReadOnlySpan<byte> udpHeaderWithZeroChecksum, ReadOnlySpan<byte> payload)
    {
        var udpLength = (ulong)(udpHeaderWithZeroChecksum.Length + payload.Length);
        var sum = Add(0, addresses);
        sum += udpLength;
        sum += 17;
        sum = Add(sum, udpHeaderWithZeroChecksum);
        sum = Add(sum, payload);
        var checksum = Finish(sum);
        return checksum == 0 ? (ushort)0xFFFF : checksum;
    }
}
