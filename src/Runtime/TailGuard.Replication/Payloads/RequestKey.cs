using System;
using System.Buffers.Binary;
using TailGuard.R2P2;

namespace TailGuard.Replication.Payloads;

/// <summary>
/// What identifies a client request across replicas: the client's address and port and the request's rid, the R2P2
/// RPC identity (docs/design/r2p2.md, "The multi-packet request handshake"). The client sends the same datagram to every
/// replica from one socket, so every replica sees the same key.
/// </summary>
internal readonly record struct RequestKey(PacketAddress Client, ushort RequestId)
{
    /// <summary>16 bytes of address (IPv6 form), 4 of scope, 2 of port, 2 of rid.</summary>
    public const int Size = 24;

    public void Write(Span<byte> destination)
    {
        Client.WriteIPv6Bytes(destination);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], Client.ScopeId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[20..], Client.Port);
        BinaryPrimitives.WriteUInt16BigEndian(destination[22..], RequestId);
    }

    public static RequestKey Read(ReadOnlySpan<byte> source)
    {
        var address = new PacketAddress(source[..16], BinaryPrimitives.ReadUInt16BigEndian(source[20..]), BinaryPrimitives.ReadUInt32BigEndian(source[16..]));
        return new RequestKey(address, BinaryPrimitives.ReadUInt16BigEndian(source[22..]));
    }

    public override string ToString() => $"{Client}#{RequestId}";
}
