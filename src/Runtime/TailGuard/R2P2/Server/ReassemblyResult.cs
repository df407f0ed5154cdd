namespace TailGuard.R2P2;

/// <summary>What a continuation packet did to its request.</summary>
internal enum ReassemblyResult
{
    /// <summary>Stored; more packets are due.</summary>
    Stored,

    /// <summary>Stored, and every packet 0..N-1 has arrived exactly once.</summary>
    Complete,

    /// <summary>No request is pending for (source, rid): dropped.</summary>
    Orphan,

    /// <summary>A duplicate index, an index >= N or a LAST flag on the wrong index: the whole request was discarded.</summary>
    Discarded,
}
