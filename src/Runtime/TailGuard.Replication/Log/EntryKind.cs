namespace TailGuard.Replication.Log;

/// <summary>What a log entry orders (the first byte of every entry; docs/replication.md, "The log").</summary>
internal enum EntryKind : byte
{
    /// <summary>A read-write request, metadata only: every replica runs it, with the payload it parked or recovered.</summary>
    Write = 1,

    /// <summary>A read-only request, metadata only: only its replier runs it.</summary>
    Read = 2,

    /// <summary>A read-write request whose payload travels in the entry (plain leader-based Raft, the baseline mode).</summary>
    WriteWithPayload = 3,

    /// <summary>A read-only request whose payload travels in the entry (plain leader-based Raft).</summary>
    ReadWithPayload = 4,
}
