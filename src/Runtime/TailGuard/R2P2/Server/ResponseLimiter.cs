using System;
using System.Collections.Generic;
using System.Diagnostics;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>
/// Enforces <see cref="ResponseLimits"/>: the size of each response, and a token bucket of response bytes per destination
/// (an IPv4 address or IPv6 /64). Shared by a server's loops and by threads answering deferred responses (one short lock
/// per response). The destinations remembered are bounded; the oldest is forgotten first (its bucket starts full again).
/// </summary>
internal sealed class ResponseLimiter
{
    private readonly object _sync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private readonly ResponseLimits _limits;
    private readonly Dictionary<SourceKey, Bucket> _buckets;
    private readonly SourceKey[] _order;
    private readonly long _burst;
    private readonly double _bytesPerTick;
    private int _next;

    public ResponseLimiter(ResponseLimits limits)
    {
        _limits = limits;
        _burst = limits.BurstBytesPerDestination > 0 ? limits.BurstBytesPerDestination : limits.BytesPerSecondPerDestination;
        _bytesPerTick = limits.BytesPerSecondPerDestination / (double)Stopwatch.Frequency;
        var capacity = limits.BytesPerSecondPerDestination > 0 ? limits.MaxDestinations : 0;
        _buckets = new Dictionary<SourceKey, Bucket>(capacity);
        _order = new SourceKey[capacity];
    }

    /// <summary>Whether a response of <paramref name="payloadBytes"/> in <paramref name="packets"/> packets may go to <paramref name="destination"/> now (and takes its bytes).</summary>
    public bool TryTake(PacketAddress destination, int payloadBytes, int packets, bool acknowledged, long now)
    {
        if (acknowledged && _limits.ExemptAcknowledgedRequests)
        {
            return true;
        }

        if (_limits.MaxResponseBytes > 0 && payloadBytes > _limits.MaxResponseBytes)
        {
            return false;
        }

        if (_limits.BytesPerSecondPerDestination == 0)
        {
            return true;
        }

        var cost = payloadBytes + ((long)packets * R2P2Header.Size);
        var key = destination.Source;
        lock (_sync)
        {
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                if (_buckets.Count == _order.Length)
                {
                    _buckets.Remove(_order[_next]); // forget the destination remembered longest
                }

                _order[_next] = key;
                _next = (_next + 1) % _order.Length;
                bucket = new Bucket(_burst, now);
            }

            var tokens = Math.Min(_burst, bucket.Tokens + (long)((now - bucket.Refilled) * _bytesPerTick));
            var refilled = tokens == _burst ? now : bucket.Refilled + (long)((tokens - bucket.Tokens) / _bytesPerTick);
            var allowed = tokens >= cost;
            _buckets[key] = new Bucket(allowed ? tokens - cost : tokens, refilled);
            return allowed;
        }
    }

    private readonly record struct Bucket(long Tokens, long Refilled);
}
