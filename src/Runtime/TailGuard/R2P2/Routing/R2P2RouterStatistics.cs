using System.Threading;

namespace TailGuard.R2P2.Routing;

/// <summary>One router's counts (the same events the "TailGuard.R2P2" meter counts process-wide as <c>tailguard.r2p2.router.*</c>).</summary>
public sealed class R2P2RouterStatistics
{
    private long _requests;
    private long _forwarded;
    private long _queued;
    private long _queueFullDrops;
    private long _queueTimeoutDrops;
    private long _noServerDrops;
    private long _outstandingLimitDrops;
    private long _feedbacks;
    private long _unknownFeedbacks;
    private long _unmatchedFeedbacks;
    private long _malformed;
    private long _reclaimedCredits;
    private long _evictions;

    internal R2P2RouterStatistics()
    {
    }

    /// <summary>Requests received to place: the first packet of each, LB or FIXED.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests forwarded to a server (at once or from the central queue).</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Requests that found no free credit and waited in the central queue (JBSQ).</summary>
    public long Queued => Interlocked.Read(ref _queued);

    /// <summary>DROPs the router sent on the servers' behalf, for every reason below.</summary>
    public long Drops => QueueFullDrops + QueueTimeoutDrops + NoServerDrops + OutstandingLimitDrops;

    /// <summary>Requests refused because the central queue was full (<see cref="R2P2RouterOptions.QueueCapacity"/>).</summary>
    public long QueueFullDrops => Interlocked.Read(ref _queueFullDrops);

    /// <summary>Queued requests refused because they waited longer than <see cref="R2P2RouterOptions.QueueTimeout"/>.</summary>
    public long QueueTimeoutDrops => Interlocked.Read(ref _queueTimeoutDrops);

    /// <summary>Requests refused because no server could take them: none is a member, or the fixed server is gone.</summary>
    public long NoServerDrops => Interlocked.Read(ref _noServerDrops);

    /// <summary>Requests refused because the router already tracked <see cref="R2P2RouterOptions.MaxOutstanding"/> requests.</summary>
    public long OutstandingLimitDrops => Interlocked.Read(ref _outstandingLimitDrops);

    /// <summary>FEEDBACK messages that returned a credit.</summary>
    public long Feedbacks => Interlocked.Read(ref _feedbacks);

    /// <summary>FEEDBACK messages from an address that is not a server of this router (ignored; see <see cref="R2P2Router.LastUnknownFeedbackSource"/>).</summary>
    public long UnknownFeedbacks => Interlocked.Read(ref _unknownFeedbacks);

    /// <summary>FEEDBACK messages from a server for no request outstanding there: late (after their credit was reclaimed), repeated or forged (ignored).</summary>
    public long UnmatchedFeedbacks => Interlocked.Read(ref _unmatchedFeedbacks);

    /// <summary>Datagrams dropped: a bad header, a type or routing policy the router does not route, a continuation packet, an IPv6 source, FEEDBACK on the request port or a request on the FEEDBACK port.</summary>
    public long MalformedDatagrams => Interlocked.Read(ref _malformed);

    /// <summary>Credits taken back without FEEDBACK: the request got none within <see cref="R2P2RouterOptions.FeedbackTimeout"/>, or its server left or was evicted.</summary>
    public long ReclaimedCredits => Interlocked.Read(ref _reclaimedCredits);

    /// <summary>Servers taken out because they sent no FEEDBACK within <see cref="R2P2RouterOptions.FeedbackTimeout"/> of a request.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    internal void Request()
    {
        Interlocked.Increment(ref _requests);
        R2P2Metrics.RouterRequests.Add(1);
    }

    internal void Forward()
    {
        Interlocked.Increment(ref _forwarded);
        R2P2Metrics.RouterForwarded.Add(1);
    }

    internal void Queue() => Interlocked.Increment(ref _queued);

    internal void Refuse(RefusalReason reason)
    {
        switch (reason)
        {
            case RefusalReason.QueueFull:
                Interlocked.Increment(ref _queueFullDrops);
                break;
            case RefusalReason.QueueTimeout:
                Interlocked.Increment(ref _queueTimeoutDrops);
                break;
            case RefusalReason.NoServer:
                Interlocked.Increment(ref _noServerDrops);
                break;
            default:
                Interlocked.Increment(ref _outstandingLimitDrops);
                break;
        }

        R2P2Metrics.RouterDrops.Add(1);
    }

    internal void Feedback()
    {
        Interlocked.Increment(ref _feedbacks);
        R2P2Metrics.RouterFeedbacks.Add(1);
    }

    internal void UnknownFeedback()
    {
        Interlocked.Increment(ref _unknownFeedbacks);
        R2P2Metrics.RouterIgnoredFeedbacks.Add(1);
    }

    internal void UnmatchedFeedback()
    {
        Interlocked.Increment(ref _unmatchedFeedbacks);
        R2P2Metrics.RouterIgnoredFeedbacks.Add(1);
    }

    internal void Malformed()
    {
        Interlocked.Increment(ref _malformed);
        R2P2Metrics.RouterMalformed.Add(1);
    }

    internal void Reclaimed(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _reclaimedCredits, count);
            R2P2Metrics.RouterReclaimedCredits.Add(count);
        }
    }

    internal void Eviction()
    {
        Interlocked.Increment(ref _evictions);
        R2P2Metrics.RouterEvictions.Add(1);
    }
}
