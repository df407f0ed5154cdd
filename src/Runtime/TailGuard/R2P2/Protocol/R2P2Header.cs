using System;
using System.Buffers.Binary;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// The 8-byte R2P2 header at the start of every datagram: magic 0xCC, header size 8, type/policy, flags, rid and packet
/// order, big-endian (docs/design/r2p2.md, "The header"). Reading checks every field the reference implementation leaves
/// unchecked; a header that fails is dropped and counted by every TailGuard role.
/// </summary>
public readonly struct R2P2Header : IEquatable<R2P2Header>
{
    /// <summary>The header size in bytes, and the value of the header-size byte.</summary>
    public const int Size = 8;

    /// <summary>The first byte of every R2P2 datagram.</summary>
    public const byte Magic = 0xCC;

    /// <summary>The FIRST flag: the first packet of a message; its packet order is the packet count.</summary>
    public const byte FlagFirst = 0x80;

    /// <summary>The LAST flag: the last packet of a message.</summary>
    public const byte FlagLast = 0x40;

    /// <summary>FIRST and LAST: a message of one packet (packet order 1).</summary>
    public const byte FlagsSingle = FlagFirst | FlagLast;

    /// <summary>Types above this are not defined by R2P2.</summary>
    private const byte HighestType = (byte)MessageType.RaftMessage;

    /// <summary>Creates a header value (not checked: <see cref="TryRead"/> checks what arrives).</summary>
    /// <param name="type">The message type.</param>
    /// <param name="policy">The routing policy nibble.</param>
    /// <param name="flags">The FIRST/LAST flags.</param>
    /// <param name="requestId">The rid.</param>
    /// <param name="packetOrder">The packet count on a FIRST packet, the packet's index otherwise.</param>
    public R2P2Header(MessageType type, RoutingPolicy policy, byte flags, ushort requestId, ushort packetOrder)
    {
        Type = type;
        Policy = policy;
        Flags = flags;
        RequestId = requestId;
        PacketOrder = packetOrder;
    }

    /// <summary>The message type (high nibble of byte 2).</summary>
    public MessageType Type { get; }

    /// <summary>The low nibble of the type/policy byte; may be a value the enum does not name.</summary>
    public RoutingPolicy Policy { get; }

    /// <summary>The flags byte: <see cref="FlagFirst"/>, <see cref="FlagLast"/>, both, or neither.</summary>
    public byte Flags { get; }

    /// <summary>The request id (rid) that ties every packet of an RPC together.</summary>
    public ushort RequestId { get; }

    /// <summary>On a FIRST packet the total packet count; on the others the packet's index.</summary>
    public ushort PacketOrder { get; }

    /// <summary>Whether the FIRST flag is set.</summary>
    public bool IsFirst => (Flags & FlagFirst) != 0;

    /// <summary>Whether the LAST flag is set.</summary>
    public bool IsLast => (Flags & FlagLast) != 0;

    /// <summary>Whether this is a one-packet message (FIRST and LAST).</summary>
    public bool IsSinglePacket => Flags == FlagsSingle;

    /// <summary>The type/policy byte: the type in the high nibble, the policy in the low nibble.</summary>
    /// <param name="type">The message type.</param>
    /// <param name="policy">The routing policy (its low nibble is used).</param>
    /// <returns>The byte.</returns>
    public static byte TypePolicyByte(MessageType type, RoutingPolicy policy) => (byte)(((byte)type << 4) | ((byte)policy & 0x0F));

    /// <summary>Writes a header into the first 8 bytes of <paramref name="destination"/>.</summary>
    /// <param name="destination">At least 8 bytes.</param>
    /// <param name="type">The message type.</param>
    /// <param name="policy">The routing policy.</param>
    /// <param name="flags">The FIRST/LAST flags.</param>
    /// <param name="requestId">The rid.</param>
    /// <param name="packetOrder">The packet count (FIRST) or index.</param>
    public static void Write(Span<byte> destination, MessageType type, RoutingPolicy policy, byte flags, ushort requestId, ushort packetOrder)
    {
        destination[0] = Magic;
        destination[1] = Size;
        destination[2] = TypePolicyByte(type, policy);
        destination[3] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(4, 2), requestId);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(6, 2), packetOrder);
    }

    /// <summary>Writes this header into the first 8 bytes of <paramref name="destination"/>.</summary>
    /// <param name="destination">At least 8 bytes.</param>
    public void Write(Span<byte> destination) => Write(destination, Type, Policy, Flags, RequestId, PacketOrder);

    /// <summary>Overwrites the rid of a header already written (the client stamps a rid into built packets).</summary>
    /// <param name="datagram">A datagram of at least 8 bytes.</param>
    /// <param name="requestId">The rid.</param>
    public static void WriteRequestId(Span<byte> datagram, ushort requestId) => BinaryPrimitives.WriteUInt16BigEndian(datagram.Slice(4, 2), requestId);

    /// <summary>Reads and checks the header at the start of a datagram.</summary>
    /// <param name="datagram">The datagram.</param>
    /// <param name="header">The header, when the status is <see cref="HeaderStatus.Valid"/> (fields may be set for some rejections).</param>
    /// <returns><see cref="HeaderStatus.Valid"/>, or why the datagram must be dropped.</returns>
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

    /// <inheritdoc/>
    public bool Equals(R2P2Header other)
        => Type == other.Type && Policy == other.Policy && Flags == other.Flags && RequestId == other.RequestId && PacketOrder == other.PacketOrder;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is R2P2Header other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Type, Policy, Flags, RequestId, PacketOrder);

    /// <summary>Compares two headers field by field.</summary>
    /// <param name="left">One header.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(R2P2Header left, R2P2Header right) => left.Equals(right);

    /// <summary>Compares two headers field by field.</summary>
    /// <param name="left">One header.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(R2P2Header left, R2P2Header right) => !left.Equals(right);
}
