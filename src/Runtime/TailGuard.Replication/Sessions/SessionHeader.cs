using System;
using System.Buffers.Binary;

namespace TailGuard.Replication.Sessions;

/// <summary>
/// The 32 bytes a replicated client puts before every request payload (docs/replication.md, "Exactly-once effects"):
/// its client id, the epoch of its session (the log index at which the replicas registered it; 0 before that), the
/// call's sequence number (the same on every retry of that call, whatever its R2P2 rid) and its floor, the lowest
/// sequence number it still waits for (every call below has its outcome, so the replicas may forget their responses).
/// A registration (<see cref="IsRegistration"/>) is the header alone, with sequence and floor 0 and, where a call has
/// its epoch, the session's nonce: a positive number the client draws per session, so that every attempt of one
/// registration registers the session once. Big-endian, like the R2P2 header.
/// </summary>
internal readonly record struct SessionHeader(ulong ClientId, long Epoch, long Sequence, long Floor)
{
    public const int Size = 32;

    /// <summary>The size of the replicas' answer to a registration: an <c>Ok</c> status byte and the session's epoch.</summary>
    public const int RegisteredSize = 9;

    /// <summary>A request that registers a session for the client id: ordered like a write, it runs no service method.</summary>
    public bool IsRegistration => Sequence == 0;

    /// <summary>The nonce of a registration (in the epoch field).</summary>
    public long Nonce => Epoch;

    public static SessionHeader Registration(ulong clientId, long nonce) => new(clientId, nonce, 0, 0);

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, ClientId);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], Epoch);
        BinaryPrimitives.WriteInt64BigEndian(destination[16..], Sequence);
        BinaryPrimitives.WriteInt64BigEndian(destination[24..], Floor);
    }

    /// <summary>
    /// False for a payload too short; a negative epoch; a call whose sequence is below 1 or whose floor is below 1 or
    /// above its sequence; or a registration without a nonce, with a floor, or with anything but the header: a client
    /// never sends these.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out SessionHeader header)
    {
        header = default;
        if (source.Length < Size)
        {
            return false;
        }

        var epoch = BinaryPrimitives.ReadInt64BigEndian(source[8..]);
        var sequence = BinaryPrimitives.ReadInt64BigEndian(source[16..]);
        var floor = BinaryPrimitives.ReadInt64BigEndian(source[24..]);
        var valid = sequence == 0
            ? epoch >= 1 && floor == 0 && source.Length == Size
            : epoch >= 0 && sequence >= 1 && floor >= 1 && floor <= sequence;
        if (!valid)
        {
            return false;
        }

        header = new SessionHeader(BinaryPrimitives.ReadUInt64BigEndian(source), epoch, sequence, floor);
        return true;
    }
}
