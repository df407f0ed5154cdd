using System;
using System.Threading;

namespace TailGuard.R2P2;

/// <summary>
/// Pinned packet buffers of one size, reused. Renting never fails: an empty pool creates a buffer (that is the warm-up),
/// and at most <c>maxIdle</c> returned buffers are kept. Memory is bounded by whoever holds buffers (receive batches,
/// reassembly limits, calls in flight), not here.
/// </summary>
public sealed class PacketBufferPool
{
    private readonly object _sync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private readonly PacketBuffer[] _idle;
    private int _count;

    /// <summary>Creates a pool.</summary>
    /// <param name="bufferSize">The capacity of each buffer: the largest datagram it must hold.</param>
    /// <param name="maxIdle">How many returned buffers are kept for reuse.</param>
    public PacketBufferPool(int bufferSize, int maxIdle = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, R2P2Header.Size);
        ArgumentOutOfRangeException.ThrowIfNegative(maxIdle);
        BufferSize = bufferSize;
        _idle = new PacketBuffer[maxIdle];
    }

    /// <summary>The capacity of each buffer.</summary>
    public int BufferSize { get; }

    /// <summary>How many buffers are idle in the pool now.</summary>
    public int IdleCount => Volatile.Read(ref _count);

    /// <summary>Rents a buffer (length 0, no address).</summary>
    /// <returns>The buffer.</returns>
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

        buffer ??= new PacketBuffer(this, BufferSize);
        buffer.Length = 0;
        buffer.Address = default;
        return buffer;
    }

    /// <summary>Returns a buffer rented from this pool.</summary>
    /// <param name="buffer">The buffer; it must not be used afterwards.</param>
    public void Return(PacketBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Pool != this)
        {
            throw new ArgumentException("The buffer belongs to another pool.", nameof(buffer));
        }

        lock (_sync)
        {
            if (_count < _idle.Length)
            {
                _idle[_count++] = buffer;
            }
        }
    }
}
