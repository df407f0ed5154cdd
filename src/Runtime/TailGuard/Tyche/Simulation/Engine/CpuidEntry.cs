namespace TailGuard.Tyche.Simulation.Engine;

/// <summary>One CPUID answer a manager installed for a domain's context (SET_CPUID_ENTRY).</summary>
/// <param name="Function">EAX on entry.</param>
/// <param name="Index">ECX on entry (the sub-leaf).</param>
/// <param name="Flags">Bit 0 set: the index is significant; clear: the entry answers every sub-leaf of the function.</param>
/// <param name="Result">What CPUID answers.</param>
internal readonly record struct CpuidEntry(uint Function, uint Index, uint Flags, CpuidResult Result);
