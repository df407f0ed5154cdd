using System;
using System.Buffers.Binary;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// The fixed-shape messages besides requests and responses: ACK, DROP and FEEDBACK (docs/design/r2p2.md, "The multi-packet
/// request handshake" and "Responses, DROP and FEEDBACK"), byte for byte as the reference implementation sends them.
/// </summary>
public static class ControlMessages
{
    /// <summary>An ACK is 11 bytes: the header and "ACK".</summary>
    public const int AckLength = R2P2Header.Size + 3;

    /// <summary>A DROP is 12 bytes: the header and "DROP".</summary>
    public const int DropLength = R2P2Header.Size + 4;

    /// <summary>A FEEDBACK is 16 bytes: the header, then rid, client port and client IPv4 address.</summary>
    public const int FeedbackLength = R2P2Header.Size + 8;

    /// <summary>
    /// A FEEDBACK for an IPv6 client is 28 bytes: the header, then rid, client port and the client's 16-byte IPv6 address
    /// (TailGuard's extension; the reference has IPv4 only, docs/router.md "IPv6").
    /// </summary>
    public const int FeedbackIPv6Length = R2P2Header.Size + 20;

    private static ReadOnlySpan<byte> AckPayload => "ACK"u8;

    private static ReadOnlySpan<byte> DropPayload => "DROP"u8;

    /// <summary>Writes the 11-byte ACK (REQRDY): type/policy 0x31, flags 0xC0, the request's rid, order 1, payload "ACK".</summary>
    /// <param name="destination">At least <see cref="AckLength"/> bytes.</param>
    /// <param name="requestId">The rid of the request being acknowledged.</param>
    /// <returns><see cref="AckLength"/>.</returns>
    public static int WriteAck(Span<byte> destination, ushort requestId)
    {
        R2P2Header.Write(destination, MessageType.Ack, RoutingPolicy.Fixed, R2P2Header.FlagsSingle, requestId, 1);
        AckPayload.CopyTo(destination[R2P2Header.Size..]);
        return AckLength;
    }

    /// <summary>Writes the 12-byte DROP: type/policy 0x41, flags 0xC0, the request's rid, order 1, payload "DROP".</summary>
    /// <param name="destination">At least <see cref="DropLength"/> bytes.</param>
    /// <param name="requestId">The rid of the refused request.</param>
    /// <returns><see cref="DropLength"/>.</returns>
    public static int WriteDrop(Span<byte> destination, ushort requestId)
    {
        R2P2Header.Write(destination, MessageType.Drop, RoutingPolicy.Fixed, R2P2Header.FlagsSingle, requestId, 1);
        DropPayload.CopyTo(destination[R2P2Header.Size..]);
        return DropLength;
    }

    /// <summary>
    /// Writes a FEEDBACK: magic, header size and type/policy 0x20 with every other header byte zero, then the finished
    /// request's rid, the client's port and the client's address, all big-endian: 16 bytes for an IPv4 client (the
    /// reference's format), 28 for an IPv6 one (<see cref="FeedbackIPv6Length"/>; its scope id is not carried).
    /// </summary>
    /// <param name="destination">At least <see cref="FeedbackLength"/> bytes, <see cref="FeedbackIPv6Length"/> for an IPv6 client.</param>
    /// <param name="requestId">The rid of the finished request.</param>
    /// <param name="client">The request's client.</param>
    /// <returns>The length written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small for the client's form.</exception>
    public static int WriteFeedback(Span<byte> destination, ushort requestId, PacketAddress client)
    {
        var length = client.IsIPv4 ? FeedbackLength : FeedbackIPv6Length;
        if (destination.Length < length)
        {
            throw new ArgumentException($"A FEEDBACK for {client} needs {length} bytes, not {destination.Length}.", nameof(destination));
        }

        R2P2Header.Write(destination, MessageType.Feedback, RoutingPolicy.LoadBalanced, 0, 0, 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(8, 2), requestId);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(10, 2), client.Port);
        if (client.IsIPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(12, 4), client.IPv4);
        }
        else
        {
            client.WriteIPv6Bytes(destination.Slice(12, 16));
        }

        return length;
    }

    /// <summary>Whether a datagram (header already read as a single-packet ACK) is exactly the 11-byte ACK.</summary>
    /// <param name="datagram">The datagram.</param>
    /// <param name="header">Its header.</param>
    /// <returns>Whether it is a well-formed ACK.</returns>
    public static bool IsWellFormedAck(ReadOnlySpan<byte> datagram, in R2P2Header header)
        => header.Type == MessageType.Ack && datagram.Length == AckLength && header.IsSinglePacket && datagram[R2P2Header.Size..].SequenceEqual(AckPayload);

    /// <summary>Whether a datagram (header already read as DROP) is exactly the 12-byte DROP.</summary>
    /// <param name="datagram">The datagram.</param>
    /// <param name="header">Its header.</param>
    /// <returns>Whether it is a well-formed DROP.</returns>
    public static bool IsWellFormedDrop(ReadOnlySpan<byte> datagram, in R2P2Header header)
        => header.Type == MessageType.Drop && datagram.Length == DropLength && header.IsSinglePacket && datagram[R2P2Header.Size..].SequenceEqual(DropPayload);

    /// <summary>
    /// Reads a FEEDBACK (for routers): a valid FEEDBACK header and exactly 16 bytes (an IPv4 client) or 28 (an IPv6 client,
    /// which must not be an IPv4-mapped address: each client has one form).
    /// </summary>
    /// <param name="datagram">The datagram.</param>
    /// <param name="requestId">The finished request's rid.</param>
    /// <param name="client">The request's client (an IPv6 one without scope id).</param>
    /// <returns>Whether the datagram is a well-formed FEEDBACK.</returns>
    public static bool TryReadFeedback(ReadOnlySpan<byte> datagram, out ushort requestId, out PacketAddress client)
    {
        requestId = 0;
        client = default;
        if (datagram.Length is not (FeedbackLength or FeedbackIPv6Length) || R2P2Header.TryRead(datagram, out var header) != HeaderStatus.Valid || header.Type != MessageType.Feedback)
        {
            return false;
        }

        var port = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(10, 2));
        var read = datagram.Length == FeedbackLength
            ? new PacketAddress(BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(12, 4)), port)
            : new PacketAddress(datagram.Slice(12, 16), port);
        if (datagram.Length == FeedbackIPv6Length && read.IsIPv4)
        {
            return false; // an IPv4 client in the IPv6 form
        }

        requestId = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(8, 2));
        client = read;
        return true;
    }
}
