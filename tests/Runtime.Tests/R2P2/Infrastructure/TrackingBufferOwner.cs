using System;
using System.Collections.Generic;
using TailGuard.R2P2;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>
/// A buffer owner that remembers every buffer it lent and every one it got back, so a test of a state machine can
/// prove nothing leaked and nothing came back twice (the buffer itself throws on a second return).
/// </summary>
internal sealed class TrackingBufferOwner : IPacketBufferOwner, IPacketBufferSource
{
    private readonly HashSet<PacketBuffer> _lent = new(ReferenceEqualityComparer.Instance);

    public int Capacity { get; init; } = 1472;

    /// <summary>Buffers lent and not yet returned.</summary>
    public int Outstanding => _lent.Count;

    public int Returned { get; private set; }

    public PacketBuffer Rent(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, Capacity);
        var buffer = new PacketBuffer(this, Capacity);
        _lent.Add(buffer);
        return buffer;
    }

    /// <summary>A datagram in one of this owner's buffers, as a transport would deliver it.</summary>
    public PacketBuffer Datagram(byte[] bytes, PacketAddress source)
    {
        var buffer = Rent(bytes.Length);
        bytes.CopyTo(buffer.Storage);
        buffer.Length = bytes.Length;
        buffer.Address = source;
        return buffer;
    }

    public bool IsOutstanding(PacketBuffer buffer) => _lent.Contains(buffer);

    public void Reclaim(PacketBuffer buffer)
    {
        if (!_lent.Remove(buffer))
        {
            throw new InvalidOperationException("A buffer this owner never lent (or took back already) came back.");
        }

        Returned++;
    }
}
