namespace TailGuard.Tyche.Simulation.Engine;

/// <summary>
/// One contiguous piece of a domain's address space: where it lives in physical memory, with which rights, and whether
/// its region is zeroed when revoked (CLEANUP; a revocation while the domain runs zeroes it again when it is released).
/// </summary>
internal readonly record struct MapEntry(ulong AddressStart, ulong AddressEnd, ulong PhysicalStart, MemoryRights Rights, bool Cleanup = false);
