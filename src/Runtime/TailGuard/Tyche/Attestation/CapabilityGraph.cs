using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace TailGuard.Tyche.Attestation;

/// <summary>How a region of an attested capability graph was derived.</summary>
public enum AttestedRegionKind
{
    /// <summary>A root region (the platform's memory at boot).</summary>
    Root = 0,

    /// <summary>An alias (share) of its parent: both keep access.</summary>
    Alias = 1,

    /// <summary>A carve (grant) of its parent: exclusive.</summary>
    Carve = 2,

    /// <summary>A device region.</summary>
    Device = 3,
}

/// <summary>One region of an attested capability graph.</summary>
/// <param name="Index">Its position in the graph (pre-order over the region trees).</param>
/// <param name="Kind">How it was derived.</param>
/// <param name="Parent">The index of its parent, or -1 for a root or device.</param>
/// <param name="Rights">Its rights and extras, in the monitor's bit order.</param>
/// <param name="Start">Physical start.</param>
/// <param name="End">Physical end (exclusive).</param>
/// <param name="Hash">The SHA-256 of its bytes taken when it was sent with HASH, or empty.</param>
public sealed record AttestedRegion(int Index, AttestedRegionKind Kind, int Parent, MemoryRights Rights, ulong Start, ulong End, ReadOnlyMemory<byte> Hash);

/// <summary>One domain of an attested capability graph.</summary>
/// <param name="Index">Its position in the graph (the engine's pool order; not the domain id).</param>
/// <param name="MonitorInterface">Its monitor-interface permission bitmap.</param>
/// <param name="Regions">The regions it holds, by index, in its table's order.</param>
/// <param name="Managed">The domains it manages (holds Management of), by index.</param>
public sealed record AttestedDomain(int Index, ulong MonitorInterface, IReadOnlyList<int> Regions, IReadOnlyList<int> Managed);

/// <summary>
/// The capability graph SERIALIZE_ATTESTATION returns, in the engine's own format (documented in docs/tyche.md,
/// "Attestation formats"): every region tree and, per domain, the regions and domains it holds. The simulator and a real
/// monitor (through the driver's GET_ATTESTATION) return the same format, so one parser reads both. Parsing is strict
/// and bounded: malformed or oversized input is rejected with a reason, never partially accepted.
/// </summary>
public sealed class CapabilityGraph
{
    private CapabilityGraph(IReadOnlyList<AttestedRegion> regions, IReadOnlyList<AttestedDomain> domains)
    {
        Regions = regions;
        Domains = domains;
    }

    /// <summary>The regions, in pre-order over the trees (a parent always precedes its children).</summary>
    public IReadOnlyList<AttestedRegion> Regions { get; }

    /// <summary>The domains, in the engine's pool order.</summary>
    public IReadOnlyList<AttestedDomain> Domains { get; }

    /// <summary>Parses a serialized graph. Bytes after the final end marker are ignored (the engine reports one more byte than it wrote).</summary>
    /// <param name="encoded">The bytes.</param>
    /// <param name="graph">The graph, or null.</param>
    /// <param name="error">Why the bytes were rejected, or null.</param>
    /// <returns>Whether the bytes are a well-formed graph.</returns>
    public static bool TryParse(ReadOnlySpan<byte> encoded, out CapabilityGraph? graph, out string? error)
    {
        graph = null;
        var reader = new Reader(encoded);
        error = Parse(ref reader, out List<AttestedRegion> regions, out List<AttestedDomain> domains);
        if (error is null)
        {
            graph = new CapabilityGraph(new ReadOnlyCollection<AttestedRegion>(regions), new ReadOnlyCollection<AttestedDomain>(domains));
        }

        return error is null;
    }

    /// <summary>Parses a serialized graph or throws.</summary>
    /// <param name="encoded">The bytes.</param>
    /// <returns>The graph.</returns>
    /// <exception cref="FormatException">The bytes are not a well-formed graph.</exception>
    public static CapabilityGraph Parse(ReadOnlySpan<byte> encoded) =>
        TryParse(encoded, out CapabilityGraph? graph, out string? error) ? graph! : throw new FormatException($"Not a capability graph: {error}");

