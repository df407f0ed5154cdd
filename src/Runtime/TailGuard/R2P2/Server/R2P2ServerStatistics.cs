
namespace TailGuard.R2P2;

/// <summary>One server's counts (the same events the "TailGuard.R2P2" meter counts process-wide).</summary>
public sealed class R2P2ServerStatistics
{
    private StatisticCounter _requests;
    private StatisticCounter _responses;
    private StatisticCounter _drops;
    private StatisticCounter _malformed;
    private StatisticCounter _evictions;
    private StatisticCounter _acks;
    private StatisticCounter _feedbacks;
    private StatisticCounter _handlerFailures;
    private StatisticCounter _deferred;
    private StatisticCounter _expiredResponses;
    private StatisticCounter _lateResponses;
    private StatisticCounter _callbackFailures;
    private StatisticCounter _refusedAfterAck;
    private StatisticCounter _limitedResponses;
    private StatisticCounter _unauthenticated;

    internal R2P2ServerStatistics()
    {
    }

    /// <summary>Complete requests handed to the handler.</summary>
    public long Requests => _requests.Value;

    /// <summary>Responses sent.</summary>
    public long Responses => _responses.Value;

    /// <summary>Requests refused with DROP.</summary>
    public long Drops => _drops.Value;

    /// <summary>Datagrams dropped: bad header, unserved type or policy, oversized, orphan or duplicate packets.</summary>
    public long MalformedDatagrams => _malformed.Value;

    /// <summary>Pending reassemblies discarded: expired, evicted by a bound, or inconsistent (duplicate, out of range, count mismatch).</summary>
    public long ReassemblyEvictions => _evictions.Value;

    /// <summary>ACKs sent for multi-packet requests.</summary>
    public long Acks => _acks.Value;

    /// <summary>FEEDBACK messages sent to the router.</summary>
    public long Feedbacks => _feedbacks.Value;

    /// <summary>Handler calls that threw, and deferred answers whose payload writer threw; no response is sent for them (the client times out).</summary>
    public long HandlerFailures => _handlerFailures.Value;

    /// <summary>Requests whose handler deferred the response (<see cref="R2P2Request.Defer"/>).</summary>
    public long DeferredResponses => _deferred.Value;

    /// <summary>Deferred responses released unanswered: their <see cref="R2P2ServerOptions.ResponseTimeout"/> passed, or the server stopped.</summary>
    public long ExpiredResponses => _expiredResponses.Value;

    /// <summary>Answers to deferred requests that were ignored: a second answer, one after the deadline, or one after the server stopped.</summary>
    public long LateResponses => _lateResponses.Value;

    /// <summary>
    /// User callbacks other than handlers that threw and were survived: admission policies, subscribers of
    /// <see cref="R2P2Server.HandlerFailed"/> and <see cref="R2P2Server.ReceiveLoopError"/> (see <see cref="IR2P2FailureLog"/>).
    /// </summary>
    public long CallbackFailures => _callbackFailures.Value;

    /// <summary>Whole multi-packet requests the admission policy refused after their ACK: discarded without DROP (their calls time out).</summary>
    public long RefusedAfterAck => _refusedAfterAck.Value;

    /// <summary>Responses not sent because of <see cref="R2P2ServerOptions.ResponseLimits"/> (too large, or over a destination's rate).</summary>
    public long LimitedResponses => _limitedResponses.Value;

    /// <summary>
    /// In authenticated mode: request packets dropped because they carried no valid tag of a key in the ring, or a
    /// continuation named another key or call nonce than its request's FIRST packet.
    /// </summary>
    public long UnauthenticatedDatagrams => _unauthenticated.Value;

    internal void Request() => _requests.Increment(R2P2Metrics.ServerRequests);

    internal void Response() => _responses.Increment(R2P2Metrics.ServerResponses);

    internal void Drop() => _drops.Increment(R2P2Metrics.ServerDrops);

    internal void Malformed() => _malformed.Increment(R2P2Metrics.ServerMalformed);

    internal void Evictions(int count)
    {
        if (count > 0)
        {
            _evictions.Add(count, R2P2Metrics.ReassemblyEvictions);
        }
    }

    internal void Ack() => _acks.Increment();

    internal void Feedback() => _feedbacks.Increment();

    internal void HandlerFailure() => _handlerFailures.Increment();

    /// <summary>Counts a failure the server survived, where its kind is counted (see <see cref="FailureReporter"/>).</summary>
    internal void Failure(R2P2Failure failure)
    {
        switch (failure)
        {
            case R2P2Failure.Handler:
                HandlerFailure();
                break;
            case R2P2Failure.ReceiveLoop:
                Malformed(); // a defect while processing a datagram: counted with the datagrams dropped, as before
                break;
            default:
                _callbackFailures.Increment(R2P2Metrics.ServerCallbackFailures);
                break;
        }
    }

    internal void RefusalAfterAck() => _refusedAfterAck.Increment();

    internal void LimitedResponse() => _limitedResponses.Increment(R2P2Metrics.ServerLimitedResponses);

    internal void Unauthenticated() => _unauthenticated.Increment(R2P2Metrics.ServerUnauthenticated);

    internal void Deferral() => _deferred.Increment();

    internal void ExpiredResponse() => _expiredResponses.Increment(R2P2Metrics.ServerExpiredResponses);

    internal void LateResponse() => _lateResponses.Increment(R2P2Metrics.ServerLateResponses);
}
