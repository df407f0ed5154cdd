using System;
using System.Buffers;
using System.Collections.Generic;

namespace TailGuard.R2P2;

/// <summary>
/// Multi-packet requests being reassembled on one receive loop, keyed by (client address, rid). Bounded: at most
/// <c>maxPending</c> requests and <c>maxBytes</c> of held buffers (the oldest request is evicted to make room), and a
/// request older than the timeout is discarded. The reference keeps them forever, unbounded; this is deliberate.
/// Reordering inside one request is tolerated; a duplicate index, an index >= N or a count mismatch discards it.
/// Not thread-safe: one receive loop owns it.
/// </summary>
internal sealed class Reassembler
{
    private readonly Dictionary<ReassemblyKey, PendingRequest> _pending;
    private readonly Stack<PendingRequest> _free;
    private readonly int _maxPending;
    private readonly long _maxBytes;
    private readonly long _timeoutTicks;
    private PendingRequest? _oldest;
    private PendingRequest? _newest;
    private long _bytes;

    public Reassembler(int maxPending, long maxBytes, long timeoutTicks)
    {
        _maxPending = maxPending;
        _maxBytes = maxBytes;
        _timeoutTicks = timeoutTicks;
        _pending = new Dictionary<ReassemblyKey, PendingRequest>(maxPending);
        _free = new Stack<PendingRequest>(maxPending);
    }

    /// <summary>Called with each request discarded (expired, evicted or inconsistent), so its admission is released.</summary>
    public Action<PendingRequest>? Discarding { get; set; }

    public int Count => _pending.Count;

    public long Bytes => _bytes;

    /// <summary>The most bytes ever held at once (a test checks the bound held throughout, not only at the end).</summary>
    public long PeakBytes { get; private set; }

    public bool Contains(in ReassemblyKey key) => _pending.ContainsKey(key);

    /// <summary>
    /// Starts a request with its FIRST packet. True: the buffer now belongs to the reassembler. False: the byte bound
    /// left no room even after evicting everything older (the request was discarded; the caller keeps the buffer).
    /// </summary>
    public bool Begin(in ReassemblyKey key, int expected, RoutingPolicy policy, PacketBuffer first, long now)
    {
        while (_pending.Count >= _maxPending && _oldest is not null)
        {
            Discard(_oldest);
        }

        var request = _free.Count > 0 ? _free.Pop() : new PendingRequest();
        if (request.Packets.Length < expected)
        {
            request.Packets = new PacketBuffer?[Math.Max(expected, request.Packets.Length * 2)];
        }

        request.Key = key;
        request.Expected = expected;
        request.Received = 0;
        request.Bytes = 0;
        request.CreatedAt = now;
        request.Policy = policy;
        Link(request);
        _pending.Add(key, request);
        return Store(request, 0, first);
    }

    /// <summary>Adds packet <paramref name="index"/>; on <see cref="ReassemblyResult.Stored"/> or Complete the buffer belongs to the reassembler.</summary>
    public ReassemblyResult Add(in ReassemblyKey key, int index, bool isLast, PacketBuffer packet, out PendingRequest? request)
    {
        if (!_pending.TryGetValue(key, out request))
        {
            return ReassemblyResult.Orphan;
        }

        if (index >= request.Expected || request.Packets[index] is not null || isLast != (index == request.Expected - 1))
        {
            Discard(request);
            request = null;
            return ReassemblyResult.Discarded;
        }

        if (!Store(request, index, packet))
        {
            // Making room for this packet evicted its own request (it was the oldest and the byte bound is reached).
            request = null;
            return ReassemblyResult.Discarded;
        }

        return request.Received == request.Expected ? ReassemblyResult.Complete : ReassemblyResult.Stored;
    }

    /// <summary>Copies a complete request's payloads, in index order, into one contiguous pooled array.</summary>
    public static byte[] Assemble(PendingRequest request, out int length)
    {
        length = 0;
        for (var i = 0; i < request.Expected; i++)
        {
            length += request.Packets[i]!.Length - R2P2Header.Size;
        }

        var contiguous = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        var offset = 0;
        for (var i = 0; i < request.Expected; i++)
        {
            var payload = request.Packets[i]!.Span[R2P2Header.Size..];
            payload.CopyTo(contiguous.AsSpan(offset));
            offset += payload.Length;
        }

        return contiguous;
    }

    /// <summary>Forgets a request (delivered or discarded) and returns its buffers.</summary>
    public void Remove(PendingRequest request)
    {
        _pending.Remove(request.Key);
        Unlink(request);
        for (var i = 0; i < request.Expected; i++)
        {
            request.Packets[i]?.Return();
            request.Packets[i] = null;
        }

        _bytes -= request.Bytes;
        request.Bytes = 0;
        if (_free.Count < _maxPending)
        {
            _free.Push(request);
        }
    }

    /// <summary>Discards requests older than the timeout.</summary>
    public void Expire(long now)
    {
        while (_oldest is { } oldest && now - oldest.CreatedAt >= _timeoutTicks)
        {
            Discard(oldest);
        }
    }

    /// <summary>Discards everything (the loop is stopping).</summary>
    public void Clear()
    {
        while (_oldest is { } oldest)
        {
            Discard(oldest);
        }
    }

    private bool Store(PendingRequest request, int index, PacketBuffer packet)
    {
        // Count the whole buffer: that is the memory a flood would pin. The oldest go first, possibly this request.
        while (_bytes + packet.Capacity > _maxBytes && _oldest is not null)
        {
            var victim = _oldest;
            Discard(victim);
            if (victim == request)
            {
                return false;
            }
        }

        request.Packets[index] = packet;
        request.Received++;
        request.Bytes += packet.Capacity;
        _bytes += packet.Capacity;
        PeakBytes = Math.Max(PeakBytes, _bytes);
        return true;
    }

    private void Discard(PendingRequest request)
    {
        Discarding?.Invoke(request);
        Remove(request);
    }

    private void Link(PendingRequest request)
    {
        request.Older = _newest;
        request.Newer = null;
        if (_newest is null)
        {
            _oldest = request;
        }
        else
        {
            _newest.Newer = request;
        }

        _newest = request;
    }

    private void Unlink(PendingRequest request)
    {
        if (request.Older is null)
        {
            _oldest = request.Newer;
        }
        else
        {
            request.Older.Newer = request.Newer;
        }

        if (request.Newer is null)
        {
            _newest = request.Older;
        }
        else
        {
            request.Newer.Older = request.Older;
        }

        request.Older = null;
        request.Newer = null;
    }
}
