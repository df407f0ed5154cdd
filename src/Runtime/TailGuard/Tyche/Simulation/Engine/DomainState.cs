using System;

namespace TailGuard.Tyche.Simulation.Engine;

/// <summary>Everything the engine knows about one domain.</summary>
internal sealed class DomainState
{
    public const int CapabilityLimit = 128;
    public const int PermissionCount = 16;

    public DomainState(int index, int generation, DomainState? manager, int coreCount)
    {
        Index = index;
        Generation = generation;
        Manager = manager;
        Contexts = new CoreContext?[coreCount];
    }

    public int Index { get; }

    public int Generation { get; }

    public DomainState? Manager { get; set; }

    public CapabilitySlot[] Slots { get; } = new CapabilitySlot[CapabilityLimit];

    public ulong[] Permissions { get; } = new ulong[PermissionCount];

    public bool Sealed { get; set; }

    /// <summary>Set by the first ALLOC_CORE_CONTEXT: permissions can no longer change.</summary>
    public bool Frozen { get; set; }

    public bool Revoked { get; set; }

    public byte[]? Measurement { get; set; }

    public CoreContext?[] Contexts { get; }

    public IDomainEntry? Entry { get; set; }

    /// <summary>The address space, rebuilt on every region change; replaced, never mutated, so readers see one whole map.</summary>
    public MapEntry[] Map { get; set; } = [];

    /// <summary>Bumped with every rebuild of <see cref="Map"/>: a view taken under an older generation is stale.</summary>
    public int MapGeneration { get; set; }

    public int CountCapabilities()
    {
        int count = 0;
        foreach (ref readonly CapabilitySlot slot in Slots.AsSpan())
        {
            if (slot.Kind != CapabilityKind.None)
            {
                count++;
            }
        }

        return count;
    }

    public int FreeSlots() => CapabilityLimit - CountCapabilities();

    public bool IsRunningAnywhere()
    {
        foreach (CoreContext? context in Contexts)
        {
            if (context is { Running: true })
            {
                return true;
            }
        }

        return false;
    }
}
