using System;
using System.Buffers.Binary;

namespace TailGuard.Transport.Xdp.Frames;

/// <summary>
/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit words. The sum is
/// order-independent, so it adds little-endian 32-bit words into a 64-bit accumulator and swaps once at the end.
/// </summary>
internal static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> to a running sum (start from 0; an odd length pads with a zero byte, so only the last piece may be odd).</summary>
    public static ulong Add(ReadOnlySpan<byte> data, ulong sum)
    {
        while (data.Length >= 16)
        {
            sum += BinaryPrimitives.ReadUInt32LittleEndian(data);
            sum += BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            sum += BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
            sum += BinaryPrimitives.ReadUInt32LittleEndian(data[12..]);
            data = data[16..];
        }

        while (data.Length >= 4)
        {
            sum += BinaryPrimitives.ReadUInt32LittleEndian(data);
            data = data[4..];
        }

        if (data.Length >= 2)
        {
            sum += BinaryPrimitives.ReadUInt16LittleEndian(data);
            data = data[2..];
        }

        if (data.Length == 1)
        {
            sum += data[0]; // the high byte of a big-endian word padded with zero, in little-endian order
        }

        return sum;
    }

    /// <summary>Adds a 16-bit value given in host order (a length, a protocol number) as the big-endian word it is on the wire.</summary>
    public static ulong AddWord(ushort value, ulong sum) => sum + BinaryPrimitives.ReverseEndianness(value);

    /// <summary>
    /// The checksum of a running sum, as the host-order value to write big-endian into the header. Over data whose
    /// checksum field is already filled in, a correct checksum finishes to 0.
    /// </summary>
    public static ushort Finish(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~BinaryPrimitives.ReverseEndianness((ushort)sum);
    }
}
