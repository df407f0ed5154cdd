using System;
using System.Buffers.Binary;

namespace TailGuard.Boundary;

/// <summary>
/// The x86-64 four-level page tables of a domain on the driver backend. The driver sends segments identity-mapped (the
/// domain sees each at its physical address), so the domain's virtual addresses are its physical ones: these tables map
/// each page of the code read-only and each page of the stacks, scratch and call regions read-write, 4 KiB pages, and
/// nothing else (not the tables themselves: the domain cannot rewrite its own address space). They live in their own
/// confidential segment; CR3 points at the first page.
/// </summary>
internal ref struct DomainPageTables
{
    /// <summary>Present.</summary>
    public const ulong Present = 1;

    /// <summary>Writable.</summary>
    public const ulong Writable = 2;

    private const int Page = 4096;
    private const ulong AddressMask = 0x000F_FFFF_FFFF_F000;

    /// <summary>The lower canonical half: identity-mapped addresses must be below it.</summary>
    private const ulong CanonicalLimit = 1UL << 47;

    private readonly Span<byte> _tables;
    private readonly ulong _physical;
    private int _used;

    /// <summary>Tables written into <paramref name="tables"/> (zeroed, page-aligned), which the domain sees at <paramref name="physical"/>.</summary>
    public DomainPageTables(Span<byte> tables, ulong physical)
    {
        _tables = tables;
        _physical = physical;
        _used = 1; // the PML4
    }

    /// <summary>CR3: the PML4's physical address.</summary>
    public readonly ulong Root => _physical;

    /// <summary>
    /// How many 4 KiB table pages are always enough for <paramref name="pages"/> pages of one physically contiguous
    /// block (the block these tables sit in): one PML4, and per level one table more than the block spans, because
    /// the block may straddle a boundary.
    /// </summary>
    public static int PagesFor(long pages)
    {
        long tables = pages;
        for (int round = 0; round < 2; round++) // the tables are part of the block they map around: settle once
        {
            long total = pages + tables;
            tables = 1 + Spanned(total, 1L << 27) + Spanned(total, 1L << 18) + Spanned(total, 512);
        }

        return (int)tables;
    }

    /// <summary>Maps [<paramref name="start"/>, <paramref name="start"/> + <paramref name="size"/>) to itself.</summary>
    /// <exception cref="NotSupportedException">The range is not below 2^47 (it would not be a canonical address).</exception>
    public void MapIdentity(ulong start, ulong size, ulong flags)
    {
        if (start % Page != 0 || size % Page != 0 || start >= CanonicalLimit || size > CanonicalLimit - start)
        {
            throw new NotSupportedException($"The domain's memory at physical 0x{start:X} (0x{size:X} bytes) cannot be identity-mapped: it must be page-aligned and below 2^47.");
        }

        for (ulong page = start; page < start + size; page += Page)
        {
            int table = 0;
            for (int shift = 39; shift > 12; shift -= 9)
            {
                table = Next(table, (int)((page >> shift) & 511));
            }

            Write(table, (int)((page >> 12) & 511), page | Present | flags);
        }
    }

    private static long Spanned(long pages, long perTable) => ((pages + perTable - 1) / perTable) + 1;

    /// <summary>The table an entry points to, allocating it (zeroed) the first time.</summary>
    private int Next(int table, int index)
    {
        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(_tables.Slice((table * Page) + (index * 8), 8));
        if (entry != 0)
        {
            return (int)(((entry & AddressMask) - _physical) / Page);
        }

        if ((_used + 1) * Page > _tables.Length)
        {
            throw new InvalidOperationException("The domain's page tables need more pages than were set aside for them.");
        }

        int next = _used++;
        Write(table, index, (_physical + ((ulong)next * Page)) | Present | Writable);
        return next;
    }

    private readonly void Write(int table, int index, ulong entry) =>
        BinaryPrimitives.WriteUInt64LittleEndian(_tables.Slice((table * Page) + (index * 8), 8), entry);
}
