namespace TailGuard.Tyche;

/// <summary>The monitor call numbers (rax on x86-64, a0 on RISC-V) of the Tyche monitor, exactly as the monitor defines them.</summary>
public enum MonitorCall
{
    /// <summary>Creates a child domain; returns its Management capability.</summary>
    CreateDomain = 1,

    /// <summary>Seals a child domain; returns the Switch capability for the calling core.</summary>
    SealDomain = 2,

    /// <summary>Sends a non-region capability to a domain through a Management or Channel capability.</summary>
    Send = 3,

    /// <summary>Aliases or carves a region; returns the region to send and the RegionRevoke to keep.</summary>
    SegmentRegion = 4,

    /// <summary>Revokes a capability (and, for RegionRevoke and Management, everything derived from it).</summary>
    Revoke = 5,

    /// <summary>Duplicates a Channel or RegionRevoke capability.</summary>
    Duplicate = 6,

    /// <summary>Enumerates the caller's capabilities one token at a time.</summary>
    Enumerate = 7,

    /// <summary>Switches the calling core to another domain, consuming the Switch capability.</summary>
    Switch = 8,

    /// <summary>Ends the monitor's loop on the calling core (debugging; the simulator does not offer it).</summary>
    Exit = 9,

    /// <summary>Logs a value (debugging); registers are left as they were.</summary>
    Debug = 10,

    /// <summary>Sets a permission bitmap of an unfrozen child.</summary>
    Configure = 11,

    /// <summary>Sends a region capability, with its mapping address and extra rights.</summary>
    SendRegion = 12,

    /// <summary>Writes a field of a child's core context.</summary>
    ConfigureCore = 13,

    /// <summary>Reads a field of a child's core context.</summary>
    GetConfigCore = 14,

    /// <summary>Allocates a child's context on a core (freezes its permissions); returns a Switch capability.</summary>
    AllocCoreContext = 15,

    /// <summary>Reads all general-purpose registers of a child's core context.</summary>
    ReadAllGp = 16,

    /// <summary>Writes up to six fields of a child's core context.</summary>
    WriteFields = 18,

    /// <summary>Revokes an aliased region from a target at an address.</summary>
    RevokeAliasedRegion = 21,

    /// <summary>Serializes the whole capability graph (magic "capa") into a buffer.</summary>
    SerializeAttestation = 22,

    /// <summary>Switches the core to the calling domain's manager, which resumes as interrupted.</summary>
    ReturnToManager = 23,

    /// <summary>Translates a guest physical address into a host physical address.</summary>
    GetHpa = 24,

    /// <summary>Sets a CPUID entry (x86-64 only).</summary>
    SetCpuidEntry = 26,
}
