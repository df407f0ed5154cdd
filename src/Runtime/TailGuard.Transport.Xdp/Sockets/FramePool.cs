using System;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.Transport.Xdp.Frames;
using TailGuard.Transport.Xdp.Interop;

namespace TailGuard.Transport.Xdp.Sockets;

/// <summary>
/// The UMEM: one anonymous mapping cut into equal frames, each behind one <see cref="PacketBuffer"/> made once (its
/// <see cref="PacketBuffer.OwnerToken"/> is the frame's index). A frame is in exactly one place at a time: free here,
/// with the kernel for receiving (fill ring to RX ring), held by the application (rented or received), or with the
/// kernel for sending (TX ring to completion ring). Free frames sit on a stack under a lock; nothing here allocates
/// after construction.
/// </summary>
/// <remarks>
/// The mapping outlives the socket when it must: after <see cref="Retire"/> (the transport disposed), it is unmapped
/// when the last frame the application still holds comes back, so a handler or a response lease reading a frame
/// after dispose reads valid memory.
/// </remarks>
internal sealed unsafe class FramePool : IPacketBufferOwner
{
    private readonly MappedMemory _memory;
    private readonly PacketBuffer[] _frames;
    private readonly int[] _free;
    private readonly bool[] _transmitting;
    private readonly Lock _gate = new();
    private readonly int _shift;
    private int _freeCount;
    private int _held;
    private bool _retired;

    public FramePool(int frameSize, int frameCount)
    {
        FrameSize = frameSize;
        FrameCount = frameCount;
        _shift = System.Numerics.BitOperations.Log2((uint)frameSize);
        _memory = MappedMemory.Anonymous((nuint)frameSize * (nuint)frameCount, out var errno);
        if (_memory.IsInvalid)
        {
            throw new XdpException($"Cannot map {(long)frameSize * frameCount >> 20} MiB of packet memory (UMEM): {Libc.Describe(errno)}.");
        }

        _frames = new PacketBuffer[frameCount];
        _free = new int[frameCount];
        _transmitting = new bool[frameCount];
        for (var i = 0; i < frameCount; i++)
        {
            _frames[i] = new PacketBuffer(this, (nint)(_memory.Pointer + ((long)i << _shift)), frameSize, i);
        }

        // A new PacketBuffer is held by its creator: returning each one makes every frame free (returned, as Reissue
        // expects), frame 0 on top of the stack.
        _held = frameCount;
        for (var i = frameCount - 1; i >= 0; i--)
        {
            _frames[i].Return();
        }
    }

    public int FrameSize { get; }

    public int FrameCount { get; }

    public byte* Base => _memory.Pointer;

    public ulong Size => (ulong)_memory.Length;

    /// <summary>Frames the application holds now (rented or received, not yet returned or sent).</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Frames free here now.</summary>
    public int FreeCount => Volatile.Read(ref _freeCount);

    /// <summary>The frame at a UMEM address (aligned mode: any address inside a frame), or null for an address outside the UMEM.</summary>
    public PacketBuffer? FrameAt(ulong address) => address < Size ? _frames[(int)(address >> _shift)] : null;

    /// <summary>The UMEM offset of a frame's first byte.</summary>
    public ulong OffsetOf(PacketBuffer frame) => (ulong)frame.OwnerToken << _shift;

    /// <summary>The UMEM offset of frame <paramref name="index"/>.</summary>
    public ulong OffsetOf(int index) => (ulong)index << _shift;

    /// <summary>Takes up to <paramref name="indices"/>.Length free frames (for the fill ring, or to copy into); returns how many.</summary>
    public int Take(Span<int> indices)
    {
        lock (_gate)
        {
            var count = Math.Min(indices.Length, _freeCount);
            for (var i = 0; i < count; i++)
            {
                indices[i] = _free[--_freeCount];
            }

            return count;
        }
    }

    /// <summary>Puts one frame back that the kernel returned without the application seeing it.</summary>
    public void Put(int index) => Put([index]);

    /// <summary>Puts frames back that the kernel returned without the application seeing them (unused fill entries, completed sends).</summary>
    public void Put(ReadOnlySpan<int> indices)
    {
        lock (_gate)
        {
            foreach (var index in indices)
            {
                _transmitting[index] = false;
                _free[_freeCount++] = index;
            }
        }
    }

    /// <summary>Lends a free frame to the application for writing a datagram (payload after <see cref="FrameLayout.Headroom"/>); null when none is free.</summary>
    public PacketBuffer? TryRent()
    {
        int index;
        lock (_gate)
        {
            if (_freeCount == 0 || _retired)
            {
                return null; // after Retire the mapping may be gone: the caller lends managed memory instead
            }

            index = _free[--_freeCount];
            _held++;
        }

        var frame = _frames[index];
        frame.Reissue(this);
        frame.Remap(this, (nint)(Base + ((long)index << _shift) + FrameLayout.Headroom), FrameSize - FrameLayout.Headroom);
        return frame;
    }

    /// <summary>Hands a received frame (not free, not held) to the application, pointed at its payload.</summary>
    public PacketBuffer HandOut(int index, int payloadOffsetInFrame)
    {
        Interlocked.Increment(ref _held);
        var frame = _frames[index];
        frame.Reissue(this);
        frame.Remap(this, (nint)(Base + ((long)index << _shift) + payloadOffsetInFrame), FrameSize - payloadOffsetInFrame);
        return frame;
    }

    /// <summary>
    /// The application sends a frame it holds: it becomes the kernel's until its completion comes back
    /// (<see cref="Put(ReadOnlySpan{int})"/>); the buffer is marked returned so nobody can return or send it twice.
    /// </summary>
    public void Transmitting(PacketBuffer frame)
    {
        lock (_gate)
        {
            _transmitting[(int)frame.OwnerToken] = true;
        }

        frame.Return();
    }

    /// <inheritdoc/>
    public void Reclaim(PacketBuffer buffer)
    {
        var index = (int)buffer.OwnerToken;
        bool unmap;
        lock (_gate)
        {
            if (!_transmitting[index])
            {
                _free[_freeCount++] = index;
            }

            _held--;
            unmap = _retired && _held == 0;
        }

        if (unmap)
        {
            _memory.Dispose();
        }
    }

    /// <summary>The transport is gone: unmap now, or when the last frame the application holds comes back.</summary>
    public void Retire()
    {
        bool unmap;
        lock (_gate)
        {
            _retired = true;
            unmap = _held == 0;
        }

        if (unmap)
        {
            _memory.Dispose();
        }
    }
}
