namespace TailGuard.Replication;

/// <summary>Which replica the leader names to answer each request (HovercRaft mode).</summary>
public enum ReplyPolicy
{
    /// <summary>The live replica with the fewest replies outstanding, below <see cref="ReplicatedNodeOptions.MaxOutstandingReplies"/> (ties rotate).</summary>
    Spread = 0,

    /// <summary>Always the leader (read-only requests then all run on the leader too).</summary>
    Leader = 1,
}
