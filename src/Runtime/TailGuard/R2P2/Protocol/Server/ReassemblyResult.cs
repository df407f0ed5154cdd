namespace TailGuard.R2P2.Protocol;

/// <summary>What a continuation packet did to its request (<see cref="RequestReassembler.Add"/>).</summary>
public enum ReassemblyResult
{
    /// <summary>Stored (the reassembler owns the buffer); more packets are due.</summary>
    Stored,

    /// <summary>Stored, and every packet 0..N-1 has arrived exactly once: take it with <see cref="RequestReassembler.TakeAssembled"/>.</summary>
    Complete,

    /// <summary>No request is pending for (source, rid): dropped (the caller keeps the buffer).</summary>
    Orphan,

    /// <summary>A duplicate index, an index >= N, a LAST flag on the wrong index, or no room: the whole request was discarded (the caller keeps the buffer).</summary>
    Discarded,
}
