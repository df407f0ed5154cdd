using System;
using System.Buffers.Binary;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.Replication.Payloads;

namespace TailGuard.Replication.Peers;

/// <summary>
/// The replicas' own R2P2 messages (docs/replication.md, "Replica messages"), single packets with the R2P2 header and
/// the Raft message types (docs/design/r2p2.md, "HovercRaft"): STATUS (RAFT_MSG, type 7) says how far a replica
/// applied; RECOVER (RAFT_REQ, type 5) asks a peer for the payload of a log entry; RECOVERED (RAFT_REP, type 6) answers
/// it. The Raft protocol itself (votes, appends, snapshots) is DotNext's, over TCP. Big-endian.
/// </summary>
internal static class PeerMessages
{
    public const int StatusLength = R2P2Header.Size + 1 + 4 + 8 + 8 + 8 + 8;
    public const int RecoverLength = R2P2Header.Size + 1 + 8 + RequestKey.Size + 8;
    public const int RecoveredHeaderLength = R2P2Header.Size + 1 + 8 + 8;

    /// <summary>
    /// STATUS: the sender's index, a number it drew when it started (a restart resets what peers remember of it), its
    /// current term, applied index, log index and count of entries it handled as replier.
    /// </summary>
    public static int WriteStatus(Span<byte> destination, in PeerStatus status)
    {
        R2P2Header.Write(destination, MessageType.RaftMessage, RoutingPolicy.Replicated, R2P2Header.FlagsSingle, 0, 1);
        var body = destination[R2P2Header.Size..];
        body[0] = status.From;
        BinaryPrimitives.WriteUInt32BigEndian(body[1..], status.Boot);
        BinaryPrimitives.WriteInt64BigEndian(body[5..], status.Term);
        BinaryPrimitives.WriteInt64BigEndian(body[13..], status.Applied);
        BinaryPrimitives.WriteInt64BigEndian(body[21..], status.LogIndex);
        BinaryPrimitives.WriteInt64BigEndian(body[29..], status.Handled);
        return StatusLength;
    }

    public static bool TryReadStatus(ReadOnlySpan<byte> datagram, out PeerStatus status)
    {
        status = default;
        if (datagram.Length != StatusLength)
        {
            return false;
        }

        var body = datagram[R2P2Header.Size..];
        status = new PeerStatus(
            body[0],
            BinaryPrimitives.ReadUInt32BigEndian(body[1..]),
            BinaryPrimitives.ReadInt64BigEndian(body[5..]),
            BinaryPrimitives.ReadInt64BigEndian(body[13..]),
            BinaryPrimitives.ReadInt64BigEndian(body[21..]),
            BinaryPrimitives.ReadInt64BigEndian(body[29..]));
        return true;
    }

    /// <summary>RECOVER: the sender, the log index, the request key and payload hash it needs.</summary>
    public static int WriteRecover(Span<byte> destination, byte from, long index, RequestKey key, ulong hash)
    {
        R2P2Header.Write(destination, MessageType.RaftRequest, RoutingPolicy.Replicated, R2P2Header.FlagsSingle, 0, 1);
        var body = destination[R2P2Header.Size..];
        body[0] = from;
        BinaryPrimitives.WriteInt64BigEndian(body[1..], index);
        key.Write(body[9..]);
        BinaryPrimitives.WriteUInt64BigEndian(body[(9 + RequestKey.Size)..], hash);
        return RecoverLength;
    }

    public static bool TryReadRecover(ReadOnlySpan<byte> datagram, out byte from, out long index, out RequestKey key, out ulong hash)
    {
        from = 0;
        index = 0;
        key = default;
        hash = 0;
        if (datagram.Length != RecoverLength)
        {
            return false;
        }

        var body = datagram[R2P2Header.Size..];
        from = body[0];
        index = BinaryPrimitives.ReadInt64BigEndian(body[1..]);
        key = RequestKey.Read(body[9..]);
        hash = BinaryPrimitives.ReadUInt64BigEndian(body[(9 + RequestKey.Size)..]);
        return true;
    }

    /// <summary>RECOVERED: found (1) or not (0), the index and hash asked for, then the payload when found.</summary>
    public static int WriteRecovered(Span<byte> destination, long index, ulong hash, ReadOnlySpan<byte> payload, bool found)
    {
        R2P2Header.Write(destination, MessageType.RaftReply, RoutingPolicy.Replicated, R2P2Header.FlagsSingle, 0, 1);
        var body = destination[R2P2Header.Size..];
        body[0] = found ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64BigEndian(body[1..], index);
        BinaryPrimitives.WriteUInt64BigEndian(body[9..], hash);
        if (found)
        {
            payload.CopyTo(body[17..]);
        }

        return RecoveredHeaderLength + (found ? payload.Length : 0);
    }

    /// <summary>A RECOVERED answer; a found payload is accepted only if it hashes to what was asked.</summary>
    public static bool TryReadRecovered(ReadOnlySpan<byte> datagram, out bool found, out long index, out ulong hash, out ReadOnlySpan<byte> payload)
    {
        found = false;
        index = 0;
        hash = 0;
        payload = default;
        if (datagram.Length < RecoveredHeaderLength)
        {
            return false;
        }

        var body = datagram[R2P2Header.Size..];
        if (body[0] > 1)
        {
            return false;
        }

        found = body[0] == 1;
        index = BinaryPrimitives.ReadInt64BigEndian(body[1..]);
        hash = BinaryPrimitives.ReadUInt64BigEndian(body[9..]);
        payload = body[17..];
        if (!found)
        {
            return payload.IsEmpty;
        }

        return PayloadHash.Of(payload) == hash;
    }
}

/// <summary>What a STATUS message carries.</summary>
internal readonly record struct PeerStatus(byte From, uint Boot, long Term, long Applied, long LogIndex, long Handled);
