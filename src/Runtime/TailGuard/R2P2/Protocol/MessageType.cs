namespace TailGuard.R2P2;

/// <summary>The message type in the high nibble of the type/policy byte (docs/design/r2p2.md, "The header").</summary>
internal enum MessageType : byte
{
    Request = 0,
    Response = 1,
    Feedback = 2,
    Ack = 3,
    Drop = 4,
    RaftRequest = 5,
    RaftReply = 6,
    RaftMessage = 7,
}
