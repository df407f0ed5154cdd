using System;
using System.Diagnostics;

namespace TailGuard.R2P2.Routing;

/// <summary>One router's counts (the same events the "TailGuard.R2P2" meter counts process-wide as <c>tailguard.r2p2.router.*</c>).</summary>
public sealed class R2P2RouterStatistics
{
    private StatisticCounter _requests;
    private StatisticCounter _forwarded;
    private StatisticCounter _queued;
    private StatisticCounter _queueFullDrops;
    private StatisticCounter _queueTimeoutDrops;
    private StatisticCounter _noServerDrops;
    private StatisticCounter _outstandingLimitDrops;
    private StatisticCounter _feedbacks;
    private StatisticCounter _unknownFeedbacks;
    private StatisticCounter _unmatchedFeedbacks;
    private StatisticCounter _malformed;
    private StatisticCounter _reclaimedCredits;
    private StatisticCounter _evictions;
    private StatisticCounter _evictionsWithheld;
    private StatisticCounter _feedbackPortDrops;
    private StatisticCounter _callbackFailures;
    private StatisticCounter _forwardedFromQueue;
    private StatisticCounter _queueTicks;
    private StatisticCounter _feedbackTicks;

    internal R2P2RouterStatistics()
    {
    }

    /// <summary>Requests received to place: the first packet of each, LB or FIXED.</summary>
    public long Requests => _requests.Value;

    /// <summary>Requests forwarded to a server (at once or from the central queue).</summary>
    public long Forwarded => _forwarded.Value;

    /// <summary>Requests that found no free credit and waited in the central queue (JBSQ).</summary>
    public long Queued => _queued.Value;

    /// <summary>DROPs the router sent on the servers' behalf, for every reason below.</summary>
    public long Drops => QueueFullDrops + QueueTimeoutDrops + NoServerDrops + OutstandingLimitDrops;

    /// <summary>Requests refused because the central queue was full (<see cref="R2P2RouterOptions.QueueCapacity"/>).</summary>
    public long QueueFullDrops => _queueFullDrops.Value;

    /// <summary>Queued requests refused because they waited longer than <see cref="R2P2RouterOptions.QueueTimeout"/>.</summary>
    public long QueueTimeoutDrops => _queueTimeoutDrops.Value;

    /// <summary>Requests refused because no server could take them: none is a member, or the fixed server is gone.</summary>
    public long NoServerDrops => _noServerDrops.Value;

    /// <summary>Requests refused because the router already tracked <see cref="R2P2RouterOptions.MaxOutstanding"/> requests.</summary>
    public long OutstandingLimitDrops => _outstandingLimitDrops.Value;

    /// <summary>FEEDBACK messages that returned a credit.</summary>
    public long Feedbacks => _feedbacks.Value;

    /// <summary>FEEDBACK messages from an address that is not a server of this router (ignored; see <see cref="R2P2Router.LastUnknownFeedbackSource"/>).</summary>
    public long UnknownFeedbacks => _unknownFeedbacks.Value;

    /// <summary>FEEDBACK messages from a server for no request outstanding there: late (after their credit was reclaimed), repeated or forged (ignored).</summary>
    public long UnmatchedFeedbacks => _unmatchedFeedbacks.Value;

    /// <summary>Datagrams dropped: a bad header, a type or routing policy the router does not route, a continuation packet, a source of the other address family than the router's, FEEDBACK on the request port or a request on the FEEDBACK port.</summary>
    public long MalformedDatagrams => _malformed.Value;

    /// <summary>Credits taken back without FEEDBACK: the request got none within <see cref="R2P2RouterOptions.FeedbackTimeout"/>, or its server left or was evicted.</summary>
    public long ReclaimedCredits => _reclaimedCredits.Value;

    /// <summary>Servers taken out because they sent no FEEDBACK within <see cref="R2P2RouterOptions.FeedbackTimeout"/> of a request.</summary>
    public long Evictions => _evictions.Value;

    /// <summary>
    /// Times a server that sent no FEEDBACK within <see cref="R2P2RouterOptions.FeedbackTimeout"/> of a request was not
    /// evicted, because its silence was not seen whole: the FEEDBACK port dropped datagrams since that request left
    /// (<see cref="FeedbackPortDrops"/>; its FEEDBACK may have been among them), or the port still held datagrams that
    /// had arrived by the deadline one more FeedbackTimeout later. The credit was reclaimed all the same; a server that
    /// stays silent is evicted on a request it takes once the port loses nothing more (docs/router.md, "What FEEDBACK does").
    /// </summary>
    public long EvictionsWithheld => _evictionsWithheld.Value;

