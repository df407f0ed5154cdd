
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
    private StatisticCounter _replayed;

    internal R2P2ServerStatistics(R2P2Instruments instruments)
    {
        Instruments = instruments;
    }

    /// <summary>The instruments these counts are mirrored into (the options' meter factory's, or the shared ones).</summary>
    internal R2P2Instruments Instruments { get; }

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

    /// <summary>
    /// In authenticated mode: request packets dropped as replays, their tag valid but their call nonce already taken or
    /// older than the key's replay window (<see cref="R2P2ServerOptions.ReplayWindow"/>); their handler did not run.
    /// </summary>
    public long ReplayedDatagrams => _replayed.Value;

    internal void Request() => _requests.Increment(Instruments.ServerRequests);

    internal void Response() => _responses.Increment(Instruments.ServerResponses);

    internal void Drop() => _drops.Increment(Instruments.ServerDrops);

    internal void Malformed() => _malformed.Increment(Instruments.ServerMalformed);

    internal void Evictions(int count)
    {
        if (count > 0)
        {
            _evictions.Add(count, Instruments.ReassemblyEvictions);
        }
    }

    internal void Ack() => _acks.Increment();

    internal void Feedback() => _feedbacks.Increment();

    internal void HandlerFailure() => _handlerFailures.Increment(Instruments.ServerHandlerFailures);

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
                _callbackFailures.Increment(Instruments.ServerCallbackFailures);
                break;
        }
    }

    internal void RefusalAfterAck() => _refusedAfterAck.Increment();

    internal void LimitedResponse() => _limitedResponses.Increment(Instruments.ServerLimitedResponses);

    internal void Unauthenticated() => _unauthenticated.Increment(Instruments.ServerUnauthenticated);

    internal void Replayed() => _replayed.Increment(Instruments.ServerReplayed);

    internal void Deferral() => _deferred.Increment();

    internal void ExpiredResponse() => _expiredResponses.Increment(Instruments.ServerExpiredResponses);

    internal void LateResponse() => _lateResponses.Increment(Instruments.ServerLateResponses);
}
