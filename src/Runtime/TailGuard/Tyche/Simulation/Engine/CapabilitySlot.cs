namespace TailGuard.Tyche.Simulation.Engine;

/// <summary>One slot of a domain's capability table. A struct so that moving capabilities never allocates.</summary>
internal struct CapabilitySlot
{
    public CapabilityKind Kind;

    /// <summary>Bumped whenever the slot is emptied, so stale handles are detected.</summary>
    public ushort Version;

    /// <summary>Management, Channel, Switch: the target domain.</summary>
    public DomainState? Target;

    /// <summary>Switch: the core.</summary>
    public int Core;

    /// <summary>Region, RegionRevoke: the node.</summary>
    public RegionNode? Region;
}
