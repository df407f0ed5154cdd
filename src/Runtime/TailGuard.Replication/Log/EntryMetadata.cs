using System;
using System.Buffers.Binary;
using TailGuard.Replication.Payloads;

namespace TailGuard.Replication.Log;

/// <summary>
/// One log entry as HovercRaft orders it (docs/replication.md, "The log"): the kind, the replier (the member index that
/// answers the client), the request's key, the payload's hash and length; the payload itself only for the
/// <c>...WithPayload</c> kinds. The term is Raft's own. Big-endian.
/// </summary>
internal readonly record struct EntryMetadata(EntryKind Kind, byte Replier, RequestKey Key, ulong PayloadHash, int PayloadLength)
{
    /// <summary>Kind, replier, key, hash, length.</summary>
    public const int Size = 2 + RequestKey.Size + 8 + 4;

    public bool IsRead => Kind is EntryKind.Read or EntryKind.ReadWithPayload;

    public bool CarriesPayload => Kind is EntryKind.WriteWithPayload or EntryKind.ReadWithPayload;

    /// <summary>The entry's bytes: the metadata, then the payload when the kind carries it (else pass an empty payload).</summary>
    public byte[] Encode(ReadOnlySpan<byte> payload)
    {
        var entry = new byte[Size + (CarriesPayload ? payload.Length : 0)];
        entry[0] = (byte)Kind;
        entry[1] = Replier;
        Key.Write(entry.AsSpan(2));
        BinaryPrimitives.WriteUInt64BigEndian(entry.AsSpan(2 + RequestKey.Size), PayloadHash);
        BinaryPrimitives.WriteInt32BigEndian(entry.AsSpan(10 + RequestKey.Size), PayloadLength);
        if (CarriesPayload)
        {
            payload.CopyTo(entry.AsSpan(Size));
        }

        return entry;
    }

    /// <summary>Reads an entry; false for bytes no replica wrote (an unknown kind, a length that disagrees).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> entry, out EntryMetadata metadata, out ReadOnlySpan<byte> payload)
    {
        metadata = default;
        payload = default;
        if (entry.Length < Size || entry[0] is < (byte)EntryKind.Write or > (byte)EntryKind.ReadWithPayload)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(entry[(10 + RequestKey.Size)..]);
        metadata = new EntryMetadata((EntryKind)entry[0], entry[1], RequestKey.Read(entry[2..]), BinaryPrimitives.ReadUInt64BigEndian(entry[(2 + RequestKey.Size)..]), length);
        var expected = metadata.CarriesPayload ? Size + length : Size;
        if (length < 0 || entry.Length != expected)
        {
            return false;
        }

        payload = metadata.CarriesPayload ? entry[Size..] : default;
        return true;
    }
}
