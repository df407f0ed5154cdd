using System;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Replication.Log;

namespace TailGuard.Replication.Raft;

/// <summary>What the state machine needs from its replica while applying: parked payloads, recovery, replies, status.</summary>
internal interface IApplyHost
{
    int Self { get; }

    bool DurableReplies { get; }

    TimeSpan ApplyDelay { get; }

    /// <summary>Takes the parked payload of an entry's request (null when missing or of another hash).</summary>
    byte[]? TakeParked(in EntryMetadata metadata);

    /// <summary>Fetches a payload from the peers; completes only with the right payload (or the token).</summary>
    Task<byte[]> RecoverAsync(long index, EntryMetadata metadata, CancellationToken cancellationToken);

    /// <summary>Answers the client of an entry this replica is the replier of, now or once the entry is durable.</summary>
    void Reply(long index, in EntryMetadata metadata, byte[] response, bool durable);

    /// <summary>A snapshot replaced the state (at start, or the leader's when this replica fell behind): settle what it covers, then publish its index.</summary>
    void Restored(long index);

    /// <summary>Publishes the new applied index (and whether this replica handled the entry as replier).</summary>
    void Applied(long index, bool handled);

    /// <summary>Something went wrong that an operator should see.</summary>
    void Report(string message, Exception? error = null);
}
