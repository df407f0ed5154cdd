using System;
using System.Security.Cryptography;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// The rids of one client socket: a table of all 65536 rids mapping each in use to its call, the allocator that picks
/// the next, and a quarantine for rids whose call ended without its response (docs/security.md, "Request ids").
/// </summary>
/// <remarks>
/// <para>
/// The allocator walks a 16-bit counter from a random start and hands out a keyed permutation of it (a small Feistel
/// network with random round keys): every rid comes once per 65536 allocations, as with the reference's counter, but
/// neither the first rid nor the step from one rid to the next can be predicted by someone who does not see the
/// traffic. A rid in use or in quarantine is skipped, so no two calls in flight share a rid (docs/design/r2p2.md,
/// conformance case 12).
/// </para>
/// <para>
/// A quarantined rid stays out of use until a given time, so a response that arrives after its call timed out, was
/// cancelled or failed can never complete the call that would otherwise reuse the rid. The table costs 65536 entries
/// and 65536 quarantine stamps (about 0.8 MB) and allocates nothing afterwards. Not thread-safe.
/// </para>
/// </remarks>
/// <typeparam name="T">What a rid maps to (a call).</typeparam>
public sealed class RequestIdTable<T>
    where T : class
{
    private const int Size = 65536;

    // Quarantine ends are kept as 32-bit stamps of (time >> StampShift): about 1 ms with Stopwatch's 1 GHz on Linux,
    // 0.1 s with a 10 MHz clock, and compared wrap-safely, so quarantines up to 2^31 stamps long are exact enough.
    private const int StampShift = 20;

    private readonly T?[] _entries = new T?[Size];
    private readonly int[] _quarantineEnds = new int[Size];
    private readonly ulong[] _quarantined = new ulong[Size / 64];
    private readonly byte[] _roundKeys = new byte[4];
    private readonly byte[] _sbox = new byte[256];
    private ushort _counter;
    private int _quarantinedCount;
    private bool _exhausted;
    private int _exhaustedUntil;

    /// <summary>Creates a table whose rids start at a random point and follow a permutation keyed for this table alone.</summary>
    public RequestIdTable()
    {
        Span<byte> seed = stackalloc byte[2];
        RandomNumberGenerator.Fill(seed);
        RandomNumberGenerator.Fill(_roundKeys);
        for (var i = 0; i < _sbox.Length; i++)
        {
            _sbox[i] = (byte)i;
        }

        RandomNumberGenerator.Shuffle(_sbox.AsSpan());
        _counter = (ushort)(seed[0] | (seed[1] << 8));
    }

    /// <summary>How many rids are in use.</summary>
    public int Count { get; private set; }

    /// <summary>How many rids are quarantined (an upper bound: an expired quarantine is cleared when the allocator meets it).</summary>
    public int QuarantinedCount => _quarantinedCount;

    /// <summary>
    /// The rid the allocator tries next. Setting it moves the allocator to that rid (tests use it to reach a given rid
    /// without 65536 calls); the ones after it follow the permutation.
    /// </summary>
    public ushort NextRequestId
    {
        get => Permute(_counter);
        set => _counter = Unpermute(value);
    }

    /// <summary>The entry of a rid, or null when the rid is free or quarantined.</summary>
    /// <param name="requestId">The rid.</param>
    /// <returns>The entry.</returns>
    public T? this[ushort requestId] => _entries[requestId];

    /// <summary>Gives <paramref name="value"/> the next rid that is neither in use nor quarantined at <paramref name="now"/>.</summary>
    /// <param name="value">The entry.</param>
    /// <param name="now">The current time, on the clock of <see cref="Quarantine"/>'s ends.</param>
    /// <param name="requestId">The rid given.</param>
    /// <returns>False, and nothing changed, when every rid is in use or quarantined.</returns>
    public bool TryAdd(T value, long now, out ushort requestId)
    {
        ArgumentNullException.ThrowIfNull(value);
        requestId = 0;
        var nowStamp = Stamp(now);
        if (Count == Size || (_exhausted && nowStamp - _exhaustedUntil < 0))
        {
            return false; // nothing was freed since a full scan found no rid, and no quarantine it saw has ended
        }

        var earliestEnd = int.MaxValue;
        var haveEnd = false;
        for (var tried = 0; tried < Size; tried++)
        {
            var rid = Permute(_counter);
            unchecked
            {
                _counter++;
            }

            if (_entries[rid] is not null)
            {
                continue;
            }

            if (IsFlagged(rid))
            {
                var end = _quarantineEnds[rid];
                if (end - nowStamp > 0)
                {
                    if (!haveEnd || end - earliestEnd < 0)
                    {
                        earliestEnd = end;
                        haveEnd = true;
                    }

                    continue;
                }

                Unflag(rid);
            }

            _entries[rid] = value;
            Count++;
            _exhausted = false;
            requestId = rid;
            return true;
        }

        _exhausted = true;
        _exhaustedUntil = haveEnd ? earliestEnd : nowStamp + 1;
        return false;
    }

    /// <summary>Gives <paramref name="value"/> the next free rid (see <see cref="TryAdd"/>).</summary>
    /// <param name="value">The entry.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The rid.</returns>
    /// <exception cref="InvalidOperationException">Every rid is in use or quarantined.</exception>
    public ushort Add(T value, long now)
        => TryAdd(value, now, out var rid)
            ? rid
            : throw new InvalidOperationException($"No request id is free: {Count} in use and up to {_quarantinedCount} quarantined.");

    /// <summary>Frees a rid for reuse at once, if it still maps to <paramref name="expected"/> (a call that got its whole response).</summary>
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
        _exhausted = false;
        return true;
    }

    /// <summary>
    /// Frees a rid but keeps it out of use until <paramref name="until"/>, if it still maps to <paramref name="expected"/>
    /// (a call that ended without its response: a datagram for that rid may still be on its way).
    /// </summary>
    /// <param name="requestId">The rid.</param>
    /// <param name="expected">The entry the caller believes holds it.</param>
    /// <param name="until">When the rid may be handed out again (the clock of <see cref="TryAdd"/>).</param>
    /// <returns>Whether the rid was freed into quarantine.</returns>
    public bool Quarantine(ushort requestId, T expected, long until)
    {
        if (!ReferenceEquals(_entries[requestId], expected))
        {
            return false;
        }

        _entries[requestId] = null;
        Count--;
        _quarantineEnds[requestId] = Stamp(until) + 1; // rounded up: never shorter than asked
        if (!IsFlagged(requestId))
        {
            _quarantined[requestId >> 6] |= 1UL << (requestId & 63);
            _quarantinedCount++;
        }

        _exhausted = false; // its end may come before the one a failed scan waits for
        return true;
    }

    /// <summary>Whether <paramref name="requestId"/> is quarantined at <paramref name="now"/>.</summary>
    /// <param name="requestId">The rid.</param>
    /// <param name="now">The current time.</param>
    /// <returns>Whether it may not be handed out yet.</returns>
    public bool IsQuarantined(ushort requestId, long now) => IsFlagged(requestId) && _quarantineEnds[requestId] - Stamp(now) > 0;

    private static int Stamp(long time) => unchecked((int)(time >> StampShift));

    private bool IsFlagged(ushort rid) => (_quarantined[rid >> 6] & (1UL << (rid & 63))) != 0;

    private void Unflag(ushort rid)
    {
        _quarantined[rid >> 6] &= ~(1UL << (rid & 63));
        _quarantinedCount--;
    }

    // A 4-round Feistel network over the two bytes of the counter: a bijection on 16 bits whatever the keys, so the
    // allocator still visits every rid once per cycle. The round function is a random S-box lookup of the keyed half.
    private ushort Permute(ushort value)
    {
        int left = value >> 8, right = value & 0xFF;
        for (var round = 0; round < 4; round++)
        {
            (left, right) = (right, left ^ _sbox[(right + _roundKeys[round]) & 0xFF]);
        }

        return (ushort)((left << 8) | right);
    }

    private ushort Unpermute(ushort value)
    {
        int left = value >> 8, right = value & 0xFF;
        for (var round = 3; round >= 0; round--)
        {
            (left, right) = (right ^ _sbox[(left + _roundKeys[round]) & 0xFF], left);
        }

        return (ushort)((left << 8) | right);
    }
}
