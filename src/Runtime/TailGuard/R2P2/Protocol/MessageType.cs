namespace TailGuard.R2P2.Protocol;

/// <summary>The message type in the high nibble of the type/policy byte (docs/design/r2p2.md, "The header").</summary>
public enum MessageType : byte
{
    /// <summary>A request (type 0), client to server or router.</summary>
    Request = 0,

    /// <summary>A response (type 1), server to client, with the request's rid.</summary>
    Response = 1,

    /// <summary>FEEDBACK (type 2), server to router after each response: returns one JBSQ credit.</summary>
    Feedback = 2,

    /// <summary>ACK (type 3, the paper's REQRDY), server to client after the first packet of a multi-packet request.</summary>
    Ack = 3,

    /// <summary>DROP (type 4), server to client: the request was refused and never ran.</summary>
    Drop = 4,

    /// <summary>A Raft request between replicas (type 5, HovercRaft).</summary>
    RaftRequest = 5,

    /// <summary>A Raft reply between replicas (type 6, HovercRaft).</summary>
    RaftReply = 6,

    /// <summary>Other Raft traffic between replicas (type 7, HovercRaft).</summary>
    RaftMessage = 7,
}
