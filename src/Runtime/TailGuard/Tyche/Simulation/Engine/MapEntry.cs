namespace TailGuard.Tyche.Simulation.Engine;

/// <summary>One contiguous piece of a domain's address space: where it lives in physical memory and with which rights.</summary>
internal readonly record struct MapEntry(ulong AddressStart, ulong AddressEnd, ulong PhysicalStart, MemoryRights Rights);
