using System.Threading;

namespace TailGuard.Transport.Xdp.Sockets;

/// <summary>
/// One single-producer, single-consumer ring shared with the kernel (fill, completion, RX or TX), as
/// Documentation/networking/af_xdp.rst and the kernel's xsk_queue.h define it: a producer index, a consumer index, a
/// flags word and a power-of-two array of entries, indices free-running modulo 2^32.
/// </summary>
/// <remarks>
/// Memory ordering, both directions, as the kernel documents it:
/// the producer writes entries, then publishes its index with a release store (entries are visible before the index);
/// the consumer reads the producer index with an acquire load (entries are read after it), reads the entries, then
/// publishes its own index with a release store (it has finished reading before the kernel may overwrite them).
/// <see cref="Volatile"/> reads and writes are exactly acquire and release in .NET's memory model. Each side caches
/// the other's index and re-reads it only when the cache says the ring is full (producer) or empty (consumer).
/// </remarks>
internal unsafe struct XskRing
{
    public uint* Producer;
    public uint* Consumer;
    public uint* Flags;
    public byte* Entries;
    public uint Mask;
    public uint Size;

    /// <summary>Our side's next index (the producer's for fill and TX, the consumer's for RX and completion).</summary>
    public uint Cached;

    /// <summary>The other side's index as last read.</summary>
    public uint CachedOther;

    /// <summary>Producer side: how many entries can be written now (re-reading the consumer index only if needed).</summary>
    public uint FreeEntries(uint wanted)
    {
        var free = Size - (Cached - CachedOther);
        if (free >= wanted)
        {
            return free;
        }

        CachedOther = Volatile.Read(ref *Consumer); // acquire: the kernel finished with the entries before this index
        return Size - (Cached - CachedOther);
    }

    /// <summary>Producer side: publishes every entry written since the last submit (release).</summary>
    public readonly void Submit() => Volatile.Write(ref *Producer, Cached);

    /// <summary>Consumer side: how many entries are ready (re-reading the producer index only if the cache is empty).</summary>
    public uint Available(uint wanted)
    {
        var ready = CachedOther - Cached;
        if (ready == 0)
        {
            CachedOther = Volatile.Read(ref *Producer); // acquire: the entries up to this index are written
            ready = CachedOther - Cached;
        }

        return ready < wanted ? ready : wanted;
    }

    /// <summary>Consumer side: hands the entries read so far back to the kernel (release).</summary>
    public readonly void Release() => Volatile.Write(ref *Consumer, Cached);

    /// <summary>
    /// Whether the kernel asked for a wakeup (XDP_RING_NEED_WAKEUP). Read after a full fence: the store that published
    /// our entries must not pass this load, or the kernel could go to sleep between them and never see the entries.
    /// </summary>
    public readonly bool NeedsWakeup()
    {
        Interlocked.MemoryBarrier();
        return (Volatile.Read(ref *Flags) & 1) != 0;
    }

    /// <summary>The 8-byte entry (a UMEM address) at <paramref name="index"/> of a fill or completion ring.</summary>
    public readonly ref ulong Address(uint index) => ref ((ulong*)Entries)[index & Mask];

    /// <summary>The 16-byte descriptor at <paramref name="index"/> of an RX or TX ring.</summary>
    public readonly ref XdpDescriptor Descriptor(uint index) => ref ((XdpDescriptor*)Entries)[index & Mask];
}

/// <summary>struct xdp_desc: a packet in the UMEM (its address, which in aligned mode includes the offset in its frame) and length.</summary>
internal struct XdpDescriptor
{
    public ulong Address;
    public uint Length;
    public uint Options;
}