    /// <summary>
    /// The domains that can reach some byte of [<paramref name="start"/>, <paramref name="end"/>) (physical addresses):
    /// a domain reaches what its regions cover minus their carved children, as the engine computes effective access
    /// (segment.rs, <c>EffectiveRegionIterator</c>). A verifier uses it to check that a confidential range is reachable
    /// by the attested domain alone.
    /// </summary>
    /// <param name="start">Start.</param>
    /// <param name="end">End (exclusive).</param>
    /// <returns>Their indices, ascending.</returns>
    public IReadOnlyList<int> DomainsReaching(ulong start, ulong end)
    {
        var reaching = new List<int>();
        foreach (AttestedDomain domain in Domains)
        {
            foreach (int region in domain.Regions)
            {
                if (Reaches(Regions[region], start, end))
                {
                    reaching.Add(domain.Index);
                    break;
                }
            }
        }

        return reaching;
    }

    /// <summary>Whether a byte of [start, end) lies in the region and outside all of its carved children.</summary>
    private bool Reaches(AttestedRegion region, ulong start, ulong end)
    {
        ulong from = Math.Max(start, region.Start);
        ulong to = Math.Min(end, region.End);
        if (from >= to)
        {
            return false;
        }

        // Walk [from, to) past the carved children in start order. The bytes may be forged (the graph is parsed before
        // the signature is checked), so the walk sorts them itself instead of trusting the engine's pre-order.
        var carves = new List<AttestedRegion>();
        for (int index = region.Index + 1; index < Regions.Count; index++)
        {
            AttestedRegion child = Regions[index];
            if (child.Parent == region.Index && child.Kind == AttestedRegionKind.Carve)
            {
                carves.Add(child);
            }
        }

        carves.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        ulong cursor = from;
        foreach (AttestedRegion child in carves)
        {
            if (cursor >= to)
            {
                break;
            }

            if (child.End <= cursor)
            {
                continue;
            }

            if (child.Start > cursor)
            {
                return true; // a gap before this carve
            }

            cursor = Math.Max(cursor, child.End);
        }

        return cursor < to;
    }

    private static string? Parse(ref Reader reader, out List<AttestedRegion> regions, out List<AttestedDomain> domains)
    {
        regions = new List<AttestedRegion>();
        domains = new List<AttestedDomain>();
        if (!reader.TryBytes(4, out ReadOnlySpan<byte> magic) || !magic.SequenceEqual(CapabilityGraphFormat.Magic))
        {
            return "it does not start with \"capa\"";
        }

        if (!reader.TryByte(out byte header) || header != CapabilityGraphFormat.RegionHeader)
        {
            return "the region section is missing";
        }

        while (true)
        {
            if (!reader.TryByte(out byte marker))
            {
                return "the region section is truncated";
            }

            if (marker == CapabilityGraphFormat.EndMarker)
            {
                break;
            }

            if (regions.Count == CapabilityGraphFormat.MaxRegions)
            {
                return $"more than {CapabilityGraphFormat.MaxRegions} regions";
            }

            string? regionError = ParseRegion(ref reader, marker, regions);
            if (regionError is not null)
            {
                return $"region {regions.Count}: {regionError}";
            }
        }

        if (!reader.TryByte(out header) || header != CapabilityGraphFormat.DomainHeader)
        {
            return "the domain section is missing";
        }

        var managed = new List<int>();
        while (true)
        {
            if (!reader.TryByte(out byte marker))
            {
                return "the domain section is truncated";
            }

            if (marker == CapabilityGraphFormat.EndMarker)
            {
                break;
            }

            if (domains.Count == CapabilityGraphFormat.MaxDomains)
            {
                return $"more than {CapabilityGraphFormat.MaxDomains} domains";
            }

            reader.Back();
            string? domainError = ParseDomain(ref reader, domains, regions.Count, managed);
            if (domainError is not null)
            {
                return $"domain {domains.Count}: {domainError}";
            }
        }

        foreach (int index in managed)
        {
            if (index >= domains.Count)
            {
                return $"a Management capability names domain {index}, which is not in the graph";
            }
        }

        return reader.TryByte(out byte end) && end == CapabilityGraphFormat.EndMarker ? null : "the final end marker is missing";
    }

