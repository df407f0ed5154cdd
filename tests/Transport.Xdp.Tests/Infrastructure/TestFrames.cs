using System;
using System.Buffers.Binary;
using System.Net;

namespace TailGuard.Transport.Xdp.Tests.Infrastructure;

/// <summary>
/// Ethernet/IPv4/IPv6/UDP frames built byte by byte for the hostile-frame tests, with their own checksum code (not the
/// transport's), and the edits that break them one way at a time, each keeping every other field consistent.
/// </summary>
internal static class TestFrames
{
    public const int Ethernet = 14;
    public const int IPv4 = 20;
    public const int IPv6 = 40;

    /// <summary>A well-formed UDP datagram in a frame, IPv4 or IPv6 by the addresses' family.</summary>
    public static byte[] Udp(byte[] destinationMac, byte[] sourceMac, IPAddress source, IPAddress destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        var v4 = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        var ip = v4 ? IPv4 : IPv6;
        var frame = new byte[Ethernet + ip + 8 + payload.Length];
        destinationMac.CopyTo(frame, 0);
        sourceMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), v4 ? (ushort)0x0800 : (ushort)0x86DD);
        var header = frame.AsSpan(Ethernet);
        if (v4)
        {
            header[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(IPv4 + 8 + payload.Length));
            BinaryPrimitives.WriteUInt16BigEndian(header[4..], 0x1234);
            header[8] = 64;
            header[9] = 17;
            source.TryWriteBytes(header[12..], out _);
            destination.TryWriteBytes(header[16..], out _);
        }
        else
        {
            header[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)(8 + payload.Length));
            header[6] = 17;
            header[7] = 64;
            source.TryWriteBytes(header[8..], out _);
            destination.TryWriteBytes(header[24..], out _);
        }

        var udp = frame.AsSpan(Ethernet + ip);
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload.Length));
        payload.CopyTo(udp[8..]);
        FixIPv4Checksum(frame);
        FixUdpChecksum(frame);
        return frame;
    }

    public static bool IsIPv4(byte[] frame) => frame[12] == 0x08;

    public static int IPHeaderLength(byte[] frame) => IsIPv4(frame) ? (frame[Ethernet] & 0x0F) * 4 : IPv6;

    /// <summary>Recomputes the IPv4 header checksum (nothing for IPv6).</summary>
    public static void FixIPv4Checksum(byte[] frame)
    {
        if (!IsIPv4(frame))
        {
            return;
        }

        var header = frame.AsSpan(Ethernet, IPHeaderLength(frame));
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], Fold(Sum(header, 0)));
    }

    /// <summary>Recomputes the UDP checksum over the pseudo-header and the datagram its UDP length field gives.</summary>
    public static void FixUdpChecksum(byte[] frame)
    {
        var v4 = IsIPv4(frame);
        var ipStart = Ethernet;
        var udpStart = ipStart + IPHeaderLength(frame);
        var udpLength = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(udpStart + 4)), frame.Length - udpStart);
        frame[udpStart + 6] = 0;
        frame[udpStart + 7] = 0;
        var sum = v4 ? Sum(frame.AsSpan(ipStart + 12, 8), 0) : Sum(frame.AsSpan(ipStart + 8, 32), 0);
        sum += 17u + (uint)udpLength;
        sum = Sum(frame.AsSpan(udpStart, udpLength), sum);
        var checksum = Fold(sum);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(udpStart + 6), checksum == 0 ? (ushort)0xFFFF : checksum);
    }

    private static uint Sum(ReadOnlySpan<byte> data, uint sum)
    {
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if ((data.Length & 1) != 0)
        {
            sum += (uint)data[^1] << 8;
        }

        return sum;
    }

    private static ushort Fold(uint sum)
    {
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
