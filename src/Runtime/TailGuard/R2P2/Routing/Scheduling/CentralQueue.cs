using System;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// JBSQ's one central FIFO: the first packets of requests that found no free credit, in arrival order, each with the
/// time it arrived. A bounded ring (the capacity is fixed at construction), so queuing allocates nothing.
/// Single-threaded (the router's lock).
/// </summary>
internal sealed class CentralQueue(int capacity)
{
    private readonly PacketBuffer?[] _packets = new PacketBuffer?[capacity];
    private readonly long[] _enqueuedAt = new long[capacity];
    private int _head;

    public int Count { get; private set; }

    /// <summary>When the request at the head arrived (valid when <see cref="Count"/> is not 0).</summary>
    public long OldestEnqueuedAt => _enqueuedAt[_head];

    public bool TryEnqueue(PacketBuffer packet, long now)
    {
        if (Count == _packets.Length)
        {
            return false;
        }

        var at = (_head + Count) % _packets.Length;
        _packets[at] = packet;
        _enqueuedAt[at] = now;
        Count++;
        return true;
    }

    public PacketBuffer Dequeue()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("The central queue is empty.");
        }

        var packet = _packets[_head]!;
        _packets[_head] = null;
        _head = (_head + 1) % _packets.Length;
        Count--;
        return packet;
    }
}
