namespace TailGuard.R2P2.Protocol;

/// <summary>What <see cref="R2P2Header.TryRead"/> found; every reason but <see cref="Valid"/> means drop and count, never trust.</summary>
public enum HeaderStatus
{
    /// <summary>Every field is well formed.</summary>
    Valid,

    /// <summary>Fewer than the 8 header bytes.</summary>
    TooShort,

    /// <summary>The first byte is not the magic 0xCC.</summary>
    BadMagic,

    /// <summary>The header-size byte is not 8.</summary>
    BadHeaderSize,

    /// <summary>A message type above 7.</summary>
    UnknownType,

    /// <summary>Flag bits other than FIRST (0x80) and LAST (0x40).</summary>
    BadFlags,

    /// <summary>Packet order 0 on a message other than FEEDBACK.</summary>
    ZeroPacketOrder,

    /// <summary>A single packet (FIRST and LAST) whose order is not 1, or a FIRST-only packet announcing fewer than 2 packets.</summary>
    InconsistentPacketOrder,
}
