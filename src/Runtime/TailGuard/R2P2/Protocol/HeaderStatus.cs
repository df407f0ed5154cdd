namespace TailGuard.R2P2;

/// <summary>Why a datagram's header was rejected; every reason is dropped and counted, never trusted.</summary>
internal enum HeaderStatus
{
    Valid,
    TooShort,
    BadMagic,
    BadHeaderSize,
    UnknownType,
    BadFlags,
    ZeroPacketOrder,

    /// <summary>A single packet (FIRST and LAST) whose order is not 1, or a FIRST-only packet announcing fewer than 2 packets.</summary>
    InconsistentPacketOrder,
}