    private static string? ParseRegion(ref Reader reader, byte marker, List<AttestedRegion> regions)
    {
        AttestedRegionKind kind = marker switch
        {
            CapabilityGraphFormat.RegionRoot => AttestedRegionKind.Root,
            CapabilityGraphFormat.RegionAlias => AttestedRegionKind.Alias,
            CapabilityGraphFormat.RegionCarve => AttestedRegionKind.Carve,
            CapabilityGraphFormat.RegionDevice => AttestedRegionKind.Device,
            _ => (AttestedRegionKind)(-1),
        };
        if ((int)kind < 0)
        {
            return $"unknown region kind 0x{marker:X2}";
        }

        int parent = -1;
        if (kind is AttestedRegionKind.Alias or AttestedRegionKind.Carve)
        {
            if (!reader.TryUInt32(out uint parentIndex))
            {
                return "truncated";
            }

            if (parentIndex >= (uint)regions.Count)
            {
                return $"its parent {parentIndex} does not precede it";
            }

            parent = (int)parentIndex;
        }

        if (!reader.TryByte(out byte rights) || !reader.TryUInt64(out ulong start) || !reader.TryUInt64(out ulong end) || !reader.TryByte(out byte hashMarker))
        {
            return "truncated";
        }

        if (start > end)
        {
            return "its start is after its end";
        }

        if (parent >= 0 && (start < regions[parent].Start || end > regions[parent].End))
        {
            return "it is not inside its parent";
        }

        ReadOnlyMemory<byte> hash = ReadOnlyMemory<byte>.Empty;
        if (hashMarker == CapabilityGraphFormat.RegionHasHash)
        {
            if (!reader.TryUInt64(out ulong length) || length > CapabilityGraphFormat.MaxHashLength || !reader.TryBytes((int)length, out ReadOnlySpan<byte> bytes))
            {
                return "a bad hash";
            }

            hash = bytes.ToArray();
        }
        else if (hashMarker != CapabilityGraphFormat.RegionNoHash)
        {
            return $"unknown hash marker 0x{hashMarker:X2}";
        }

        regions.Add(new AttestedRegion(regions.Count, kind, parent, (MemoryRights)rights, start, end, hash));
        return null;
    }

    private static string? ParseDomain(ref Reader reader, List<AttestedDomain> domains, int regionCount, List<int> managed)
    {
        if (!reader.TryUInt64(out ulong index) || !reader.TryUInt64(out ulong monitorInterface) || !reader.TryByte(out byte start))
        {
            return "truncated";
        }

        if (index != (ulong)domains.Count)
        {
            return $"its index is {index}, expected {domains.Count}";
        }

        if (start != CapabilityGraphFormat.DomainCapabilitiesStart)
        {
            return "its capability list is missing";
        }

        var regions = new List<int>();
        var children = new List<int>();
        while (true)
        {
            if (!reader.TryByte(out byte marker))
            {
                return "truncated";
            }

            if (marker == CapabilityGraphFormat.DomainCapabilitiesEnd)
            {
                break;
            }

            if (regions.Count + children.Count == CapabilityGraphFormat.MaxCapabilitiesPerDomain)
            {
                return $"more than {CapabilityGraphFormat.MaxCapabilitiesPerDomain} capabilities";
            }

            if (!reader.TryUInt64(out ulong target))
            {
                return "truncated";
            }

            switch (marker)
            {
                case CapabilityGraphFormat.CapabilityRegion when target < (ulong)regionCount:
                    regions.Add((int)target);
                    break;
                case CapabilityGraphFormat.CapabilityDomain when target < CapabilityGraphFormat.MaxDomains:
                    children.Add((int)target);
                    managed.Add((int)target);
                    break;
                case CapabilityGraphFormat.CapabilityRegion or CapabilityGraphFormat.CapabilityDomain:
                    return $"a capability names {target}, which is not in the graph";
                default:
                    return $"unknown capability marker 0x{marker:X2}";
            }
        }

        domains.Add(new AttestedDomain(domains.Count, monitorInterface, regions.AsReadOnly(), children.AsReadOnly()));
        return null;
    }

    /// <summary>A bounds-checked little-endian cursor.</summary>
    private ref struct Reader(ReadOnlySpan<byte> buffer)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;
        private int _offset;

        public bool TryByte(out byte value)
        {
            value = 0;
            if (_offset >= _buffer.Length)
            {
                return false;
            }

            value = _buffer[_offset++];
            return true;
        }

        public void Back() => _offset--;

        public bool TryUInt32(out uint value)
        {
            bool ok = TryBytes(4, out ReadOnlySpan<byte> bytes);
            value = ok ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : 0;
            return ok;
        }

        public bool TryUInt64(out ulong value)
        {
            bool ok = TryBytes(8, out ReadOnlySpan<byte> bytes);
            value = ok ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : 0;
            return ok;
        }

        public bool TryBytes(int count, out ReadOnlySpan<byte> bytes)
        {
            bytes = default;
            if (count < 0 || count > _buffer.Length - _offset)
            {
                return false;
            }

            bytes = _buffer.Slice(_offset, count);
            _offset += count;
            return true;
        }
    }
}
