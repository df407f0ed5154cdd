using System;
using System.Buffers.Binary;

namespace TailGuard.Replication.Sessions;

/// <summary>
/// The 24 bytes a replicated client puts before every request payload (docs/replication.md, "Exactly-once effects"):
/// its client id, the call's sequence number (the same on every retry of that call, whatever its R2P2 rid) and its
/// floor, the lowest sequence number it still waits for (every call below has its outcome, so the replicas may forget
/// their responses). Big-endian, like the R2P2 header.
/// </summary>
internal readonly record struct SessionHeader(ulong ClientId, long Sequence, long Floor)
{
    public const int Size = 24;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, ClientId);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], Sequence);
        BinaryPrimitives.WriteInt64BigEndian(destination[16..], Floor);
    }

    /// <summary>False for a payload too short, a sequence below 1, or a floor above the sequence: a client never sends these.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out SessionHeader header)
    {
        header = default;
        if (source.Length < Size)
        {
            return false;
        }

        var sequence = BinaryPrimitives.ReadInt64BigEndian(source[8..]);
        var floor = BinaryPrimitives.ReadInt64BigEndian(source[16..]);
        if (sequence < 1 || floor < 1 || floor > sequence)
        {
            return false;
        }

        header = new SessionHeader(BinaryPrimitives.ReadUInt64BigEndian(source), sequence, floor);
        return true;
    }
}
