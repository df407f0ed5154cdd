using System;
using System.IO.Hashing;

namespace TailGuard.Replication.Payloads;

/// <summary>
/// The 64-bit hash a log entry carries of its request payload (XxHash64). A replica joins an entry only with a parked
/// payload of the same hash, so a stale payload under a reused rid, or a forged datagram with a guessed key, is never
/// applied: the replica recovers the leader's payload instead.
/// </summary>
internal static class PayloadHash
{
    public static ulong Of(ReadOnlySpan<byte> payload) => XxHash64.HashToUInt64(payload);
}
