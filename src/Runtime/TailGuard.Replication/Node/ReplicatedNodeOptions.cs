using System;
using System.Collections.Generic;
using System.Net;
using Microsoft.Extensions.Logging;
using TailGuard.R2P2;

namespace TailGuard.Replication;

/// <summary>
/// Settings of one replica (docs/replication.md, "Configuration"). Every member of a cluster must be given the same
/// <see cref="Members"/> in the same order: a member's position in that list is its index, which log entries use to name
/// repliers. Each member listens on its endpoint for UDP (client requests and the replicas' own R2P2 messages, types
/// 5 to 7) and TCP (Raft, through DotNext).
/// </summary>
public sealed class ReplicatedNodeOptions
{
    /// <summary>Every member's endpoint, in the same order on every member (1 to 255 members).</summary>
    public required IReadOnlyList<IPEndPoint> Members { get; init; }

    /// <summary>This node's index in <see cref="Members"/>.</summary>
    public required int Self { get; init; }

    /// <summary>Where this node keeps its Raft log, snapshots and payload journal (created if missing). Restarting with the same directory recovers the node.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>How requests are ordered and replicated. <see cref="ReplicationMode.HovercRaft"/> by default.</summary>
    public ReplicationMode Mode { get; init; } = ReplicationMode.HovercRaft;

    /// <summary>Who answers each request (HovercRaft mode). <see cref="ReplyPolicy.Spread"/> by default.</summary>
    public ReplyPolicy Replies { get; init; } = ReplyPolicy.Spread;

    /// <summary>The lower bound of Raft's randomized election timeout. 150 ms by default.</summary>
    public TimeSpan LowerElectionTimeout { get; init; } = TimeSpan.FromMilliseconds(150);

    /// <summary>The upper bound of Raft's randomized election timeout. 300 ms by default.</summary>
    public TimeSpan UpperElectionTimeout { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Flow control: a node answers DROP to new requests once its log is more than this many entries ahead of what it
    /// applied; the leader also does once an active follower's reported applied index lags the commit index by more (a
    /// live follower that applied nothing for twice the upper election timeout while behind is stalled, and does not
    /// count).
    /// 1024 by default (the reference uses 2^14 with a C state machine).
    /// </summary>
    public int MaxApplyLag { get; init; } = 1024;

    /// <summary>At most this many replies outstanding per replica when the leader picks repliers (JBSQ-like bound); with every live replica at the bound, the leader answers DROP. 32 by default.</summary>
    public int MaxOutstandingReplies { get; init; } = 32;

    /// <summary>Parked payloads kept at most (the oldest is evicted beyond). 65536 by default.</summary>
    public int MaxParkedPayloads { get; init; } = 65536;

    /// <summary>A parked payload is dropped after this long unless an entry in the replica's log that it has not applied yet names it (then it is kept for another period). 5 s by default.</summary>
    public TimeSpan ParkedPayloadTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A snapshot is taken every this many applied entries, which bounds the log and the payload journal. 8192 by default.</summary>
    public int SnapshotInterval { get; init; } = 8192;

    /// <summary>Client sessions kept for exactly-once effects (the least recently active is evicted beyond). 4096 by default.</summary>
    public int MaxSessions { get; init; } = 4096;

    /// <summary>Responses kept per client session (a client keeps at most this many calls in flight). 1024 by default.</summary>
    public int MaxResponsesPerSession { get; init; } = 1024;

    /// <summary>
    /// When true (the default), a replier answers a write only once a majority of replicas applied it, so its payload
    /// is on a majority's disks before the client hears of it; false answers as soon as the replier applied it (faster,
    /// but a write acknowledged just before the leader and the replier both fail may be lost with its payload).
    /// </summary>
    public bool DurableReplies { get; init; } = true;

    /// <summary>Payload bytes per packet; a replicated request must fit one packet. 1464 by default.</summary>
    public int PayloadSize { get; init; } = 1464;

    /// <summary>
    /// An IPv4 multicast group (address in 224.0.0.0/4 and port) this replica joins, so a client that sends each request
    /// once to the group (<see cref="ReplicatedClientOptions.MulticastGroup"/>) reaches it: what arrives through the
    /// group takes the unicast requests' path (the same checks, admission and parking), and answers leave from the
    /// member endpoint. Every member of a cluster joins the same group; several on one host may share it. The group's
    /// port is its own (bound with SO_REUSEADDR on the group address), not the member's. The member endpoint must be
    /// IPv4; the group is joined on the interface that has its address (the kernel's choice for 0.0.0.0). Null (the
    /// default) joins nothing (docs/replication.md, "Fan-out").
    /// </summary>
    public IPEndPoint? MulticastGroup { get; init; }

    /// <summary>Receive mode of the replica's UDP loop. Blocking by default.</summary>
    public ReceiveMode ReceiveMode { get; init; } = ReceiveMode.Blocking;

    /// <summary>
    /// Slows this replica's apply by this long per entry: a stand-in for a slow machine, for testing and demonstrating
    /// flow control. Zero by default.
    /// </summary>
    public TimeSpan ApplyDelay { get; init; }

    /// <summary>Where the node reports leader changes and trouble; none by default.</summary>
    public ILogger? Logger { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Members);
        if (Members.Count is < 1 or > 255)
        {
            throw new ArgumentException($"A cluster has 1 to 255 members, not {Members.Count}.", nameof(Members));
        }

        for (var i = 0; i < Members.Count; i++)
        {
            if (Members[i] is null || Members[i].Port == 0)
            {
                throw new ArgumentException($"Member {i} needs an address and a port other than 0.", nameof(Members));
            }

            for (var j = 0; j < i; j++)
            {
                if (Members[i].Equals(Members[j]))
                {
                    throw new ArgumentException($"Members {j} and {i} are both {Members[i]}.", nameof(Members));
                }
            }
        }

        if (Self < 0 || Self >= Members.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(Self), Self, $"Self is an index into the {Members.Count} members.");
        }

        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException("A node needs a data directory.", nameof(DataDirectory));
        }

        if (Mode == ReplicationMode.Unreplicated && Members.Count != 1)
        {
            throw new ArgumentException("The unreplicated mode runs one node: give exactly one member.", nameof(Mode));
        }

        MulticastGroupCheck.Validate(MulticastGroup, nameof(MulticastGroup));
        if (MulticastGroup is not null && Members[Self].AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"MulticastGroup is an IPv4 group: this member's endpoint must be IPv4, not {Members[Self]}.", nameof(MulticastGroup));
        }

        if (MulticastGroup is not null && Mode == ReplicationMode.LeaderPayload)
        {
            throw new ArgumentException("MulticastGroup is for fan-out: in the LeaderPayload mode clients send to one replica at a time, and a follower would answer DROP to every request of the group.", nameof(MulticastGroup));
        }

        Positive(LowerElectionTimeout, nameof(LowerElectionTimeout));
        if (UpperElectionTimeout <= LowerElectionTimeout)
        {
            throw new ArgumentException("UpperElectionTimeout must be above LowerElectionTimeout.", nameof(UpperElectionTimeout));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxApplyLag, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxOutstandingReplies, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxParkedPayloads, 1);
        Positive(ParkedPayloadTimeout, nameof(ParkedPayloadTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(SnapshotInterval, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSessions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxResponsesPerSession, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(PayloadSize, 64);
        if (ApplyDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ApplyDelay), ApplyDelay, "ApplyDelay cannot be negative.");
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
    }
}
