using System;
using System.Collections.Generic;

namespace TailGuard.Tyche.Simulation.Engine;

/// <summary>Everything the engine knows about one domain.</summary>
internal sealed class DomainState
{
    public const int CapabilityLimit = 128;
    public const int PermissionCount = 16;

    public DomainState(int index, int id, DomainState? manager, int coreCount)
    {
        Index = index;
        Id = id;
        Manager = manager;
        Contexts = new CoreContext?[coreCount];
        IdTag = new KeyValuePair<string, object?>(MonitorInstruments.DomainIdTag, id); // boxed once, not per measurement
    }

    /// <summary>The <c>tailguard.tyche.domain</c> tag of this domain's monitor measurements.</summary>
    public KeyValuePair<string, object?> IdTag { get; }

    /// <summary>
    /// The <c>tailguard.domain</c> tag of this domain's monitor measurements, set when a trust domain host created it
    /// (its <see cref="TailGuard.Boundary.TrustDomainHostOptions.Name"/>, as the boundary's measurements name it); null otherwise.
    /// </summary>
    public KeyValuePair<string, object?>? NameTag { get; set; }

    /// <summary>The slot in the engine's domain pool (reused after a revocation).</summary>
    public int Index { get; }

    /// <summary>The engine's domain id: taken from a counter, never reused (what ENUMERATE reports).</summary>
    public int Id { get; }

    public DomainState? Manager { get; set; }

    public CapabilitySlot[] Slots { get; } = new CapabilitySlot[CapabilityLimit];

    public ulong[] Permissions { get; } = new ulong[PermissionCount];

    public bool Sealed { get; set; }

    /// <summary>Set by the first ALLOC_CORE_CONTEXT and by sealing: permissions can no longer change.</summary>
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

    public bool HoldsSwitch()
    {
        foreach (ref readonly CapabilitySlot slot in Slots.AsSpan())
        {
            if (slot.Kind == CapabilityKind.Switch)
            {
                return true;
            }
        }

        return false;
    }

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
