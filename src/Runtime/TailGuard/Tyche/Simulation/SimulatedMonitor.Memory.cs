using System;
using System.Collections.Generic;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tyche.Simulation;

// Simulated physical memory: every access is checked against the accessing domain's map, which is rebuilt from its
// region capabilities whenever they change. A region's effective range is its own minus its carved children, minus
// what is held in quarantine (SimulatedMonitor.Quarantine.cs). Domains other than the host may take views (spans) of
// their memory; the host may not: its accesses are checked copies, because nothing can revoke a span the host keeps.
public sealed partial class SimulatedMonitor
{
    private void RebuildMap(DomainState domain)
    {
        var entries = new List<MapEntry>();
        if (!domain.Revoked)
        {
            foreach (ref readonly CapabilitySlot slot in domain.Slots.AsSpan())
            {
                if (slot.Kind != CapabilityKind.Region)
                {
                    continue;
                }

                RegionNode node = slot.Region!;
                MemoryRights rights = node.Rights & MemoryRights.AccessMask;
                ulong cursor = node.Start;
                var carved = new List<RegionNode>();
                foreach (RegionNode child in node.Children)
                {
                    if (child.Kind == RegionKind.Carve)
                    {
                        carved.Add(child);
                    }
                }

                carved.Sort(static (a, b) => a.Start.CompareTo(b.Start));
                foreach (RegionNode child in carved)
                {
                    AddPiece(entries, node, cursor, child.Start, rights);
                    cursor = Math.Max(cursor, child.End);
                }

                AddPiece(entries, node, cursor, node.End, rights);
            }
        }

        if (Forbidden(domain) is { } forbidden)
        {
            entries = Clip(entries, forbidden);
        }

        entries.Sort(static (a, b) => a.AddressStart.CompareTo(b.AddressStart));
        domain.Map = entries.ToArray();
        domain.MapGeneration++;

        // A region sent with is_repeat is seen Repeat times, back to back from where it is mapped.
        static void AddPiece(List<MapEntry> entries, RegionNode node, ulong start, ulong end, MemoryRights rights)
        {
            for (ulong copy = 0; start < end && rights != MemoryRights.None && copy < node.Repeat; copy++)
            {
                ulong at = node.MappedAt + (copy * node.Size);
                entries.Add(new MapEntry(at + (start - node.Start), at + (end - node.Start), start, rights));
            }
        }
    }

    /// <summary>Rebuilds the maps of the domains a revocation touched (quarantining what an active one lost).</summary>
    private void RebuildMaps(HashSet<DomainState> domains) => RebuildAfterRevocation(domains);

    /// <summary>The map entries without the physical ranges in <paramref name="forbidden"/> (normalized).</summary>
    private static List<MapEntry> Clip(List<MapEntry> entries, List<(ulong Start, ulong End)> forbidden)
    {
        var clipped = new List<MapEntry>(entries.Count);
        foreach (MapEntry entry in entries)
        {
            ulong physicalEnd = entry.PhysicalStart + (entry.AddressEnd - entry.AddressStart);
            foreach ((ulong start, ulong end) in Subtract([(entry.PhysicalStart, physicalEnd)], forbidden))
            {
                ulong address = entry.AddressStart + (start - entry.PhysicalStart);
                clipped.Add(entry with { AddressStart = address, AddressEnd = address + (end - start), PhysicalStart = start });
            }
        }

        return clipped;
    }

    /// <summary>Finds the map entry that gives <paramref name="needed"/> at <paramref name="address"/>.</summary>
    private static int FindEntry(MapEntry[] map, ulong address, MemoryRights needed)
    {
        for (int index = 0; index < map.Length; index++)
        {
            ref readonly MapEntry entry = ref map[index];
            if (address >= entry.AddressStart && address < entry.AddressEnd && (entry.Rights & needed) == needed)
            {
                return index;
            }
        }

        return -1;
    }

