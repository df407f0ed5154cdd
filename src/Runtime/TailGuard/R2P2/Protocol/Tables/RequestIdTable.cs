using System;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// The rids of one client socket: a table of all 65536 rids mapping each in use to its call, and the allocator that picks
/// the next. Allocation follows the reference client (a 16-bit counter starting at 1, wrapping) but skips rids still in
/// use, so no two calls in flight share a rid (docs/design/r2p2.md, "The multi-packet request handshake"; conformance
/// case 12). Not thread-safe; allocation-free.
/// </summary>
/// <typeparam name="T">What a rid maps to (a call).</typeparam>
public sealed class RequestIdTable<T>
    where T : class
{
    private const int Size = 65536;
    private readonly T?[] _entries = new T?[Size];
    private ushort _next = 1;

    /// <summary>How many rids are in use.</summary>
    public int Count { get; private set; }

    /// <summary>The rid the counter tries next (tests set it to reach the wrap-around without 65536 calls).</summary>
    public ushort NextRequestId
    {
        get => _next;
        set => _next = value;
    }

    /// <summary>The entry of a rid, or null when the rid is free.</summary>
    /// <param name="requestId">The rid.</param>
    /// <returns>The entry.</returns>
    public T? this[ushort requestId] => _entries[requestId];

    /// <summary>Gives <paramref name="value"/> the next free rid.</summary>
    /// <param name="value">The entry.</param>
    /// <returns>The rid.</returns>
    /// <exception cref="InvalidOperationException">All 65536 rids are in use.</exception>
    public ushort Add(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (Count == Size)
        {
            throw new InvalidOperationException("All 65536 request ids are in use.");
        }

        while (true)
        {
            var rid = _next;
            unchecked
            {
                _next++;
            }

            if (_entries[rid] is null)
            {
                _entries[rid] = value;
                Count++;
                return rid;
            }
        }
    }

    /// <summary>Frees a rid, if it still maps to <paramref name="expected"/>.</summary>
    /// <param name="requestId">The rid.</param>
    /// <param name="expected">The entry the caller believes holds it (a stale caller frees nothing).</param>
    /// <returns>Whether the rid was freed.</returns>
    public bool Remove(ushort requestId, T expected)
    {
        if (!ReferenceEquals(_entries[requestId], expected))
        {
            return false;
        }

        _entries[requestId] = null;
        Count--;
        return true;
    }
}
