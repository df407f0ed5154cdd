using System;
using System.Buffers.Binary;
using TailGuard.Fuzz.Harness;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Fuzz.R2P2;

/// <summary>
/// Turns fuzz bytes into R2P2 datagrams: mostly well-formed headers with fuzzed fields (so the fuzzer reaches the state
/// machines instead of dying at the magic byte), sometimes raw fuzz bytes as the header. Every datagram long enough to
/// carry a payload starts its payload with a serial number and a filler derived from it, so a target can tell which
/// datagram every delivered byte came from.
/// </summary>
internal static class DatagramScript
{
    public const int SerialSize = 4;

    /// <summary>Writes a datagram into <paramref name="destination"/> and returns its length.</summary>
    /// <param name="input">The script.</param>
    /// <param name="op">The op byte that chose a datagram (bit 6: raw header; bits 2-3: the shape of a structured one).</param>
    /// <param name="type">The message type of a structured datagram.</param>
    /// <param name="requestIds">How many rids to draw from (small, so packets collide).</param>
    /// <param name="serial">The datagram's serial.</param>
    /// <param name="destination">At least 8 + 4 + 31 bytes.</param>
    public static int Write(ref FuzzInput input, byte op, MessageType type, int requestIds, int serial, scoped Span<byte> destination)
    {
        int headerLength;
        if ((op & 0x40) != 0)
        {
            ReadOnlySpan<byte> raw = input.Bytes(input.Byte() % (R2P2Header.Size + 1));
            raw.CopyTo(destination);
            headerLength = raw.Length;
            if (headerLength < R2P2Header.Size)
            {
                return headerLength; // too short for a header: nothing more
            }
        }
        else
        {
            byte flags = ((op >> 2) & 3) switch
            {
                0 => R2P2Header.FlagFirst,
                1 => 0,
                2 => R2P2Header.FlagLast,
                _ => R2P2Header.FlagsSingle,
            };
            byte shape = input.Byte();
            var policy = (RoutingPolicy)((shape & 0x80) != 0 ? shape & 0x0F : (shape >> 4) & 1);
            var requestId = (ushort)(input.Byte() % requestIds);
            var order = (ushort)(input.Byte() & 0x1F);
            R2P2Header.Write(destination, type, policy, flags, requestId, order);
            headerLength = R2P2Header.Size;
        }

        // A FIRST packet of a multi-packet request carries exactly 14 payload bytes (docs/design/r2p2.md); bit 5 breaks that.
        byte size = input.Byte();
        bool first = headerLength == R2P2Header.Size && (destination[3] & R2P2Header.FlagsSingle) == R2P2Header.FlagFirst;
        int payload = first && (size & 0x20) == 0 ? Fragmenter.FirstRequestPacketPayload : SerialSize + (size & 0x1F);
        Span<byte> body = destination.Slice(headerLength, payload);
        BinaryPrimitives.WriteInt32LittleEndian(body, serial);
        for (int i = SerialSize; i < payload; i++)
        {
            body[i] = Filler(serial, i);
        }

        return headerLength + payload;
    }

    /// <summary>The filler byte at <paramref name="offset"/> of the payload of datagram <paramref name="serial"/>.</summary>
    public static byte Filler(int serial, int offset) => (byte)((serial * 31) + (offset * 7) + 1);

    /// <summary>
    /// Checks that <paramref name="payload"/> starts with the whole payload of datagram <paramref name="serial"/>
    /// (<paramref name="length"/> bytes: its serial, then its filler) and returns that length.
    /// </summary>
    public static void CheckPayload(ReadOnlySpan<byte> payload, int serial, int length, string what)
    {
        Invariant.Holds(payload.Length >= length && length >= SerialSize, $"{what}: the payload of datagram {serial} is cut short.");
        Invariant.Holds(BinaryPrimitives.ReadInt32LittleEndian(payload) == serial, $"{what}: datagram {serial}'s payload does not start with its serial.");
        for (int i = SerialSize; i < length; i++)
        {
            Invariant.Holds(payload[i] == Filler(serial, i), $"{what}: byte {i} of datagram {serial}'s payload changed (read after return, or mixed with another datagram).");
        }
    }
}
