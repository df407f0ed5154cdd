using System;
using System.Collections.Generic;
using System.Diagnostics;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// The router role on one <see cref="ReceiveLoop"/>: the request port's loop (requests; and FEEDBACK too when it shares
/// the port) or the FEEDBACK port's loop. Each datagram is checked here, then handed to the
/// <see cref="RouterScheduler"/> of its source's address family (<see cref="RouterPools"/>) under the router's lock; what it decides is sent after each batch, outside the lock.
/// The request loop also runs the timers (credit reclaim, eviction, queue expiry). The loop that takes FEEDBACK tells the
/// <see cref="FeedbackPortWatch"/> after each round what its port dropped and whether the round's receive emptied it.
/// </summary>
internal sealed class RouterLoop : IReceiveLoopHandler, IDisposable
{
    private readonly R2P2Router _router;
    private readonly RouterPools _pools;
    private readonly object _sync;
    private readonly R2P2RouterStatistics _statistics;
    private readonly RouterOutput _output;
    private readonly bool _routesRequests;
    private readonly bool _takesFeedback;
    private readonly List<PacketAddress> _evicted = [];
    private readonly ReceiveLoop _loop;
    private readonly FeedbackPortWatch? _watch;
    private long _previousTick = FeedbackPortWatch.Never;

    // watch: for the loop that takes FEEDBACK, when its transport watches its receive queue; ignored by the other loop.
    public RouterLoop(R2P2Router router, RouterPools pools, object sync, R2P2RouterStatistics statistics, PacketTransport transport, RouterOutput output, bool routesRequests, bool takesFeedback, ReceiveLoopOptions options, FeedbackPortWatch? watch = null)
    {
        _watch = takesFeedback ? watch : null;
        _router = router;
        _pools = pools;
        _sync = sync;
        _statistics = statistics;
        _output = output;
        _routesRequests = routesRequests;
        _takesFeedback = takesFeedback;
        _loop = new ReceiveLoop(transport, this, options);
    }

    public PacketTransport Transport => _loop.Transport;

    public long AllocatedBytes => _loop.AllocatedBytes;

    public long Iterations => _loop.Iterations;

    public void Start() => _loop.Start();

    public void Stop() => _loop.Stop();

    public void Dispose() => _loop.Dispose();

    public bool OnPacket(ReceiveLoop receiveLoop, PacketBuffer packet)
    {
        if (R2P2Header.TryRead(packet.Span, out var header) != HeaderStatus.Valid)
        {
            _statistics.Malformed();
            return false;
        }

        if (_routesRequests && header.Type == MessageType.Request)
        {
            // Only a request's first packet comes through a router; the rest go to the server that ACKed (case 7). A client
            // of a family the router does not serve cannot be forwarded by destination rewrite.
            if (!header.IsFirst || header.Policy is not (RoutingPolicy.LoadBalanced or RoutingPolicy.Fixed) || _pools.For(packet.Address) is not { } pool)
            {
                _statistics.Malformed();
                return false;
            }

            lock (_sync)
            {
                pool.OnRequest(packet, header.Policy, header.RequestId, Stopwatch.GetTimestamp(), _output);
            }

            return true; // forwarded, queued or turned into a DROP: the scheduler has it
        }

        if (_takesFeedback && header.Type == MessageType.Feedback && ControlMessages.TryReadFeedback(packet.Span, out var requestId, out var client))
        {
            lock (_sync)
            {
                _pools.OnFeedback(packet.Address, requestId, client, Stopwatch.GetTimestamp(), _output);
            }

            return false;
        }

        _statistics.Malformed();
        return false;
    }

    public long OnTick(ReceiveLoop receiveLoop, long now)
    {
        var next = long.MaxValue;
        var drops = 0L;
        var emptiedSince = FeedbackPortWatch.Never;
        if (_watch is not null)
        {
            // The round's receive began after the previous tick: if it emptied the port, everything that had reached the
            // port by that tick has been read (or dropped, and the count read after it says so).
            emptiedSince = Transport.LastReceiveEmptiedQueue ? _previousTick : FeedbackPortWatch.Never;
            drops = Transport.ReceiveQueueDrops;
            _previousTick = now;
            if (!_routesRequests)
            {
                lock (_sync)
                {
                    _watch.Observe(drops, emptiedSince, now);
                }
            }
        }

        if (_routesRequests)
        {
            lock (_sync)
            {
                _watch?.Observe(drops, emptiedSince, now); // FEEDBACK on the request port: seen before its silences are judged
                next = _pools.Expire(now, _output);
                if (_pools.HasEvicted)
                {
                    _pools.TakeEvicted(_evicted);
                }
            }
        }

        _output.Flush();
        if (_evicted.Count > 0)
        {
            foreach (var server in _evicted)
            {
                _router.ReportEviction(server);
            }

            _evicted.Clear();
        }

        return next;
    }

    public void OnError(ReceiveLoop receiveLoop, Exception exception)
    {
        _router.ReportReceiveLoopError(exception);
    }

    public void OnStopping(ReceiveLoop receiveLoop)
    {
        if (_routesRequests)
        {
            lock (_sync)
            {
                _pools.Clear(_output);
            }
        }

        _output.Flush();
    }
}
