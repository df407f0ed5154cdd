using System;
using System.Buffers.Binary;
using System.Security.Cryptography;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2.Security;

/// <summary>
/// The authenticated mode's wire format (docs/security.md, "Authenticated mode: the wire format"): every datagram keeps
/// its R2P2 header and payload as they are and gains a trailer, so routers and tools that read headers still work.
/// <code>
/// request packet (client to server):  header(8) | payload | key id(4) | call nonce(8)                    | tag(16)
/// reply packet (response, ACK, DROP): header(8) | payload | key id(4) | call nonce(8) | server nonce(8) | tag(16)
/// </code>
/// All integers big-endian. The tag is AES-GCM's over an empty plaintext, with every byte before the tag as associated
/// data, under the key the id names, and a 12-byte nonce that never repeats under one key:
/// requests <c>01 00 | packet index(2) | call nonce(8)</c>, replies <c>02 | message type(1) | packet index(2) | server nonce(8)</c>,
/// where the packet index is 0 for a FIRST (or only) packet and its packet order otherwise. FEEDBACK is not authenticated.
/// </summary>
public static class AuthenticatedWire
{
    /// <summary>The tag's length: 16 bytes.</summary>
    public const int TagLength = 16;

    /// <summary>What a request packet gains: key id, call nonce, tag (28 bytes).</summary>
    public const int RequestTrailerLength = 4 + 8 + TagLength;

    /// <summary>What a response, ACK or DROP packet gains: key id, call nonce, server nonce, tag (36 bytes).</summary>
    public const int ReplyTrailerLength = 4 + 8 + 8 + TagLength;

    private const int NonceLength = 12;

    /// <summary>
    /// A call nonce's value at a time: 100-ns intervals since 1970-01-01 UTC. A client takes the later of this and its
    /// last nonce plus one, so its nonces grow across calls and restarts; a server refuses nonces from before its memory
    /// of a key began (docs/security.md, "Replayed requests").
    /// </summary>
    internal static ulong CallNonceAt(DateTime utc) => (ulong)(utc.Ticks - DateTime.UnixEpoch.Ticks);
    private const byte RequestDirection = 1;
    private const byte ReplyDirection = 2;

    /// <summary>Appends a request trailer to a packet whose header (rid included) and payload are final; its buffer has room.</summary>
    internal static void SealRequest(AesGcm cipher, PacketBuffer packet, uint keyId, ulong callNonce)
    {
        var length = packet.Length;
        var bytes = packet.Storage;
        BinaryPrimitives.WriteUInt32BigEndian(bytes[length..], keyId);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[(length + 4)..], callNonce);
        Span<byte> nonce = stackalloc byte[NonceLength];
        RequestNonce(nonce, bytes, callNonce);
        var signed = length + RequestTrailerLength - TagLength;
        cipher.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, bytes.Slice(signed, TagLength), bytes[..signed]);
        packet.Length = length + RequestTrailerLength;
    }

    /// <summary>Reads a request packet's key id and call nonce, before its key is looked up; false when it has no room for a trailer.</summary>
    internal static bool TryReadRequestTrailer(ReadOnlySpan<byte> datagram, out uint keyId, out ulong callNonce)
    {
        keyId = 0;
        callNonce = 0;
        if (datagram.Length < R2P2Header.Size + RequestTrailerLength)
        {
            return false;
        }

        var trailer = datagram[^RequestTrailerLength..];
        keyId = BinaryPrimitives.ReadUInt32BigEndian(trailer);
        callNonce = BinaryPrimitives.ReadUInt64BigEndian(trailer[4..]);
        return true;
    }

    /// <summary>Checks a request packet's tag under its key and strips the trailer; false (nothing changed) when it does not verify.</summary>
    internal static bool TryOpenRequest(AesGcm cipher, PacketBuffer packet, ulong callNonce)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        RequestNonce(nonce, packet.Span, callNonce);
        if (!Verifies(cipher, packet.Span, nonce))
        {
            return false;
        }

        packet.Length -= RequestTrailerLength;
        return true;
    }

    /// <summary>Appends a reply trailer to a response, ACK or DROP packet whose header and payload are final.</summary>
    internal static void SealReply(AesGcm cipher, PacketBuffer packet, uint keyId, ulong callNonce, ulong serverNonce)
    {
        var length = packet.Length;
        var bytes = packet.Storage;
        BinaryPrimitives.WriteUInt32BigEndian(bytes[length..], keyId);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[(length + 4)..], callNonce);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[(length + 12)..], serverNonce);
        Span<byte> nonce = stackalloc byte[NonceLength];
        ReplyNonce(nonce, bytes, serverNonce);
        var signed = length + ReplyTrailerLength - TagLength;
        cipher.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, bytes.Slice(signed, TagLength), bytes[..signed]);
        packet.Length = length + ReplyTrailerLength;
    }

    /// <summary>
    /// Checks a reply for one call: the trailer names the client's key and the call's nonce, and the tag verifies. On
    /// success the trailer is stripped and <paramref name="serverNonce"/> is the reply's (the caller checks it is newer
    /// than the call's last, see <c>ClientCall.IsFreshReply</c>); otherwise nothing changes.
    /// </summary>
    internal static bool TryOpenReply(AesGcm cipher, PacketBuffer packet, uint keyId, ulong callNonce, out ulong serverNonce)
    {
        serverNonce = 0;
        var datagram = packet.Span;
        if (datagram.Length < R2P2Header.Size + ReplyTrailerLength)
        {
            return false;
        }

        var trailer = datagram[^ReplyTrailerLength..];
        if (BinaryPrimitives.ReadUInt32BigEndian(trailer) != keyId || BinaryPrimitives.ReadUInt64BigEndian(trailer[4..]) != callNonce)
        {
            return false; // another key, or another call (a replayed answer to an earlier call with this rid)
        }

        Span<byte> nonce = stackalloc byte[NonceLength];
        var replyNonce = BinaryPrimitives.ReadUInt64BigEndian(trailer[12..]);
        ReplyNonce(nonce, datagram, replyNonce);
        if (!Verifies(cipher, datagram, nonce))
        {
            return false;
        }

        serverNonce = replyNonce;
        packet.Length -= ReplyTrailerLength;
        return true;
    }

    /// <summary>
    /// Recomputes the tag over everything before it and compares in constant time (AesGcm.Decrypt would throw on a
    /// mismatch: an exception per forged datagram is a cost an attacker could make the receiver pay at line rate).
    /// </summary>
    private static bool Verifies(AesGcm cipher, ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> nonce)
    {
        Span<byte> expected = stackalloc byte[TagLength];
        var signed = datagram.Length - TagLength;
        cipher.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, expected, datagram[..signed]);
        return CryptographicOperations.FixedTimeEquals(expected, datagram[signed..]);
    }

    private static void RequestNonce(Span<byte> nonce, ReadOnlySpan<byte> datagram, ulong callNonce)
    {
        nonce[0] = RequestDirection;
        nonce[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(nonce[2..], PacketIndex(datagram));
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], callNonce);
    }

    private static void ReplyNonce(Span<byte> nonce, ReadOnlySpan<byte> datagram, ulong serverNonce)
    {
        nonce[0] = ReplyDirection;
        nonce[1] = (byte)(datagram[2] >> 4);
        BinaryPrimitives.WriteUInt16BigEndian(nonce[2..], PacketIndex(datagram));
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], serverNonce);
    }

    private static ushort PacketIndex(ReadOnlySpan<byte> datagram)
        => (datagram[3] & R2P2Header.FlagFirst) != 0 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(datagram[6..]);
}
