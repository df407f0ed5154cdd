using System;
using System.Diagnostics;
using System.Threading;

namespace TailGuard.R2P2.Simulation;

/// <summary>
/// An endpoint bound on an <see cref="InMemoryNetwork"/>: a bounded inbox ordered by delivery time, and pinned buffers it
/// owns (the default <see cref="PacketTransport.Rent"/>). A send copies each datagram into the network (where faults
/// apply) and returns the buffer at once; a receive copies a delivered datagram into the caller's slot.
/// </summary>
public sealed class InMemoryTransport : PacketTransport
{
    private readonly InMemoryNetwork _network;
    private readonly object _sync = new(); // Monitor: receivers wait on it
    private readonly Entry[] _inbox;
    private int _head;
    private int _count;
    private long _overflowed;
    private long _truncated;
    private bool _lastReceiveEmptied;
    private volatile bool _disposed;

    internal InMemoryTransport(InMemoryNetwork network, PacketAddress address, int inboxCapacity)
    {
        _network = network;
        LocalAddress = address;
        _inbox = new Entry[inboxCapacity];
    }

    /// <inheritdoc/>
    public override PacketAddress LocalAddress { get; }

    /// <inheritdoc/>
    public override int MaxDatagramSize => _network.MaxDatagramSize;

    /// <summary>Datagrams lost because the inbox was full.</summary>
    public long DatagramsOverflowed => Interlocked.Read(ref _overflowed);

    /// <summary>How many datagrams the inbox holds before new ones are lost (a socket's receive buffer).</summary>
    public int InboxCapacity => _inbox.Length;

    /// <summary>The inbox counts what it drops when full and sees when a receive emptied it, as a socket's queue does.</summary>
    internal override bool WatchesReceiveQueue => true;

    /// <inheritdoc/>
    internal override long ReceiveQueueDrops => DatagramsOverflowed;

    /// <inheritdoc/>
    internal override bool LastReceiveEmptiedQueue => _lastReceiveEmptied;

    /// <summary>Datagrams dropped because the receive buffer was smaller than the datagram.</summary>
    public long DatagramsTruncated => Interlocked.Read(ref _truncated);

    /// <summary>How many datagrams wait in the inbox (including delayed ones).</summary>
    public int PendingCount
    {
        get
        {
            lock (_sync)
            {
                return _count;
            }
        }
    }

    /// <inheritdoc/>
    public override void Send(ReadOnlySpan<PacketBuffer> packets)
    {
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var packet in packets)
            {
                _network.Transmit(LocalAddress, packet.Address, packet.Span);
            }
        }
        finally
        {
            ReturnAll(packets); // the network holds its own copies
        }
    }

    /// <inheritdoc/>
    public override int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
        if (buffers.IsEmpty)
        {
            return 0;
        }

        var deadline = timeoutMilliseconds <= 0 ? 0 : Stopwatch.GetTimestamp() + (timeoutMilliseconds * Stopwatch.Frequency / 1000);
        lock (_sync)
        {
            while (true)
            {
                if (_disposed)
                {
                    _lastReceiveEmptied = false;
                    return 0;
                }

                var now = Stopwatch.GetTimestamp();
                var filled = 0;
                while (filled < buffers.Length && _count > 0 && _inbox[_head].DeliverAt <= now)
                {
                    ref var entry = ref _inbox[_head];
                    var buffer = buffers[filled];
                    if (entry.Length <= buffer.Capacity)
                    {
                        entry.Data.AsSpan(0, entry.Length).CopyTo(buffer.Storage);
                        buffer.Length = entry.Length;
                        buffer.Address = entry.Source;
                        filled++;
                    }
                    else
                    {
                        _truncated++;
                    }

                    _network.Store.Return(entry.Data);
                    entry = default;
                    _head++;
                    _count--;
                }

                if (filled > 0 || now >= deadline)
                {
                    // Emptied: nothing deliverable is left (a delayed datagram is still in flight, as on a wire).
                    _lastReceiveEmptied = _count == 0 || _inbox[_head].DeliverAt > now;
                    return filled;
                }

                var wakeAt = _count > 0 ? Math.Min(deadline, _inbox[_head].DeliverAt) : deadline;
                var waitMs = (int)Math.Clamp((wakeAt - now) * 1000 / Stopwatch.Frequency, 1, int.MaxValue);
                Monitor.Wait(_sync, waitMs);
            }
        }
    }

    internal void Enqueue(byte[] data, int length, PacketAddress source, long deliverAt, long sequence)
    {
        lock (_sync)
        {
            if (_disposed || _count == _inbox.Length)
            {
                _overflowed++;
                _network.Store.Return(data);
                return;
            }

            if (_head + _count == _inbox.Length)
            {
                Array.Copy(_inbox, _head, _inbox, 0, _count);
                Array.Clear(_inbox, _count, _head);
                _head = 0;
            }

            // Keep the inbox ordered by delivery time; an undelayed datagram lands at the tail in O(1).
            var position = _head + _count;
            while (position > _head && _inbox[position - 1].DeliverAt > deliverAt)
            {
                position--;
            }

            if (position < _head + _count)
            {
                Array.Copy(_inbox, position, _inbox, position + 1, _head + _count - position);
            }

            _inbox[position] = new Entry(deliverAt, sequence, data, length, source);
            _count++;
            Monitor.PulseAll(_sync);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            Release();
        }

        base.Dispose(disposing);
    }

    private void Release()
    {
        _network.Unbind(this);
        lock (_sync)
        {
            for (var i = 0; i < _count; i++)
            {
                _network.Store.Return(_inbox[_head + i].Data);
                _inbox[_head + i] = default;
            }

            _count = 0;
            Monitor.PulseAll(_sync);
        }
    }

    private readonly record struct Entry(long DeliverAt, long Sequence, byte[] Data, int Length, PacketAddress Source);
}
