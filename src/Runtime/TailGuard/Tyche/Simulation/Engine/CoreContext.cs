namespace TailGuard.Tyche.Simulation.Engine;

/// <summary>A domain's context on one core: whether it is allocated, running, and its registers.</summary>
internal sealed class CoreContext
{
    public const int GeneralRegisterCount = 16;

    public bool Running { get; set; }

    public ulong[] GeneralRegisters { get; } = new ulong[GeneralRegisterCount];

    /// <summary>VMCS fields by encoding (general-purpose registers live in <see cref="GeneralRegisters"/>).</summary>
    public System.Collections.Generic.SortedDictionary<ulong, ulong> Fields { get; } = new();

    /// <summary>CPUID answers the manager installed with SET_CPUID_ENTRY (at most <see cref="CpuidEntryLimit"/>).</summary>
    public System.Collections.Generic.List<CpuidEntry> CpuidEntries { get; } = new();

    /// <summary>The engine's per-context CPUID table size (tyche-devel monitor/tyche/src/x86_64/context.rs, MAX_CPUID_ENTRIES).</summary>
    public const int CpuidEntryLimit = 50;
}
