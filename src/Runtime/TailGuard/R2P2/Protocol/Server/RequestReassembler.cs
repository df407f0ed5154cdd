using System;
using System.Buffers;
using System.Collections.Generic;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// Multi-packet requests being reassembled on one receive loop, keyed by (client address, rid) (docs/design/r2p2.md,
/// "The multi-packet request handshake"). The reference keeps them forever, unbounded; this table is bounded so that no
/// source can take what the others need (docs/security.md, "Admission and reassembly"):
/// <list type="bullet">
/// <item>each source (an IPv4 address or IPv6 /64, any port) holds at most <c>maxPendingPerSource</c> requests and
/// <c>maxBytesPerSource</c> bytes: beyond, its own oldest request goes;</item>
/// <item>all sources together hold at most <c>maxPending</c> requests and <c>maxBytes</c> bytes: beyond, the oldest
/// request of the heaviest source goes (the one with the most requests when the count is short, the most bytes when the
/// bytes are);</item>
/// <item>a request older than the timeout is discarded.</item>
/// </list>
/// The bytes count every packet buffer's whole capacity and every structure a request holds, including the bitmap sized
/// by the count its FIRST packet announces, so a forged count costs nothing the bounds do not see; the structures are
/// cleared only where they were filled. Reordering inside one request is tolerated; a duplicate index, an index >= N or
/// a LAST flag on the wrong index discards it. Every discarded request is reported to the <c>discarded</c> callback
/// (which must not throw) and counted in <see cref="Discards"/>. Not thread-safe: one receive loop owns it.
/// </summary>
public sealed class RequestReassembler
{
    private readonly Dictionary<ReassemblyKey, PendingRequest> _pending;
    private readonly Dictionary<SourceKey, SourceState> _sources;
    private readonly List<SourceState> _active = [];
    private readonly Stack<PendingRequest> _freeRequests;
    private readonly Stack<SourceState> _freeSources = new();
    private readonly int _maxPending;
    private readonly long _maxBytes;
    private readonly int _maxPendingPerSource;
    private readonly long _maxBytesPerSource;
    private readonly long _timeoutTicks;
    private readonly Action<ReassemblyKey>? _discarded;
    private PendingRequest? _oldest;
    private PendingRequest? _newest;
    private SourceState? _starting; // the source of a request being begun: kept even while it has nothing pending
    private long _bytes;

    /// <summary>Creates a reassembler whose bounds apply to all sources together only.</summary>
    /// <param name="maxPending">The most requests pending at once.</param>
    /// <param name="maxBytes">The most bytes pending requests may hold.</param>
    /// <param name="timeoutTicks">How long (in <see cref="System.Diagnostics.Stopwatch"/> ticks) an incomplete request is kept.</param>
    /// <param name="discarded">Told of each request discarded (expired, evicted or inconsistent); may be null; must not throw.</param>
    public RequestReassembler(int maxPending, long maxBytes, long timeoutTicks, Action<ReassemblyKey>? discarded = null)
        : this(maxPending, maxBytes, maxPending, maxBytes, timeoutTicks, discarded)
    {
    }