    /// <summary>Checks then copies; the whole range must be covered with the right, or nothing is copied.</summary>
    internal MonitorError Access(DomainState domain, ulong address, Span<byte> read, ReadOnlySpan<byte> write, bool isWrite)
    {
        int length = isWrite ? write.Length : read.Length;
        lock (_gate)
        {
            if (domain.Revoked)
            {
                return MonitorError.DomainRevoked;
            }

            if (length == 0)
            {
                return MonitorError.None;
            }

            if (address > ulong.MaxValue - (ulong)length)
            {
                return MonitorError.AccessDenied;
            }

            MapEntry[] map = domain.Map;
            MemoryRights needed = isWrite ? MemoryRights.Write : MemoryRights.Read;
            ulong end = address + (ulong)length;
            for (ulong cursor = address; cursor < end;)
            {
                int found = FindEntry(map, cursor, needed);
                if (found < 0)
                {
                    return MonitorError.AccessDenied;
                }

                cursor = map[found].AddressEnd;
            }

            int done = 0;
            for (ulong cursor = address; cursor < end;)
            {
                ref readonly MapEntry entry = ref map[FindEntry(map, cursor, needed)];
                int piece = (int)(Math.Min(end, entry.AddressEnd) - cursor);
                int physical = (int)(entry.PhysicalStart + (cursor - entry.AddressStart));
                if (isWrite)
                {
                    write.Slice(done, piece).CopyTo(_memory.AsSpan(physical, piece));
                }
                else
                {
                    _memory.AsSpan(physical, piece).CopyTo(read.Slice(done, piece));
                }

                done += piece;
                cursor += (ulong)piece;
            }

            return MonitorError.None;
        }
    }

    internal MonitorError TakeView(DomainState domain, ulong address, int length, MemoryRights access, out MemoryView view)
    {
        view = default;
        lock (_gate)
        {
            if (domain.Revoked)
            {
                return MonitorError.DomainRevoked;
            }

            if (domain == _root)
            {
                return MonitorError.NotSupported; // a span the host keeps could never be revoked
            }

            if (length < 0 || address > ulong.MaxValue - (ulong)length || (access & ~(MemoryRights.Read | MemoryRights.Write)) != 0)
            {
                return MonitorError.AccessDenied;
            }

            int found = FindEntry(domain.Map, address, access);
            if (found < 0 || address + (ulong)length > domain.Map[found].AddressEnd)
            {
                return MonitorError.AccessDenied; // a view is one contiguous mapping with the rights asked for
            }

            MapEntry entry = domain.Map[found];
            view = new MemoryView(this, domain, domain.MapGeneration, (int)(entry.PhysicalStart + (address - entry.AddressStart)), length, address);
            return MonitorError.None;
        }
    }

    internal static bool IsCurrent(DomainState domain, int generation) => !domain.Revoked && domain.MapGeneration == generation;

    /// <summary>
    /// Who can reach which physical bytes: for each live domain, its accessible physical ranges with the union of its
    /// rights, merged and sorted. Two snapshots compare equal exactly when every domain's access is the same.
    /// </summary>
    internal List<PhysicalAccess> GetAccessMap()
    {
        lock (_gate)
        {
            var result = new List<PhysicalAccess>();
            foreach (DomainState? domain in _domains)
            {
                if (domain is null)
                {
                    continue;
                }

                var points = new SortedSet<ulong>();
                foreach (MapEntry entry in domain.Map)
                {
                    points.Add(entry.PhysicalStart);
                    points.Add(entry.PhysicalStart + (entry.AddressEnd - entry.AddressStart));
                }

                PhysicalAccess? open = null;
                ulong previous = 0;
                bool first = true;
                foreach (ulong point in points)
                {
                    if (!first)
                    {
                        MemoryRights rights = MemoryRights.None;
                        foreach (MapEntry entry in domain.Map)
                        {
                            ulong physicalEnd = entry.PhysicalStart + (entry.AddressEnd - entry.AddressStart);
                            if (entry.PhysicalStart <= previous && physicalEnd >= point)
                            {
                                rights |= entry.Rights;
                            }
                        }

                        if (open is { } current && current.End == previous && current.Rights == rights)
                        {
                            open = current with { End = point };
                        }
                        else
                        {
                            if (open is { Rights: not MemoryRights.None } done)
                            {
                                result.Add(done);
                            }

                            open = new PhysicalAccess(domain.Id, previous, point, rights);
                        }
                    }

                    first = false;
                    previous = point;
                }

                if (open is { Rights: not MemoryRights.None } last)
                {
                    result.Add(last);
                }
            }

            return result;
        }
    }
}

/// <summary>A physical range a domain (by engine id) can reach, with its rights (the simulator's access map).</summary>
internal readonly record struct PhysicalAccess(int Domain, ulong Start, ulong End, MemoryRights Rights);
