using System;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>
/// How a domain's entry convinces itself that its scratch is private, from the monitor's own account of the domain's
/// capabilities (ENUMERATE) and translation (GET_HPA), never from what the host said: the range must lie, at the address
/// the entry was given, inside one region capability that is carved, unique (exclusive), zeroed on revocation (CLEANUP)
/// and readable and writable; and no other region of the domain may reach the same bytes. Only facts every Tyche
/// backend reports are used, so the rule (<see cref="Judge"/>) carries over to other backends.
/// </summary>
internal static class PrivateMemoryCheck
{
    /// <summary>Checks the calling domain's memory at <paramref name="address"/> through <paramref name="core"/> (the domain's own core).</summary>
    /// <returns>Null when the memory is private; otherwise why it is not.</returns>
    public static string? Verify(SimulatedCore core, ulong address, ulong size)
    {
        ulong physical;
        try
        {
            physical = core.GetHpa(address, size, out ulong contiguous);
            if (contiguous < size)
            {
                return $"the private memory at 0x{address:X} (0x{size:X} bytes) is not one mapping: only 0x{contiguous:X} bytes are contiguous";
            }
        }
        catch (MonitorException exception)
        {
            return $"nothing is mapped for the private memory at 0x{address:X} ({exception.Error})";
        }

        CapabilityInfo holder = default;
        int covering = 0;
        int overlapping = 0;
        ulong token = 0;
        do
        {
            token = core.Enumerate(token, out CapabilityInfo info);
            if (info.Kind != CapabilityKind.Region || info.Value2 <= physical || info.Value1 >= physical + size)
            {
                continue;
            }

            overlapping++;
            if (info.Value1 <= physical && physical + size <= info.Value2)
            {
                holder = info;
                covering++;
            }
        }
        while (token != 0);

        return Judge(covering == 1 ? holder : null, overlapping, address);
    }

    /// <summary>The rule, over the region capability that covers the scratch (null: none, or several) and how many regions reach any of its bytes.</summary>
    internal static string? Judge(CapabilityInfo? region, int overlapping, ulong address)
    {
        string at = $"the private memory at 0x{address:X}";
        if (region is not { } info)
        {
            return $"{at} does not lie inside exactly one region capability of the domain";
        }

        if (overlapping != 1)
        {
            return $"{at} is reached through {overlapping} regions of the domain, not one";
        }

        if (info.RegionKind != RegionKind.Carve)
        {
            return $"{at} is a {info.RegionKind} region, not a carved one: the host keeps access to it";
        }

        if (!info.Unique)
        {
            return $"{at} is not exclusive (a carve of a shared region): the host still reaches it";
        }

        if ((info.Rights & MemoryRights.Cleanup) == 0)
        {
            return $"{at} is not zeroed when revoked (no CLEANUP): the host would get its contents back";
        }

        if ((info.Rights & (MemoryRights.Read | MemoryRights.Write)) != (MemoryRights.Read | MemoryRights.Write))
        {
            return $"{at} is not readable and writable by the domain";
        }

        return null;
    }
}
