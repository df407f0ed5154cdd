using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace TailGuard.R2P2;

/// <summary>
/// One datagram in memory that does not move: a pinned array of a <see cref="PacketBufferPool"/>, or a frame of a
/// transport's own memory region. On receive, <see cref="Length"/> and <see cref="Address"/> (the source) are filled by
/// the transport; on send they say what to send and where.
/// </summary>
/// <remarks>
/// A buffer from an owner (a pool or a transport) is held by exactly one party at a time and goes back exactly once,
/// by <see cref="Return"/> or by being sent (<see cref="PacketTransport.Send"/> takes ownership). Returning it twice is
/// a bug that would hand one buffer to two holders, so it throws.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The native region's MemoryManager holds no resource: its owner frees the memory.")]
public sealed unsafe class PacketBuffer
{
    private readonly IPacketBufferOwner? _owner;
    private readonly byte[]? _array;
    private readonly NativeRegion? _native;
    private byte* _pointer;
    private int _capacity;
    private int _length;
    private int _returned;

    /// <summary>Creates a standalone buffer (no owner; <see cref="Return"/> does nothing), e.g. for tests that hand-craft datagrams.</summary>
    /// <param name="capacity">The buffer size in bytes.</param>
    public PacketBuffer(int capacity)
        : this(null, capacity)
    {
    }

    /// <summary>
    /// Creates a buffer over memory its owner manages, such as a frame of a transport's memory region. The memory must
    /// stay valid and must not move for the buffer's whole life.
    /// </summary>
    /// <param name="owner">Takes the buffer back on <see cref="Return"/>.</param>
    /// <param name="address">The first byte of the memory.</param>
    /// <param name="capacity">How many bytes the memory holds.</param>
    /// <param name="ownerToken">A value the owner reads back (<see cref="OwnerToken"/>), e.g. the frame's offset in its region.</param>
    public PacketBuffer(IPacketBufferOwner owner, nint address, int capacity, long ownerToken = 0)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        if (address == 0 && capacity > 0)
        {
            throw new ArgumentException("The memory address is null.", nameof(address));
        }

        _owner = owner;
        _native = new NativeRegion();
        _native.Set((byte*)address, capacity);
        _pointer = (byte*)address;
        _capacity = capacity;
        OwnerToken = ownerToken;
        Segment = new PayloadSegment();
    }

    internal PacketBuffer(IPacketBufferOwner? owner, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _owner = owner;
        _array = GC.AllocateUninitializedArray<byte>(capacity, pinned: true);
        _pointer = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array)); // pinned (POH): never moves
        _capacity = capacity;
        Segment = new PayloadSegment();
    }

    /// <summary>Who takes the buffer back; null for a standalone buffer.</summary>
    public IPacketBufferOwner? Owner => _owner;

    /// <summary>The value the owner gave at construction (e.g. a frame offset); 0 otherwise.</summary>
    public long OwnerToken { get; }

    /// <summary>The capacity in bytes.</summary>
    public int Capacity => _capacity;

    /// <summary>The datagram's length in bytes, from 0 to <see cref="Capacity"/>.</summary>
    public int Length
    {
        get => _length;
        set
        {
            if ((uint)value > (uint)_capacity)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"A packet length must be between 0 and the buffer's capacity ({_capacity}).");
            }

            _length = value;
        }
    }

    /// <summary>The source (after receive) or destination (before send) of the datagram.</summary>
    public PacketAddress Address { get; set; }

    /// <summary>The datagram bytes (the first <see cref="Length"/> bytes).</summary>
    public Span<byte> Span => new(_pointer, _length);

    /// <summary>The whole buffer, for whoever fills it.</summary>
    public Span<byte> Storage => new(_pointer, _capacity);

    /// <summary>The datagram bytes as memory, e.g. to build a <see cref="ReadOnlySequence{T}"/> over a payload without copying.</summary>
    public Memory<byte> Memory => _array is not null ? new Memory<byte>(_array, 0, _length) : _native!.Memory[.._length];

    /// <summary>The whole buffer as memory, for writers that hand out <see cref="Memory{T}"/> over it.</summary>
    internal Memory<byte> StorageMemory => _array is not null ? new Memory<byte>(_array) : _native!.Memory;

    /// <summary>The address of the first byte, for transports that hand the memory to the kernel or a device.</summary>
    public nint BaseAddress => (nint)_pointer;

    /// <summary>A sequence segment owned by this buffer, so a multi-packet payload chains without allocating.</summary>
    internal PayloadSegment Segment { get; }

    /// <summary>Returns the buffer to its owner (no-op for a standalone buffer). The buffer must not be used afterwards.</summary>
    /// <exception cref="InvalidOperationException">The buffer was already returned (or sent, which returns it).</exception>
    public void Return()
    {
        if (_owner is null)
        {
            return;
        }

        if (Interlocked.Exchange(ref _returned, 1) != 0)
        {
            throw new InvalidOperationException("The packet buffer was returned twice (sending a buffer returns it to its owner).");
        }

        _owner.Reclaim(this);
    }

    /// <summary>
    /// For owners: hands a returned buffer out again, empty (length 0, no address). Pools and transports call this on
    /// every buffer they lend from their idle store.
    /// </summary>
    /// <param name="owner">The buffer's owner (a check that only the owner reissues it).</param>
    /// <exception cref="InvalidOperationException">The caller is not the owner, or the buffer is not returned.</exception>
    public void Reissue(IPacketBufferOwner owner)
    {
        if (!ReferenceEquals(owner, _owner) || Volatile.Read(ref _returned) == 0)
        {
            throw new InvalidOperationException("Only the owner reissues a packet buffer, and only after it was returned.");
        }

        _length = 0;
        Address = default;
        Volatile.Write(ref _returned, 0);
    }

    /// <summary>
    /// For owners: points a buffer over native memory at another region (e.g. the payload of a frame just received,
    /// whose headers vary in length). Length is reset to 0.
    /// </summary>
    /// <param name="owner">The buffer's owner.</param>
    /// <param name="address">The first byte of the memory.</param>
    /// <param name="capacity">How many bytes it holds.</param>
    /// <exception cref="InvalidOperationException">The caller is not the owner, or the buffer is a pinned array.</exception>
    public void Remap(IPacketBufferOwner owner, nint address, int capacity)
    {
        if (!ReferenceEquals(owner, _owner) || _native is null)
        {
            throw new InvalidOperationException("Only the owner of a buffer over native memory remaps it.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _native.Set((byte*)address, capacity);
        _pointer = (byte*)address;
        _capacity = capacity;
        _length = 0;
    }

    /// <summary>The native memory of a buffer as a <see cref="MemoryManager{T}"/>, so it can be a <see cref="Memory{T}"/>.</summary>
    private sealed class NativeRegion : MemoryManager<byte>
    {
        private byte* _start;
        private int _length;

        public void Set(byte* start, int length)
        {
            _start = start;
            _length = length;
        }

        public override Span<byte> GetSpan() => new(_start, _length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
