using System;

namespace TailGuard.R2P2;

/// <summary>
/// The memory of a transport built on pinned arrays: one <see cref="PacketBufferPool"/> per size class asked for.
/// Clients and servers ask for header + payload size (1472 by default, itself a class), so a transport usually holds
/// one or two pools; classes (multiples of 64 bytes up to 4 KiB, powers of two above) bound how many there can be.
/// </summary>
internal sealed class PinnedBufferPools
{
    private readonly object _sync = new();
    private readonly int _maxSize;
    private PacketBufferPool[] _pools = [];

    public PinnedBufferPools(int maxSize) => _maxSize = maxSize;

    public PacketBuffer Rent(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        if (capacity > _maxSize)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"This transport carries datagrams of at most {_maxSize} bytes.");
        }

        capacity = SizeClass(capacity);
        foreach (var pool in _pools)
        {
            if (pool.BufferSize == capacity)
            {
                return pool.Rent();
            }
        }

        return AddPool(capacity).Rent();
    }

    private static int SizeClass(int capacity)
        => capacity <= 4096 ? Math.Max(64, (capacity + 63) & ~63) : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);

    private PacketBufferPool AddPool(int capacity)
    {
        lock (_sync)
        {
            foreach (var pool in _pools)
            {
                if (pool.BufferSize == capacity)
                {
                    return pool;
                }
            }

            var added = new PacketBufferPool(capacity);
            _pools = [.. _pools, added]; // copy on write: renters read the array without the lock
            return added;
        }
    }
}