    /// <summary>Creates a reassembler with per-source bounds.</summary>
    /// <param name="maxPending">The most requests pending at once.</param>
    /// <param name="maxBytes">The most bytes pending requests may hold.</param>
    /// <param name="maxPendingPerSource">The most requests one source may have pending (at most <paramref name="maxPending"/>).</param>
    /// <param name="maxBytesPerSource">The most bytes one source's pending requests may hold (at most <paramref name="maxBytes"/>).</param>
    /// <param name="timeoutTicks">How long (in <see cref="System.Diagnostics.Stopwatch"/> ticks) an incomplete request is kept.</param>
    /// <param name="discarded">Told of each request discarded (expired, evicted or inconsistent); may be null; must not throw.</param>
    public RequestReassembler(int maxPending, long maxBytes, int maxPendingPerSource, long maxBytesPerSource, long timeoutTicks, Action<ReassemblyKey>? discarded = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPending, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPendingPerSource, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPendingPerSource, maxPending);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytesPerSource);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBytesPerSource, maxBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutTicks, 1);
        _maxPending = maxPending;
        _maxBytes = maxBytes;
        _maxPendingPerSource = maxPendingPerSource;
        _maxBytesPerSource = maxBytesPerSource;
        _timeoutTicks = timeoutTicks;
        _discarded = discarded;
        var initial = Math.Min(maxPending, 1024);
        _pending = new Dictionary<ReassemblyKey, PendingRequest>(initial);
        _sources = new Dictionary<SourceKey, SourceState>(initial);
        _freeRequests = new Stack<PendingRequest>(initial);
    }

    /// <summary>How many requests are pending.</summary>
    public int Count => _pending.Count;

    /// <summary>The bytes pending requests hold: their packet buffers' capacity and their own structures.</summary>
    public long Bytes => _bytes;

    /// <summary>The most bytes ever held at once (a test checks the bound held throughout, not only at the end).</summary>
    public long PeakBytes { get; private set; }

    /// <summary>How many requests were discarded since creation (expired, evicted or inconsistent).</summary>
    public long Discards { get; private set; }

    /// <summary>How many sources have requests pending.</summary>
    public int Sources => _active.Count;

    /// <summary>Whether a request is pending for <paramref name="key"/>.</summary>
    /// <param name="key">The RPC's identity.</param>
    /// <returns>Whether it is pending.</returns>
    public bool Contains(in ReassemblyKey key) => _pending.ContainsKey(key);

    /// <summary>How many requests one source (the host of <paramref name="client"/>, any port) has pending.</summary>
    /// <param name="client">An address of the source.</param>
    /// <returns>The count.</returns>
    public int PendingFrom(PacketAddress client) => _sources.TryGetValue(client.Source, out var source) ? source.Count : 0;

    /// <summary>
    /// Starts a request with its FIRST packet. True: the buffer now belongs to the reassembler. False: the bounds left
    /// no room even after evicting what they allow (the caller keeps the buffer).
    /// </summary>
    /// <param name="key">The RPC's identity; not pending already (check <see cref="Contains"/>).</param>
    /// <param name="expected">The packet count the FIRST packet announces (2 to 65535).</param>
    /// <param name="policy">The request's routing policy.</param>
    /// <param name="first">The FIRST packet.</param>
    /// <param name="now">The current time (the request's age counts from here).</param>
    /// <returns>Whether the request is pending now.</returns>
    public bool Begin(in ReassemblyKey key, int expected, RoutingPolicy policy, PacketBuffer first, long now)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentOutOfRangeException.ThrowIfLessThan(expected, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(expected, Fragmenter.MaxPackets);
        if (_pending.ContainsKey(key))
        {
            throw new InvalidOperationException($"A request is already pending for {key}.");
        }

        var heldWords = (expected + 63) >> 6;
        var heldLength = heldWords == 1 ? 1 : PooledLength(heldWords);
        var cost = first.Capacity + ((long)PendingRequest.InlinePackets * IntPtr.Size) + ((long)heldLength * sizeof(ulong));
        var source = SourceOf(key.Client.Source);
        _starting = source;
        var room = MakeRoom(source, null, 1, cost);
        _starting = null;
        if (!room)
        {
            ReleaseIfEmpty(source);
            return false;
        }

        var request = _freeRequests.Count > 0 ? _freeRequests.Pop() : new PendingRequest();
        request.Key = key;
        request.Source = source;
        request.Expected = expected;
        request.Received = 0;
        request.CreatedAt = now;
        request.Policy = policy;
        if (heldWords > request.InlineHeld.Length)
        {
            request.Held = ArrayPool<ulong>.Shared.Rent(heldLength);
            request.Held.AsSpan(0, heldWords).Clear(); // the shared pool may hold arrays others returned dirty
        }

        request.Bytes = 0;
        Link(request);
        _pending.Add(key, request);
        Charge(request, request.StructureBytes);
        Keep(request, 0, first);
        return true;
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

        if (index < 1 || index >= request.Expected || IsHeld(request, index) || isLast != (index == request.Expected - 1))
        {
            Discard(request);
            return ReassemblyResult.Discarded;
        }

        var growTo = request.Received == request.Arrived.Length ? PooledLength(Math.Min(request.Expected, request.Arrived.Length * 2)) : 0;
        var cost = packet.Capacity + (growTo == 0 ? 0 : (long)(growTo - request.Arrived.Length) * IntPtr.Size);
        if (!MakeRoom(request.Source, request, 0, cost))
        {
            return ReassemblyResult.Discarded; // making room for this packet evicted its own request
        }

        if (growTo != 0)
        {
            GrowArrived(request, growTo);
        }

        Keep(request, index, packet);
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

    /// <summary>The routing policy a pending request's FIRST packet named (what it is admitted and delivered with).</summary>
    /// <exception cref="InvalidOperationException">No request is pending for <paramref name="key"/>.</exception>
    internal RoutingPolicy PolicyOf(in ReassemblyKey key)
        => _pending.TryGetValue(key, out var request) ? request.Policy : throw new InvalidOperationException($"No request is pending for {key}.");

    /// <summary>Records who authenticated a pending request (authenticated mode): its continuations must name the same.</summary>
    internal void SetIdentity(in ReassemblyKey key, Security.R2P2Key? authenticatedBy, ulong callNonce)
    {
        var request = _pending[key];
        request.AuthenticatedBy = authenticatedBy;
        request.CallNonce = callNonce;
    }

    /// <summary>Who authenticated a pending request; false when none is pending for the key.</summary>
    internal bool TryGetIdentity(in ReassemblyKey key, out Security.R2P2Key? authenticatedBy, out ulong callNonce)
    {
        authenticatedBy = null;
        callNonce = 0;
        if (!_pending.TryGetValue(key, out var request))
        {
            return false;
        }

        authenticatedBy = request.AuthenticatedBy;
        callNonce = request.CallNonce;
        return true;
    }

    /// <summary>Forgets a pending request its owner refused, without counting it as discarded (its buffers go back).</summary>
    /// <param name="key">The RPC's identity.</param>
    /// <returns>Whether it was pending.</returns>
    public bool Remove(in ReassemblyKey key)
    {
        if (!_pending.TryGetValue(key, out var request))
        {
            return false;
        }

        Remove(request);
        return true;
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

    /// <summary>The length <see cref="ArrayPool{T}.Shared"/> rents for at least <paramref name="minimum"/> (a power of two from 16).</summary>
    private static int PooledLength(int minimum) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(minimum, 16));

    private static bool IsHeld(PendingRequest request, int index) => (request.Held[index >> 6] & (1UL << (index & 63))) != 0;

    private static int IndexOf(PacketBuffer packet) => (packet.Span[3] & R2P2Header.FlagFirst) != 0 ? 0 : (packet.Span[6] << 8) | packet.Span[7];

    /// <summary>Copies the payloads into index order: their lengths by index, then each at its offset (all N have arrived).</summary>
    private static byte[] Assemble(PendingRequest request, out int length)
    {
        var expected = request.Expected;
        var offsets = ArrayPool<int>.Shared.Rent(expected + 1);
        try
        {
            for (var i = 0; i < expected; i++)
            {
                var packet = request.Arrived[i]!;
                offsets[IndexOf(packet) + 1] = packet.Length - R2P2Header.Size;
            }

            offsets[0] = 0;
            for (var i = 1; i <= expected; i++)
            {
                offsets[i] += offsets[i - 1];
            }

            length = offsets[expected];
            var contiguous = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            for (var i = 0; i < expected; i++)
            {
                var packet = request.Arrived[i]!;
                packet.Span[R2P2Header.Size..].CopyTo(contiguous.AsSpan(offsets[IndexOf(packet)]));
            }

            return contiguous;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(offsets);
        }
    }

    private SourceState SourceOf(SourceKey key)
    {
        if (_sources.TryGetValue(key, out var source))
        {
            return source;
        }

        source = _freeSources.Count > 0 ? _freeSources.Pop() : new SourceState();
        source.Key = key;
        source.Count = 0;
        source.Bytes = 0;
        source.Slot = _active.Count;
        _active.Add(source);
        _sources.Add(key, source);
        return source;
    }

    private void ReleaseIfEmpty(SourceState source)
    {
        if (source.Count != 0 || source == _starting)
        {
            return;
        }

        // Swap-remove from the active list, which the heaviest-source scan walks.
        var last = _active[^1];
        _active[source.Slot] = last;
        last.Slot = source.Slot;
        _active.RemoveAt(_active.Count - 1);
        _sources.Remove(source.Key);
        if (_freeSources.Count < _maxPending)
        {
            _freeSources.Push(source);
        }
    }

    /// <summary>
    /// Evicts until <paramref name="source"/> may add <paramref name="count"/> requests and <paramref name="bytes"/>
    /// bytes: first its own oldest (its quota), then the oldest of the heaviest source (the shared bounds). False when
    /// <paramref name="request"/> itself went, or nothing is left to evict.
    /// </summary>
    private bool MakeRoom(SourceState source, PendingRequest? request, int count, long bytes)
    {
        while (source.Count + count > _maxPendingPerSource || source.Bytes + bytes > _maxBytesPerSource)
        {
            if (source.Oldest is not { } own)
            {
                return false;
            }

            Discard(own);
            if (own == request)
            {
                return false;
            }
        }

        while (_pending.Count + count > _maxPending || _bytes + bytes > _maxBytes)
        {
            var victim = Heaviest(byBytes: _bytes + bytes > _maxBytes)?.Oldest;
            if (victim is null)
            {
                return false;
            }

            Discard(victim);
            if (victim == request)
            {
                return false;
            }
        }

        return true;
    }

    private SourceState? Heaviest(bool byBytes)
    {
        SourceState? heaviest = null;
        foreach (var source in _active)
        {
            if (source.Count == 0)
            {
                continue;
            }

            if (heaviest is null || (byBytes ? source.Bytes > heaviest.Bytes : source.Count > heaviest.Count))
            {
                heaviest = source;
            }
        }

        return heaviest;
    }

    private void GrowArrived(PendingRequest request, int capacity)
    {
        var larger = ArrayPool<PacketBuffer?>.Shared.Rent(capacity);
        request.Arrived.AsSpan(0, request.Received).CopyTo(larger);
        ReturnArrived(request);
        Charge(request, ((long)larger.Length - request.Arrived.Length) * IntPtr.Size);
        request.Arrived = larger;
    }

    private void Keep(PendingRequest request, int index, PacketBuffer packet)
    {
        request.Arrived[request.Received++] = packet;
        request.Held[index >> 6] |= 1UL << (index & 63);
        Charge(request, packet.Capacity);
    }

    private void Charge(PendingRequest request, long bytes)
    {
        request.Bytes += bytes;
        request.Source.Bytes += bytes;
        _bytes += bytes;
        PeakBytes = Math.Max(PeakBytes, _bytes);
    }

    /// <summary>Forgets a request (delivered or discarded): its buffers go back, its structures are cleared where filled.</summary>
    private void Remove(PendingRequest request)
    {
        _pending.Remove(request.Key);
        Unlink(request);
        for (var i = 0; i < request.Received; i++)
        {
            var packet = request.Arrived[i]!;
            var index = IndexOf(packet);
            request.Held[index >> 6] = 0;
            request.Arrived[i] = null;
            packet.Return();
        }

        ReturnArrived(request);
        request.Arrived = request.InlineArrived;
        if (!ReferenceEquals(request.Held, request.InlineHeld))
        {
            ArrayPool<ulong>.Shared.Return(request.Held);
            request.Held = request.InlineHeld;
        }

        var source = request.Source;
        source.Bytes -= request.Bytes;
        _bytes -= request.Bytes;
        request.Bytes = 0;
        request.Received = 0;
        request.Source = null!;
        request.AuthenticatedBy = null;
        ReleaseIfEmpty(source);
        if (_freeRequests.Count < _maxPending)
        {
            _freeRequests.Push(request);
        }
    }

    private static void ReturnArrived(PendingRequest request)
    {
        if (!ReferenceEquals(request.Arrived, request.InlineArrived))
        {
            request.Arrived.AsSpan(0, request.Received).Clear();
            ArrayPool<PacketBuffer?>.Shared.Return(request.Arrived);
        }
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

        var source = request.Source;
        request.SourceOlder = source.Newest;
        request.SourceNewer = null;
        if (source.Newest is null)
        {
            source.Oldest = request;
        }
        else
        {
            source.Newest.SourceNewer = request;
        }

        source.Newest = request;
        source.Count++;
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

        var source = request.Source;
        if (request.SourceOlder is null)
        {
            source.Oldest = request.SourceNewer;
        }
        else
        {
            request.SourceOlder.SourceNewer = request.SourceNewer;
        }

        if (request.SourceNewer is null)
        {
            source.Newest = request.SourceOlder;
        }
        else
        {
            request.SourceNewer.SourceOlder = request.SourceOlder;
        }

        request.SourceOlder = null;
        request.SourceNewer = null;
        source.Count--;
    }
}
