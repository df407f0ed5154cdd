using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using TailGuard.Tyche;

namespace TailGuard.Tests.Tyche.Driver;

/// <summary>
/// A domain's core as <see cref="FakeTycheDevice"/> runs it on TRANSITION: the registers are the core fields the host
/// set (the driver flushes them at COMMIT); memory is reached as the hardware would, through the four-level page tables
/// at CR3 (present, writable) and then the domain's committed segments (the EPT: only those, with their rights). Any
/// access either refuses throws <see cref="Fault"/>, which the device reports as a MEM_FAULT exit.
/// </summary>
internal sealed unsafe class FakeCpu
{
    private const int Page = 4096;
    private const ulong AddressMask = 0x000F_FFFF_FFFF_F000;

    private readonly List<FakeTycheDevice.FakeSegment> _segments;
    private readonly SortedDictionary<ulong, ulong> _fields;

    internal FakeCpu(List<FakeTycheDevice.FakeSegment> segments, SortedDictionary<ulong, ulong> fields, int core)
    {
        _segments = segments;
        _fields = fields;
        Core = core;
    }

    public enum Access
    {
        Read,
        Write,
        Execute,
    }

    public int Core { get; }

    /// <summary>A register as the host configured it; one never set is a fault (the domain would run on garbage).</summary>
    public ulong Register(uint field) => _fields.TryGetValue(field, out ulong value) ? value : throw new Fault($"register 0x{field:X} was never set on core {Core}");

    /// <summary><paramref name="length"/> bytes at virtual <paramref name="address"/>: translated page by page, physically contiguous, allowed by both levels.</summary>
    public Span<byte> Memory(ulong address, int length, Access access)
    {
        ulong physical = Translate(address, access);
        for (ulong offset = Page - (address % Page); offset < (ulong)length; offset += Page)
        {
            if (Translate(address + offset, access) != physical + offset)
            {
                throw new Fault($"0x{address:X} + {length} is not physically contiguous");
            }
        }

        return Physical(physical, length, access);
    }

    /// <summary>The page-table walk from CR3: every level present, writable for a write; the leaf gives the physical page.</summary>
    public ulong Translate(ulong address, Access access)
    {
        if (address >= 1UL << 47)
        {
            throw new Fault($"0x{address:X} is not a canonical lower-half address");
        }

        ulong table = Register(ContextField.GuestCr3) & AddressMask;
        for (int shift = 39; shift >= 12; shift -= 9)
        {
            ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(Physical(table + (((address >> shift) & 511) * 8), 8, Access.Read));
            if ((entry & 1) == 0 || (access == Access.Write && (entry & 2) == 0))
            {
                throw new Fault($"page walk for 0x{address:X} ({access}) stops at level {(shift - 3) / 9}: entry 0x{entry:X}");
            }

            table = entry & AddressMask;
        }

        return table + (address % Page);
    }

    /// <summary>Guest-physical memory through the EPT: inside one committed segment, with the right the access needs (driver bit order: READ 2, WRITE 3, EXEC 4).</summary>
    public Span<byte> Physical(ulong physical, int length, Access access)
    {
        foreach (FakeTycheDevice.FakeSegment segment in _segments)
        {
            ulong start = FakeTycheDevice.ToPhysical(segment.Start);
            if (physical < start || physical - start >= segment.Size || (ulong)length > segment.Size - (physical - start))
            {
                continue;
            }

            uint needed = access switch { Access.Read => 1u << 2, Access.Write => 1u << 3, _ => 1u << 4 };
            if ((segment.Flags & needed) == 0)
            {
                throw new Fault($"EPT: {access} of physical 0x{physical:X} is not allowed (flags 0x{segment.Flags:X})");
            }

            return new Span<byte>((void*)(FakeTycheDevice.ToHost(physical)), length);
        }

        throw new Fault($"EPT: physical 0x{physical:X} + {length} is in no segment of the domain");
    }

    /// <summary>An access the hardware would refuse.</summary>
    public sealed class Fault(string message) : Exception(message);
}
