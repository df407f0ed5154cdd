namespace TailGuard.Tyche;

/// <summary>Why a domain stopped running and control came back to the host (the driver's exit reasons).</summary>
public enum ExitReason
{
    /// <summary>The domain switched back normally, or the reason is unknown.</summary>
    Unknown = 0,

    /// <summary>A memory access the domain has no right to.</summary>
    MemoryFault = 1,

    /// <summary>An exception (trap) the domain does not handle itself.</summary>
    Exception = 2,

    /// <summary>An interrupt.</summary>
    Interrupt = 3,

    /// <summary>The quantum expired.</summary>
    Timer = 4,

    /// <summary>The domain was revoked.</summary>
    Revoked = 5,
}
