using System;
using System.Threading;

namespace TailGuard.R2P2;

/// <summary>
/// Pinned packet buffers of one size, reused: the memory of transports built on managed arrays (UDP sockets, the
/// in-memory network). Renting never fails: an empty pool creates a buffer (that is the warm-up), and at most
/// <c>maxIdle</c> returned buffers are kept. Memory is bounded by whoever holds buffers (receive batches, reassembly
/// limits, calls in flight), not here. Thread-safe.
/// </summary>
public sealed class PacketBufferPool : IPacketBufferOwner, IPacketBufferSource
{
    private readonly object _sync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private readonly PacketBuffer[] _idle;
    private int _count;

    /// <summary>Creates a pool.</summary>
    /// <param name="bufferSize">The capacity of each buffer: the largest datagram it must hold.</param>
    /// <param name="maxIdle">How many returned buffers are kept for reuse.</param>
    public PacketBufferPool(int bufferSize, int maxIdle = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, Protocol.R2P2Header.Size);
        ArgumentOutOfRangeException.ThrowIfNegative(maxIdle);
        BufferSize = bufferSize;
        _idle = new PacketBuffer[maxIdle];
    }

    /// <summary>The capacity of each buffer.</summary>
    public int BufferSize { get; }

    /// <summary>How many buffers are idle in the pool now.</summary>
    public int IdleCount => Volatile.Read(ref _count);

    /// <summary>Rents a buffer (length 0, no address).</summary>
    /// <returns>The buffer; return it with <see cref="PacketBuffer.Return"/> (or send it).</returns>
    public PacketBuffer Rent()
    {
        PacketBuffer? buffer = null;
        lock (_sync)
        {
            if (_count > 0)
            {
                buffer = _idle[--_count];
                _idle[_count] = null!;
            }
        }

        if (buffer is null)
        {
            return new PacketBuffer(this, BufferSize);
        }

        buffer.Reissue(this);
        return buffer;
    }

    /// <summary>Rents a buffer after checking it has room for <paramref name="capacity"/> bytes.</summary>
    /// <param name="capacity">The bytes the caller needs, at most <see cref="BufferSize"/>.</param>
    /// <returns>The buffer.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> exceeds <see cref="BufferSize"/>.</exception>
    public PacketBuffer Rent(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, BufferSize);
        return Rent();
    }

    /// <summary>Returns a buffer rented from this pool (the same as <see cref="PacketBuffer.Return"/>).</summary>
    /// <param name="buffer">The buffer; it must not be used afterwards.</param>
    /// <exception cref="ArgumentException">The buffer belongs to another owner.</exception>
    /// <exception cref="InvalidOperationException">The buffer was already returned.</exception>
    public void Return(PacketBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (!ReferenceEquals(buffer.Owner, this))
        {
            throw new ArgumentException("The buffer belongs to another owner.", nameof(buffer));
        }

        buffer.Return();
    }

    /// <summary>Stores a buffer <see cref="PacketBuffer.Return"/> gave back (it checked the buffer was held).</summary>
    void IPacketBufferOwner.Reclaim(PacketBuffer buffer)
    {
        lock (_sync)
        {
            if (_count < _idle.Length)
            {
                _idle[_count++] = buffer;
            }
        }
    }
}
