namespace TailGuard.Replication;

/// <summary>How a node orders and replicates requests (docs/replication.md, "Modes").</summary>
public enum ReplicationMode
{
    /// <summary>
    /// HovercRaft: clients send each request to every replica, which park its payload; the leader's log entries carry
    /// only metadata (the request's key, its payload's hash and the chosen replier); replies are spread over replicas.
    /// </summary>
    HovercRaft = 0,

    /// <summary>
    /// Plain leader-based Raft, the baseline: clients send to the leader only (followers answer DROP), the log entries
    /// carry the full payloads, and the leader answers every request.
    /// </summary>
    LeaderPayload = 1,

    /// <summary>One node, no Raft: requests run as they arrive (with the same exactly-once sessions). For comparison only.</summary>
    Unreplicated = 2,
}
