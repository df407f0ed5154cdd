using System;
using System.Buffers;
using System.Collections.Generic;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// Multi-packet requests being reassembled on one receive loop, keyed by (client address, rid) (docs/design/r2p2.md,
/// "The multi-packet request handshake"). Bounded: at most <c>maxPending</c> requests and <c>maxBytes</c> of held
/// buffer capacity (the oldest request is evicted to make room), and a request older than the timeout is discarded.
/// The reference keeps them forever, unbounded; this is deliberate. Reordering inside one request is tolerated; a
/// duplicate index, an index >= N or a count mismatch discards it. Every discarded request is reported to the
/// <c>discarded</c> callback (so an admission it held can be released) and counted in <see cref="Discards"/>.
/// Not thread-safe: one receive loop owns it.
/// </summary>
public sealed class RequestReassembler
{
    private readonly Dictionary<ReassemblyKey, PendingRequest> _pending;
    private readonly Stack<PendingRequest> _free;
    private readonly int _maxPending;
    private readonly long _maxBytes;
    private readonly long _timeoutTicks;
    private readonly Action<ReassemblyKey>? _discarded;
    private PendingRequest? _oldest;
    private PendingRequest? _newest;
    private long _bytes;

    /// <summary>Creates a reassembler.</summary>
    /// <param name="maxPending">The most requests pending at once.</param>
    /// <param name="maxBytes">The most buffer capacity pending requests may hold.</param>
    /// <param name="timeoutTicks">How long (in <see cref="System.Diagnostics.Stopwatch"/> ticks) an incomplete request is kept.</param>
    /// <param name="discarded">Told of each request discarded (expired, evicted or inconsistent); may be null.</param>
    public RequestReassembler(int maxPending, long maxBytes, long timeoutTicks, Action<ReassemblyKey>? discarded = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPending, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutTicks, 1);
        _maxPending = maxPending;
        _maxBytes = maxBytes;
        _timeoutTicks = timeoutTicks;
        _discarded = discarded;
        _pending = new Dictionary<ReassemblyKey, PendingRequest>(maxPending);
        _free = new Stack<PendingRequest>(maxPending);
    }

    /// <summary>How many requests are pending.</summary>
    public int Count => _pending.Count;

    /// <summary>The buffer capacity pending requests hold.</summary>
    public long Bytes => _bytes;

    /// <summary>The most bytes ever held at once (a test checks the bound held throughout, not only at the end).</summary>
    public long PeakBytes { get; private set; }

    /// <summary>How many requests were discarded since creation (expired, evicted or inconsistent).</summary>
    public long Discards { get; private set; }

    /// <summary>Whether a request is pending for <paramref name="key"/>.</summary>
    /// <param name="key">The RPC's identity.</param>
    /// <returns>Whether it is pending.</returns>
    public bool Contains(in ReassemblyKey key) => _pending.ContainsKey(key);

    /// <summary>
    /// Starts a request with its FIRST packet. True: the buffer now belongs to the reassembler. False: the byte bound
    /// left no room even after evicting everything older (the request was discarded; the caller keeps the buffer).
    /// </summary>
    /// <param name="key">The RPC's identity; not pending already (check <see cref="Contains"/>).</param>
    /// <param name="expected">The packet count the FIRST packet announces (at least 2).</param>
    /// <param name="policy">The request's routing policy.</param>
    /// <param name="first">The FIRST packet.</param>
    /// <param name="now">The current time (the request's age counts from here).</param>
    /// <returns>Whether the request is pending now.</returns>
    public bool Begin(in ReassemblyKey key, int expected, RoutingPolicy policy, PacketBuffer first, long now)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentOutOfRangeException.ThrowIfLessThan(expected, 2);
        if (_pending.ContainsKey(key))
        {
            throw new InvalidOperationException($"A request is already pending for {key}.");
        }

        while (_pending.Count >= _maxPending && _oldest is not null)
        {
            Discard(_oldest);
        }

        var request = _free.Count > 0 ? _free.Pop() : new PendingRequest();

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

    /// <summary>Adds packet <paramref name="index"/> (1..N-1); on <see cref="ReassemblyResult.Stored"/> or Complete the buffer belongs to the reassembler.</summary>
    /// <param name="key">The RPC's identity.</param>
    /// <param name="index">The packet's index (its packet order field).</param>
    /// <param name="isLast">Whether the packet carries the LAST flag.</param>
    /// <param name="packet">The packet.</param>
    /// <returns>What happened to the request.</returns>
    public ReassemblyResult Add(in ReassemblyKey key, int index, bool isLast, PacketBuffer packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (!_pending.TryGetValue(key, out var request))
        {
            return ReassemblyResult.Orphan;
        }

        if (index < 1 || index >= request.Expected || Held(request, index) || isLast != (index == request.Expected - 1))
        {
            Discard(request);
            return ReassemblyResult.Discarded;
        }

        if (!Store(request, index, packet))
        {
            // Making room for this packet evicted its own request (it was the oldest and the byte bound is reached).
            return ReassemblyResult.Discarded;
        }

        return request.Received == request.Expected ? ReassemblyResult.Complete : ReassemblyResult.Stored;
    }

    /// <summary>
    /// Takes a complete request: copies its payloads, in index order, into one contiguous array rented from
    /// <see cref="ArrayPool{T}.Shared"/> (the caller returns it), and forgets the request (its buffers go back).
    /// </summary>
    /// <param name="key">The RPC's identity, after <see cref="Add"/> returned <see cref="ReassemblyResult.Complete"/>.</param>
    /// <param name="length">The payload length.</param>
    /// <param name="policy">The request's routing policy.</param>
    /// <returns>The rented array holding the payload in its first <paramref name="length"/> bytes.</returns>
    /// <exception cref="InvalidOperationException">No complete request is pending for <paramref name="key"/>.</exception>
    public byte[] TakeAssembled(in ReassemblyKey key, out int length, out RoutingPolicy policy)
    {
        if (!_pending.TryGetValue(key, out var request) || request.Received != request.Expected)
        {
            throw new InvalidOperationException($"No complete request is pending for {key}.");
        }

        var contiguous = Assemble(request, out length);
        policy = request.Policy;
        Remove(request);
        return contiguous;
    }

    /// <summary>Discards requests older than the timeout.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>How many were discarded.</returns>
    public int Expire(long now)
    {
        var discarded = 0;
        while (_oldest is { } oldest && now - oldest.CreatedAt >= _timeoutTicks)
        {
            Discard(oldest);
            discarded++;
        }

        return discarded;
    }

    /// <summary>Discards everything (the loop is stopping).</summary>
    public void Clear()
    {
        while (_oldest is { } oldest)
        {
            Discard(oldest);
        }
    }

    private static bool Held(PendingRequest request, int index) => index < request.Packets.Length && request.Packets[index] is not null;

    private static byte[] Assemble(PendingRequest request, out int length)
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
    private void Remove(PendingRequest request)
    {
        _pending.Remove(request.Key);
        Unlink(request);
        var held = Math.Min(request.Expected, request.Packets.Length);
        for (var i = 0; i < held; i++)
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

        if (index >= request.Packets.Length)
        {
            // Grown as packets arrive, not to the announced count: a FIRST announcing 65535 packets costs nothing lasting.
            Array.Resize(ref request.Packets, Math.Min(request.Expected, Math.Max(index + 1, request.Packets.Length * 2)));
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
        var key = request.Key;
        Remove(request);
        Discards++;
        _discarded?.Invoke(key);
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
