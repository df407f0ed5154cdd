using System;
using System.Globalization;

namespace TailGuard.Tyche;

/// <summary>
/// A reference to one slot of the calling domain's capability table, as the monitor hands it out. It carries the slot's
/// version so a handle to a slot that was consumed, sent away or revoked (and maybe reused since) is detected, never
/// silently aliased. A plain value: no allocation.
/// </summary>
public readonly struct CapabilityHandle : IEquatable<CapabilityHandle>
{
    internal CapabilityHandle(int slot, ushort version)
    {
        Slot = slot;
        Version = version;
    }

    /// <summary>The slot index in the owning domain's table (0-127); -1 for <see cref="None"/>.</summary>
    public int Slot { get; }

    /// <summary>The slot's version when the handle was issued.</summary>
    public ushort Version { get; }

    /// <summary>No capability.</summary>
    public static CapabilityHandle None => new(-1, 0);

    /// <summary>Whether this is <see cref="None"/>.</summary>
    public bool IsNone => Slot < 0;

    /// <summary>The raw value the monitor call ABI carries (slot in the low 16 bits, version above).</summary>
    public ulong RawValue => IsNone ? ulong.MaxValue : ((ulong)Version << 16) | (uint)Slot;

    /// <summary>Rebuilds a handle from <see cref="RawValue"/>.</summary>
    /// <param name="raw">A raw handle value.</param>
    /// <returns>The handle.</returns>
    public static CapabilityHandle FromRawValue(ulong raw) =>
        raw == ulong.MaxValue ? None : new CapabilityHandle((int)(raw & 0xFFFF), (ushort)(raw >> 16));

    /// <inheritdoc/>
    public bool Equals(CapabilityHandle other) => Slot == other.Slot && Version == other.Version;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CapabilityHandle other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Slot, Version);

    /// <inheritdoc/>
    public override string ToString() =>
        IsNone ? "capa(none)" : string.Create(CultureInfo.InvariantCulture, $"capa({Slot}v{Version})");

    /// <summary>Equality.</summary>
    /// <param name="left">One handle.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether both name the same slot and version.</returns>
    public static bool operator ==(CapabilityHandle left, CapabilityHandle right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">One handle.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(CapabilityHandle left, CapabilityHandle right) => !left.Equals(right);
}
