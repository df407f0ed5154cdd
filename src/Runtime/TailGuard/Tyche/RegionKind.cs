namespace TailGuard.Tyche;

/// <summary>Where a region capability sits in its derivation tree.</summary>
public enum RegionKind
{
    /// <summary>Not a region.</summary>
    None = 0,

    /// <summary>A root region: all of a domain's initial memory; cannot be revoked.</summary>
    Root = 1,

    /// <summary>A device region.</summary>
    Device = 2,

    /// <summary>An alias (share) of a parent region: both keep access.</summary>
    Alias = 3,

    /// <summary>A carve (grant) of a parent region: exclusive, the parent loses access.</summary>
    Carve = 4,
}
