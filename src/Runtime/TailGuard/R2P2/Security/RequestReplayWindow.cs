using System;
using System.Numerics;

namespace TailGuard.R2P2.Security;

/// <summary>
/// A server's memory of one key's call nonces (docs/security.md, "Replayed requests"): a floor, at or below which every
/// nonce is refused, and the most recent nonces above it, each accepted once. A new nonce is remembered; when the
/// memory is full the oldest one is forgotten and becomes the floor, so calls may arrive out of order by up to
/// <c>capacity</c> calls (an IPsec/DTLS anti-replay window counted in calls: a client's nonces are times, not dense).
/// Fixed memory (8 bytes a nonce), 0 B per request, thread-safe (the server's receive loops share it).
/// </summary>
internal sealed class RequestReplayWindow
{
    private readonly ulong[] _recent; // sorted ascending from _head, a ring of _count
    private readonly int _capacity;
    private readonly int _mask;
    private ulong _floor;
    private int _head;
    private int _count;

    /// <summary>Creates an empty window.</summary>
    /// <param name="capacity">How many nonces above the floor it remembers.</param>
    /// <param name="floor">Nonces at or below it are refused from the start (a call older than the server's memory).</param>
    public RequestReplayWindow(int capacity, ulong floor)
    {
        _capacity = capacity;
        _recent = new ulong[BitOperations.RoundUpToPowerOf2((uint)capacity)];
        _mask = _recent.Length - 1;
        _floor = floor;
    }

    /// <summary>Takes a call nonce once: false when it is at or below the floor or already taken.</summary>
    public bool TryAccept(ulong nonce)
    {
        lock (_recent)
        {
            if (nonce <= _floor)
            {
                return false;
            }

            var at = LowerBound(nonce);
            if (at < _count && _recent[(_head + at) & _mask] == nonce)
            {
                return false;
            }

            if (_count == _capacity)
            {
                if (at == 0)
                {
                    _floor = nonce; // older than everything remembered: taken, and forgotten at once
                    return true;
                }

                _floor = Math.Max(_floor, _recent[_head]); // the floor may have passed it (above)
                _head = (_head + 1) & _mask;
                _count--;
                at--;
            }

            // Nonces mostly grow, so this moves nothing: a new nonce goes at the end.
            for (var i = _count; i > at; i--)
            {
                _recent[(_head + i) & _mask] = _recent[(_head + i - 1) & _mask];
            }

            _recent[(_head + at) & _mask] = nonce;
            _count++;
            return true;
        }
    }

    /// <summary>The first position whose nonce is not below <paramref name="nonce"/>.</summary>
    private int LowerBound(ulong nonce)
    {
        int low = 0, high = _count;
        if (high > 0 && _recent[(_head + high - 1) & _mask] < nonce)
        {
            return high; // the usual case: newer than all
        }

        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (_recent[(_head + middle) & _mask] < nonce)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
