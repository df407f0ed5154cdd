namespace TailGuard.Tyche;

/// <summary>One capability as ENUMERATE reports it.</summary>
/// <param name="Handle">The capability's handle in the caller's table.</param>
/// <param name="Kind">The capability kind.</param>
/// <param name="Value1">Region and RegionRevoke: start address. Management, Channel, Switch: the target domain's engine id.</param>
/// <param name="Value2">Region and RegionRevoke: end address (exclusive). Switch: the core.</param>
/// <param name="Rights">Region and RegionRevoke: rights and extras.</param>
/// <param name="RegionKind">Region and RegionRevoke: the node's place in its tree (the simulator's addition; the wire does not carry it).</param>
/// <param name="Unique">Region and RegionRevoke: the engine's confidential flag, fixed when the region was made: a root is
/// unique, an alias is not, a carve inherits its parent's (so a carve of an alias is not unique).</param>
/// <param name="Sealed">Management: whether the target domain is sealed.</param>
public readonly record struct CapabilityInfo(
    CapabilityHandle Handle,
    CapabilityKind Kind,
    ulong Value1,
    ulong Value2,
    MemoryRights Rights,
    RegionKind RegionKind,
    bool Unique,
    bool Sealed);
