using System;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// How a message of a given length splits into packets (docs/design/r2p2.md, "Message sizes and how messages split"). A multi-packet
/// REQUEST's first packet carries exactly <see cref="FirstRequestPacketPayload"/> bytes so a router only ever touches
/// tiny packets; every other message fills its packets in order.
/// </summary>
public static class Fragmenter
{
    /// <summary>Payload bytes per packet by default: 1500 MTU - 20 IPv4 - 8 UDP - 8 R2P2.</summary>
    public const int DefaultPayloadSize = 1464;

    /// <summary>The payload of the first packet of a multi-packet request.</summary>
    public const int FirstRequestPacketPayload = 14;

    /// <summary>The most packets one message may have: the packet order field is 16 bits.</summary>
    public const int MaxPackets = ushort.MaxValue;

    /// <summary>How many packets a message of <paramref name="length"/> bytes takes.</summary>
    /// <param name="type">The message type (requests split differently).</param>
    /// <param name="length">The payload length.</param>
    /// <param name="payloadSize">Payload bytes per packet.</param>
    /// <returns>The packet count (1 for an empty message).</returns>
    public static int PacketCount(MessageType type, int length, int payloadSize)
    {
        if (length <= payloadSize)
        {
            return 1;
        }

        if (type == MessageType.Request)
        {
            return 1 + (int)Math.Ceiling((length - FirstRequestPacketPayload) / (double)payloadSize);
        }

        return (int)Math.Ceiling(length / (double)payloadSize);
    }

    /// <summary>The slice of the message that packet <paramref name="index"/> carries.</summary>
    /// <param name="type">The message type.</param>
    /// <param name="length">The payload length.</param>
    /// <param name="payloadSize">Payload bytes per packet.</param>
    /// <param name="index">The packet index, from 0.</param>
    /// <returns>The offset and length of the slice.</returns>
    public static (int Offset, int Length) Packet(MessageType type, int length, int payloadSize, int index)
    {
        if (length <= payloadSize)
        {
            return (0, length);
        }

        int offset;
        if (type == MessageType.Request)
        {
            if (index == 0)
            {
                return (0, FirstRequestPacketPayload);
            }

            offset = FirstRequestPacketPayload + ((index - 1) * payloadSize);
        }
        else
        {
            offset = index * payloadSize;
        }

        return (offset, Math.Min(payloadSize, length - offset));
    }

    /// <summary>The largest message a packet count of <see cref="MaxPackets"/> can carry.</summary>
    /// <param name="type">The message type.</param>
    /// <param name="payloadSize">Payload bytes per packet.</param>
    /// <returns>The length in bytes.</returns>
    public static long MaxMessageLength(MessageType type, int payloadSize)
        => type == MessageType.Request
            ? FirstRequestPacketPayload + ((long)(MaxPackets - 1) * payloadSize)
            : (long)MaxPackets * payloadSize;

    /// <summary>Flags and packet order of packet <paramref name="index"/> of <paramref name="count"/>.</summary>
    /// <param name="index">The packet index, from 0.</param>
    /// <param name="count">The packet count.</param>
    /// <returns>The flags byte and the packet order field.</returns>
    public static (byte Flags, ushort Order) Numbering(int index, int count)
    {
        if (count == 1)
        {
            return (R2P2Header.FlagsSingle, 1);
        }

        if (index == 0)
        {
            return (R2P2Header.FlagFirst, (ushort)count);
        }

        return (index == count - 1 ? R2P2Header.FlagLast : (byte)0, (ushort)index);
    }
}
