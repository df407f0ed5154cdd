using System;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// The authenticated mode's wire format written again from docs/security.md alone (not the runtime's code), so tests
/// that seal and open with it check the documented bytes, and play the attacker who knows the format but not the key.
/// </summary>
internal static class AuthenticatedWireReference
{
    public const int RequestTrailer = 28;
    public const int ReplyTrailer = 36;

    /// <summary>A call nonce a client would choose now: 100-ns intervals since 1970-01-01 UTC (a server refuses older calls than its memory).</summary>
    public static ulong CallNonceNow() => (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks;

    /// <summary>header | payload | key id | call nonce | tag, the tag over everything before it.</summary>
    public static byte[] SealRequest(byte[] secret, uint keyId, ulong callNonce, byte[] packet)
    {
        var sealedPacket = new byte[packet.Length + RequestTrailer];
        packet.CopyTo(sealedPacket, 0);
        BinaryPrimitives.WriteUInt32BigEndian(sealedPacket.AsSpan(packet.Length), keyId);
        BinaryPrimitives.WriteUInt64BigEndian(sealedPacket.AsSpan(packet.Length + 4), callNonce);
        var nonce = new byte[12];
        nonce[0] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(nonce.AsSpan(2), PacketIndex(packet));
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), callNonce);
        Tag(secret, nonce, sealedPacket);
        return sealedPacket;
    }

    /// <summary>header | payload | key id | call nonce | server nonce | tag.</summary>
    public static byte[] SealReply(byte[] secret, uint keyId, ulong callNonce, ulong serverNonce, byte[] packet)
    {
        var sealedPacket = new byte[packet.Length + ReplyTrailer];
        packet.CopyTo(sealedPacket, 0);
        BinaryPrimitives.WriteUInt32BigEndian(sealedPacket.AsSpan(packet.Length), keyId);
        BinaryPrimitives.WriteUInt64BigEndian(sealedPacket.AsSpan(packet.Length + 4), callNonce);
        BinaryPrimitives.WriteUInt64BigEndian(sealedPacket.AsSpan(packet.Length + 12), serverNonce);
        Tag(secret, ReplyNonce(packet, serverNonce), sealedPacket);
        return sealedPacket;
    }

    /// <summary>Reads a request's trailer and checks its tag under <paramref name="secret"/>.</summary>
    public static bool OpenRequest(byte[] secret, byte[] datagram, out uint keyId, out ulong callNonce, out byte[] packet)
    {
        packet = datagram[..^RequestTrailer];
        keyId = BinaryPrimitives.ReadUInt32BigEndian(datagram.AsSpan(packet.Length));
        callNonce = BinaryPrimitives.ReadUInt64BigEndian(datagram.AsSpan(packet.Length + 4));
        return SealRequest(secret, keyId, callNonce, packet).AsSpan().SequenceEqual(datagram);
    }

    /// <summary>Reads a reply's trailer and checks its tag under <paramref name="secret"/>.</summary>
    public static bool OpenReply(byte[] secret, byte[] datagram, out uint keyId, out ulong callNonce, out byte[] packet)
    {
        packet = datagram[..^ReplyTrailer];
        keyId = BinaryPrimitives.ReadUInt32BigEndian(datagram.AsSpan(packet.Length));
        callNonce = BinaryPrimitives.ReadUInt64BigEndian(datagram.AsSpan(packet.Length + 4));
        var serverNonce = BinaryPrimitives.ReadUInt64BigEndian(datagram.AsSpan(packet.Length + 12));
        return SealReply(secret, keyId, callNonce, serverNonce, packet).AsSpan().SequenceEqual(datagram);
    }

    private static byte[] ReplyNonce(byte[] packet, ulong serverNonce)
    {
        var nonce = new byte[12];
        nonce[0] = 2;
        nonce[1] = (byte)(packet[2] >> 4);
        BinaryPrimitives.WriteUInt16BigEndian(nonce.AsSpan(2), PacketIndex(packet));
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), serverNonce);
        return nonce;
    }

    private static ushort PacketIndex(byte[] packet) => (packet[3] & 0x80) != 0 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(6));

    private static void Tag(byte[] secret, byte[] nonce, byte[] sealedPacket)
    {
        using var aes = new AesGcm(secret, 16);
        var signed = sealedPacket.Length - 16;
        aes.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, sealedPacket.AsSpan(signed), sealedPacket.AsSpan(0, signed));
    }
}
