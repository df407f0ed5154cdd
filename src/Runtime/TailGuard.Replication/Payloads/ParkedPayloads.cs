using System;
using System.Collections.Generic;
using TailGuard.R2P2;

namespace TailGuard.Replication.Payloads;

/// <summary>
/// The "unordered" table of HovercRaft (docs/replication.md, "Parking and joining"): every replica keeps the request
/// payloads it received from clients, keyed by <see cref="RequestKey"/>, with the deferred response handle that lets it
/// answer if it becomes the request's replier, until the ordered log entry for the key is applied. Bounded in count
/// (the oldest is evicted) and in age: a payload older than the timeout is dropped unless an entry in the replica's log
/// that it has not applied yet names it (the caller says which, see <see cref="Expire"/>), so a write ordered long
/// before it commits keeps its payload somewhere. A replica that lost a payload recovers it from a peer, so eviction
/// costs time, never correctness, while one replica holding the entry kept it. Thread-safe.
/// </summary>
internal sealed class ParkedPayloads
{
    private readonly object _sync = new();
    private readonly Dictionary<RequestKey, LinkedListNode<Parked>> _byKey = new();
    private readonly LinkedList<Parked> _byAge = new();
    private readonly int _capacity;
    private readonly long _timeoutTicks;
    private long _evicted;
    private long _expired;
    private long _kept;

    public ParkedPayloads(int capacity, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _timeoutTicks = (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    }

    public int Count
    {
        get
        {
            lock (_sync)
            {
                return _byKey.Count;
            }
        }
    }

    public long Evicted => System.Threading.Interlocked.Read(ref _evicted);

    public long Expired => System.Threading.Interlocked.Read(ref _expired);

    /// <summary>Payloads found past the timeout but kept for another one, because an unapplied entry named them.</summary>
    public long Kept => System.Threading.Interlocked.Read(ref _kept);

    public bool IsFull
    {
        get
        {
            lock (_sync)
            {
                return _byKey.Count >= _capacity;
            }
        }
    }

    /// <summary>
    /// Parks a payload; false when the key is parked already (a duplicate datagram keeps the first copy).
    /// <paramref name="ordered"/>: this replica, as leader, ordered the request when it arrived (see <see cref="Unordered"/>).
    /// </summary>
    public bool TryPark(RequestKey key, byte[] payload, ulong hash, R2P2ResponseHandle handle, long now, bool ordered = false)
    {
        lock (_sync)
        {
            if (_byKey.TryGetValue(key, out var existing))
            {
                if (!IsStale(existing.Value, now))
                {
                    return false;
                }

                // A stale payload under a reused rid: the new request replaces it.
                Remove(existing);
            }

            while (_byKey.Count >= _capacity)
            {
                Remove(_byAge.First!);
                _evicted++;
            }

            var node = _byAge.AddLast(new Parked(key, payload, hash, handle, now, ordered));
            _byKey.Add(key, node);
            return true;
        }
    }

    /// <summary>
    /// Takes the entry for <paramref name="key"/>: the payload only when its hash is <paramref name="hash"/> (else null:
    /// recover it), and the response handle either way (the client at that key is the one to answer).
    /// </summary>
    public bool TryTake(RequestKey key, ulong hash, out byte[]? payload, out R2P2ResponseHandle handle)
    {
        lock (_sync)
        {
            if (!_byKey.TryGetValue(key, out var node))
            {
                payload = null;
                handle = default;
                return false;
            }

            Remove(node);
            payload = node.Value.Hash == hash ? node.Value.Payload : null;
            handle = node.Value.Handle;
            return true;
        }
    }

    /// <summary>The payload parked at <paramref name="key"/> with hash <paramref name="hash"/>, left in place (a peer's recovery).</summary>
    public byte[]? Find(RequestKey key, ulong hash)
    {
        lock (_sync)
        {
            return _byKey.TryGetValue(key, out var node) && node.Value.Hash == hash ? node.Value.Payload : null;
        }
    }

    /// <summary>Takes every parked payload <paramref name="settled"/> (asked under the table's lock) says no entry needs any more.</summary>
    public void TakeSettled(Func<RequestKey, byte[], bool> settled)
    {
        lock (_sync)
        {
            var node = _byAge.First;
            while (node is not null)
            {
                var next = node.Next;
                if (settled(node.Value.Key, node.Value.Payload))
                {
                    Remove(node);
                }

                node = next;
            }
        }
    }

    /// <summary>
    /// The keys and hashes of the payloads this replica parked without ordering them, oldest first: what a new leader
    /// orders unless its log names them already (docs/replication.md, "Failure behaviour").
    /// </summary>
    public List<(RequestKey Key, ulong Hash)> Unordered()
    {
        lock (_sync)
        {
            var unordered = new List<(RequestKey, ulong)>(_byKey.Count);
            foreach (var parked in _byAge)
            {
                if (!parked.Ordered)
                {
                    unordered.Add((parked.Key, parked.Hash));
                }
            }

            return unordered;
        }
    }

    /// <summary>Whether a payload is parked for longer than the timeout (an <see cref="Expire"/> pass has work).</summary>
    public bool HasStale(long now)
    {
        lock (_sync)
        {
            return _byAge.First is { } oldest && IsStale(oldest.Value, now);
        }
    }

    /// <summary>
    /// Drops payloads parked for longer than the timeout at <paramref name="now"/>, except those whose key
    /// <paramref name="named"/> holds (an entry this replica has not applied names them): those are kept for another
    /// timeout, after which the next pass asks again. Their handles expire in the server.
    /// </summary>
    public void Expire(long now, IReadOnlySet<RequestKey> named)
    {
        lock (_sync)
        {
            while (_byAge.First is { } oldest && IsStale(oldest.Value, now))
            {
                if (named.Contains(oldest.Value.Key))
                {
                    _byAge.RemoveFirst();
                    oldest.Value = oldest.Value with { ParkedAt = now };
                    _byAge.AddLast(oldest);
                    _kept++;
                }
                else
                {
                    Remove(oldest);
                    _expired++;
                }
            }
        }
    }

    private bool IsStale(in Parked parked, long now) => now - parked.ParkedAt >= _timeoutTicks;

    private void Remove(LinkedListNode<Parked> node)
    {
        _byKey.Remove(node.Value.Key);
        _byAge.Remove(node);
    }

    private readonly record struct Parked(RequestKey Key, byte[] Payload, ulong Hash, R2P2ResponseHandle Handle, long ParkedAt, bool Ordered);
}
