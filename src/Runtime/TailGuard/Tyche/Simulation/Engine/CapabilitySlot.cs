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

    /// <summary>
    /// An empty slot left by a revocation and not yet collected: the engine keeps such a slot allocated (holding an empty
    /// capability) until ENUMERATE passes over it or the table runs out of room, and a REVOKE of it succeeds doing nothing
    /// (tyche-devel crates/capability-engine/src/domain.rs, <c>revoke_capa</c>). Honoured in compatible mode.
    /// </summary>
    public bool Tombstone;
}
