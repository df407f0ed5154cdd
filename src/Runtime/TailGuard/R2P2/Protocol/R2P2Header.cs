using System;
using System.Buffers.Binary;

namespace TailGuard.R2P2;

/// <summary>
/// The 8-byte R2P2 header: magic 0xCC, header size 8, type/policy, flags, rid and packet order (big-endian).
/// Reading checks every field the reference leaves unchecked (docs/design/r2p2.md, "Validation").
/// </summary>
internal readonly struct R2P2Header
{
    public const int Size = 8;
    public const byte Magic = 0xCC;
    public const byte FlagFirst = 0x80;
    public const byte FlagLast = 0x40;
    public const byte FlagsSingle = FlagFirst | FlagLast;

    /// <summary>Types above this are not defined by R2P2.</summary>
    private const byte HighestType = (byte)MessageType.RaftMessage;

    public R2P2Header(MessageType type, RoutingPolicy policy, byte flags, ushort requestId, ushort packetOrder)
    {
        Type = type;
        Policy = policy;
        Flags = flags;
        RequestId = requestId;
        PacketOrder = packetOrder;
    }

    public MessageType Type { get; }

    /// <summary>The low nibble of the type/policy byte; may be a value the enum does not name.</summary>
    public RoutingPolicy Policy { get; }

    public byte Flags { get; }

    public ushort RequestId { get; }

    /// <summary>On a FIRST packet the total packet count; on the others the packet's index.</summary>
    public ushort PacketOrder { get; }

    public bool IsFirst => (Flags & FlagFirst) != 0;

    public bool IsLast => (Flags & FlagLast) != 0;

    public bool IsSinglePacket => Flags == FlagsSingle;

    public static byte TypePolicyByte(MessageType type, RoutingPolicy policy) => (byte)(((byte)type << 4) | ((byte)policy & 0x0F));

    public static void Write(Span<byte> destination, MessageType type, RoutingPolicy policy, byte flags, ushort requestId, ushort packetOrder)
    {
        destination[0] = Magic;
        destination[1] = Size;
        destination[2] = TypePolicyByte(type, policy);
        destination[3] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(4, 2), requestId);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(6, 2), packetOrder);
    }

    public void Write(Span<byte> destination) => Write(destination, Type, Policy, Flags, RequestId, PacketOrder);

    public static HeaderStatus TryRead(ReadOnlySpan<byte> datagram, out R2P2Header header)
    {
        header = default;
        if (datagram.Length < Size)
        {
            return HeaderStatus.TooShort;
        }

        if (datagram[0] != Magic)
        {
            return HeaderStatus.BadMagic;
        }

        if (datagram[1] != Size)
        {
            return HeaderStatus.BadHeaderSize;
        }

        var type = (byte)(datagram[2] >> 4);
        if (type > HighestType)
        {
            return HeaderStatus.UnknownType;
        }

        var flags = datagram[3];
        if ((flags & ~FlagsSingle) != 0)
        {
            return HeaderStatus.BadFlags;
        }

        var rid = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(4, 2));
        var order = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(6, 2));
        header = new R2P2Header((MessageType)type, (RoutingPolicy)(datagram[2] & 0x0F), flags, rid, order);

        // FEEDBACK carries no packet order (we send it zeroed, as docs/design/r2p2.md says); every other message
        // numbers its packets.
        if (header.Type == MessageType.Feedback)
        {
            return HeaderStatus.Valid;
        }

        if (order == 0)
        {
            return HeaderStatus.ZeroPacketOrder;
        }

        if ((header.IsSinglePacket && order != 1) || (header.IsFirst && !header.IsLast && order < 2))
        {
            return HeaderStatus.InconsistentPacketOrder;
        }

        return HeaderStatus.Valid;
    }
}
