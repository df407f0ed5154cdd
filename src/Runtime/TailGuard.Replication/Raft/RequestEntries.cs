using System;
using System.Buffers;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace TailGuard.Replication.Raft;

/// <summary>The bytes of a log entry that can name a request (docs/replication.md, "The log").</summary>
internal static class RequestEntries
{
    /// <summary>
    /// The entry's bytes, for <see cref="Log.EntryMetadata.TryDecode"/>; false for entries that name no request at all
    /// (a configuration entry, a new leader's empty one).
    /// </summary>
    public static bool TryGetBytes(in LogEntry entry, out ReadOnlySpan<byte> bytes)
    {
        if (entry.IsConfiguration || !entry.TryGetPayload(out var sequence) || sequence.IsEmpty)
        {
            bytes = default;
            return false;
        }

        bytes = sequence.IsSingleSegment ? sequence.FirstSpan : sequence.ToArray();
        return true;
    }
}
