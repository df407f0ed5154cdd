namespace TailGuard.Tyche;

/// <summary>The kinds of capability a domain's table holds, with the monitor's numbering.</summary>
public enum CapabilityKind
{
    /// <summary>An empty slot.</summary>
    None = 0,

    /// <summary>Management of a child domain: configure, seal, send into, revoke it.</summary>
    Management = 1,

    /// <summary>A channel to a domain: a destination for SEND and SEND_REGION.</summary>
    Channel = 2,

    /// <summary>The right to switch the core it names into a domain's context on that core.</summary>
    Switch = 3,

    /// <summary>Access to a range of physical memory with some rights.</summary>
    Region = 4,

    /// <summary>The right to revoke a region derived by SEGMENT_REGION, with its whole subtree.</summary>
    RegionRevoke = 5,
}
