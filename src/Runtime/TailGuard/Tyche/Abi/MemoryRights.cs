using System;

namespace TailGuard.Tyche;

/// <summary>Memory access rights and region extras, in the monitor's bit order.</summary>
[Flags]
public enum MemoryRights : byte
{
    /// <summary>No access.</summary>
    None = 0,

    /// <summary>Read access.</summary>
    Read = 1,

    /// <summary>Write access (invalid without <see cref="Read"/>).</summary>
    Write = 2,

    /// <summary>Execute access (invalid without <see cref="Read"/>).</summary>
    Exec = 4,

    /// <summary>Supervisor access.</summary>
    Super = 8,

    /// <summary>Extra: the region's bytes are part of the domain's measurement.</summary>
    Hash = 16,

    /// <summary>Extra: the bytes are zeroed before the parent regains them on revocation.</summary>
    Cleanup = 32,

    /// <summary>Extra: the region is vital to the domain.</summary>
    Vital = 64,

    /// <summary>Extra for devices: uncacheable.</summary>
    Uncacheable = 128,

    /// <summary>The access rights proper (read, write, execute, supervisor).</summary>
    AccessMask = Read | Write | Exec | Super,

    /// <summary>The extras that only SEND_REGION may add.</summary>
    ExtrasMask = Hash | Cleanup | Vital,
}
