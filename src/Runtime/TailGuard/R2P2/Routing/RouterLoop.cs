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
/// <see cref="FeedbackPortWatch"/> what its port dropped and how far it has been read (<see cref="SamplePort"/>).
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
    private readonly long _dropReadInterval = Math.Max(1, Stopwatch.Frequency / 1000);
    private long _previousTick = FeedbackPortWatch.Never;
    private long _drainedSince = FeedbackPortWatch.Never;
    private long _nextDropRead;

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

    /// <summary>
    /// What the FEEDBACK port says this round (false: nothing to tell the watch). The round's receive began after the
    /// previous tick, so when it emptied the port everything that had reached the port by that tick has been read or
    /// dropped. The drop count is read at most once a millisecond, with the latest such bound: on UDP it is a system call,
    /// and a round of a request port that takes FEEDBACK too is one batch of requests. Reading it later only moves the
    /// loss it shows later, which excuses more silences, never fewer; judgments wait for the next read (about 1 ms).
    /// </summary>
    private bool SamplePort(long now, out long drops, out long drainedSince)
    {
        drops = 0;
        drainedSince = FeedbackPortWatch.Never;
        if (_watch is null)
        {
            return false;
        }

        if (Transport.LastReceiveEmptiedQueue)
        {
            _drainedSince = _previousTick;
        }

        _previousTick = now;
        if (now < _nextDropRead)
        {
            return false;
        }

        _nextDropRead = now + _dropReadInterval;
        drops = Transport.ReceiveQueueDrops;
        drainedSince = _drainedSince;
        return true;
    }

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
        var observed = SamplePort(now, out var drops, out var drainedSince);
        if (observed && !_routesRequests)
        {
            lock (_sync)
            {
                _watch!.Observe(drops, drainedSince, now);
            }
        }

        if (_routesRequests)
        {
            lock (_sync)
            {
                if (observed)
                {
                    _watch!.Observe(drops, drainedSince, now); // FEEDBACK on the request port: seen before its silences are judged
                }

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
