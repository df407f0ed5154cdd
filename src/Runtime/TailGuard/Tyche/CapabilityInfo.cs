namespace TailGuard.Tyche;

/// <summary>One capability as ENUMERATE reports it.</summary>
/// <param name="Handle">The capability's handle in the caller's table.</param>
/// <param name="Kind">The capability kind.</param>
/// <param name="Value1">Region: start address. Management, Channel, Switch: the target domain's id.</param>
/// <param name="Value2">Region and RegionRevoke: end address (exclusive). Switch: the core.</param>
/// <param name="Rights">Region: rights and extras.</param>
/// <param name="RegionKind">Region and RegionRevoke: the node's place in its tree.</param>
/// <param name="Unique">Region: whether no other domain can reach the range (carved and sent; the root).</param>
/// <param name="Sealed">Management and Channel: whether the target domain is sealed.</param>
public readonly record struct CapabilityInfo(
    CapabilityHandle Handle,
    CapabilityKind Kind,
    ulong Value1,
    ulong Value2,
    MemoryRights Rights,
    RegionKind RegionKind,
    bool Unique,
    bool Sealed);
