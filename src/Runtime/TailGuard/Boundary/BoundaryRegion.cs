namespace TailGuard.Boundary;

/// <summary>Where a boundary's memory lives in the domain's address space.</summary>
/// <param name="SharedAddress">The shared (aliased) call region.</param>
/// <param name="SharedSize">Its size in bytes.</param>
/// <param name="PrivateAddress">The domain's private (granted) scratch memory.</param>
/// <param name="PrivateSize">Its size in bytes.</param>
public readonly record struct BoundaryRegion(ulong SharedAddress, int SharedSize, ulong PrivateAddress, int PrivateSize);