    /// <summary>
    /// Datagrams the FEEDBACK port (the request port when they share one) dropped because its receive queue was full, as
    /// the transport counts them (the kernel's SO_MEMINFO drop count for a UDP socket on Linux, the inbox overflow in
    /// memory), since the router started; 0 when its transport cannot tell. Servers' FEEDBACK may be among them.
    /// </summary>
    public long FeedbackPortDrops => _feedbackPortDrops.Value;

    /// <summary>
    /// Subscribers of <see cref="R2P2Router.ServerEvicted"/> and <see cref="R2P2Router.ReceiveLoopError"/> that threw;
    /// the router went on, and the other subscribers still ran (see <see cref="R2P2RouterOptions.FailureLog"/>).
    /// </summary>
    public long CallbackFailures => _callbackFailures.Value;

    /// <summary>Requests forwarded from the central queue after waiting there (JBSQ); <see cref="QueueTime"/> is their total wait.</summary>
    public long ForwardedFromQueue => _forwardedFromQueue.Value;

    /// <summary>
    /// The time the requests of <see cref="ForwardedFromQueue"/> waited in the central queue, added up: divided by it,
    /// the mean wait at the router (docs/router.md, "Where a request's time goes").
    /// </summary>
    public TimeSpan QueueTime => Stopwatch.GetElapsedTime(0, _queueTicks.Value);

    /// <summary>
    /// The time from forwarding each request to the FEEDBACK that returned its credit, added up over <see cref="Feedbacks"/>:
    /// divided by it, how long a credit stays away (the server's queue and service time plus the FEEDBACK's way back,
    /// including the router's own delay in reading it).
    /// </summary>
    public TimeSpan FeedbackTime => Stopwatch.GetElapsedTime(0, _feedbackTicks.Value);

    internal void Request() => _requests.Increment(R2P2Instruments.Shared.RouterRequests);

    internal void Forward() => _forwarded.Increment(R2P2Instruments.Shared.RouterForwarded);

    internal void Queue() => _queued.Increment();

    internal void Refuse(RefusalReason reason)
    {
        switch (reason)
        {
            case RefusalReason.QueueFull:
                _queueFullDrops.Increment();
                break;
            case RefusalReason.QueueTimeout:
                _queueTimeoutDrops.Increment();
                break;
            case RefusalReason.NoServer:
                _noServerDrops.Increment();
                break;
            default:
                _outstandingLimitDrops.Increment();
                break;
        }

        R2P2Instruments.Shared.RouterDrops.Add(1);
    }

    internal void Feedback(long ticksSinceForward)
    {
        _feedbackTicks.Add(ticksSinceForward);
        _feedbacks.Increment(R2P2Instruments.Shared.RouterFeedbacks);
    }

    internal void ForwardFromQueue(long ticksQueued)
    {
        _queueTicks.Add(ticksQueued);
        _forwardedFromQueue.Increment();
    }

    internal void UnknownFeedback() => _unknownFeedbacks.Increment(R2P2Instruments.Shared.RouterIgnoredFeedbacks);

    internal void UnmatchedFeedback() => _unmatchedFeedbacks.Increment(R2P2Instruments.Shared.RouterIgnoredFeedbacks);

    internal void Malformed() => _malformed.Increment(R2P2Instruments.Shared.RouterMalformed);

    internal void Reclaimed(int count)
    {
        if (count > 0)
        {
            _reclaimedCredits.Add(count, R2P2Instruments.Shared.RouterReclaimedCredits);
        }
    }

    internal void Eviction() => _evictions.Increment(R2P2Instruments.Shared.RouterEvictions);

    internal void EvictionWithheld() => _evictionsWithheld.Increment(R2P2Instruments.Shared.RouterEvictionsWithheld);

    internal void FeedbackPortDrop(long count) => _feedbackPortDrops.Add(count, R2P2Instruments.Shared.RouterFeedbackPortDrops);

    /// <summary>Counts a failure the router survived, where its kind is counted (see <see cref="FailureReporter"/>).</summary>
    internal void Failure(R2P2Failure failure)
    {
        if (failure == R2P2Failure.ReceiveLoop)
        {
            Malformed(); // a defect while processing a datagram: counted with the datagrams dropped, as the server does
        }
        else
        {
            _callbackFailures.Increment(R2P2Instruments.Shared.RouterCallbackFailures);
        }
    }
}
