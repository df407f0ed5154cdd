using System;
using System.Buffers.Binary;

namespace TailGuard.R2P2;

/// <summary>The fixed-shape messages a server sends besides responses: ACK, DROP and FEEDBACK (docs/design/r2p2.md).</summary>
internal static class ControlMessages
{
    public const int AckLength = R2P2Header.Size + 3;
    public const int DropLength = R2P2Header.Size + 4;
    public const int FeedbackLength = R2P2Header.Size + 8;

    private static ReadOnlySpan<byte> AckPayload => "ACK"u8;

    private static ReadOnlySpan<byte> DropPayload => "DROP"u8;

    /// <summary>The 11-byte ACK (REQRDY): type/policy 0x31, flags 0xC0, the request's rid, order 1, payload "ACK".</summary>
    public static int WriteAck(Span<byte> destination, ushort requestId)
    {
        R2P2Header.Write(destination, MessageType.Ack, RoutingPolicy.Fixed, R2P2Header.FlagsSingle, requestId, 1);
        AckPayload.CopyTo(destination[R2P2Header.Size..]);
        return AckLength;
    }

    /// <summary>The 12-byte DROP: type/policy 0x41, flags 0xC0, the request's rid, order 1, payload "DROP".</summary>
    public static int WriteDrop(Span<byte> destination, ushort requestId)
    {
        R2P2Header.Write(destination, MessageType.Drop, RoutingPolicy.Fixed, R2P2Header.FlagsSingle, requestId, 1);
        DropPayload.CopyTo(destination[R2P2Header.Size..]);
        return DropLength;
    }

    /// <summary>
    /// The 16-byte FEEDBACK: magic, header size and type/policy 0x20 with every other header byte zero, then the finished
    /// request's rid, the client's port and the client's IPv4 address, all big-endian.
    /// </summary>
    public static int WriteFeedback(Span<byte> destination, ushort requestId, PacketAddress client)
    {
        R2P2Header.Write(destination, MessageType.Feedback, RoutingPolicy.LoadBalanced, 0, 0, 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(8, 2), requestId);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(10, 2), client.Port);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(12, 4), client.IPv4);
        return FeedbackLength;
    }

    /// <summary>Whether a datagram (header already read as a single-packet ACK) is exactly the 11-byte ACK.</summary>
    public static bool IsWellFormedAck(ReadOnlySpan<byte> datagram, in R2P2Header header)
        => datagram.Length == AckLength && header.IsSinglePacket && datagram[R2P2Header.Size..].SequenceEqual(AckPayload);

    /// <summary>Whether a datagram (header already read as DROP) is exactly the 12-byte DROP.</summary>
    public static bool IsWellFormedDrop(ReadOnlySpan<byte> datagram, in R2P2Header header)
        => datagram.Length == DropLength && header.IsSinglePacket && datagram[R2P2Header.Size..].SequenceEqual(DropPayload);
}
