using System.Threading;

namespace TailGuard.R2P2;

/// <summary>One server's counts (the same events the "TailGuard.R2P2" meter counts process-wide).</summary>
public sealed class R2P2ServerStatistics
{
    private long _requests;
    private long _responses;
    private long _drops;
    private long _malformed;
    private long _evictions;
    private long _acks;
    private long _feedbacks;
    private long _handlerFailures;
    private long _deferred;
    private long _expiredResponses;
    private long _lateResponses;
    private long _callbackFailures;
    private long _refusedAfterAck;
    private long _limitedResponses;
    private long _unauthenticated;

    internal R2P2ServerStatistics()
    {
    }

    /// <summary>Complete requests handed to the handler.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Responses sent.</summary>
    public long Responses => Interlocked.Read(ref _responses);

    /// <summary>Requests refused with DROP.</summary>
    public long Drops => Interlocked.Read(ref _drops);

    /// <summary>Datagrams dropped: bad header, unserved type or policy, oversized, orphan or duplicate packets.</summary>
    public long MalformedDatagrams => Interlocked.Read(ref _malformed);

    /// <summary>Pending reassemblies discarded: expired, evicted by a bound, or inconsistent (duplicate, out of range, count mismatch).</summary>
    public long ReassemblyEvictions => Interlocked.Read(ref _evictions);

    /// <summary>ACKs sent for multi-packet requests.</summary>
    public long Acks => Interlocked.Read(ref _acks);

    /// <summary>FEEDBACK messages sent to the router.</summary>
    public long Feedbacks => Interlocked.Read(ref _feedbacks);

    /// <summary>Handler calls that threw, and deferred answers whose payload writer threw; no response is sent for them (the client times out).</summary>
    public long HandlerFailures => Interlocked.Read(ref _handlerFailures);

    /// <summary>Requests whose handler deferred the response (<see cref="R2P2Request.Defer"/>).</summary>
    public long DeferredResponses => Interlocked.Read(ref _deferred);

    /// <summary>Deferred responses released unanswered: their <see cref="R2P2ServerOptions.ResponseTimeout"/> passed, or the server stopped.</summary>
    public long ExpiredResponses => Interlocked.Read(ref _expiredResponses);

    /// <summary>Answers to deferred requests that were ignored: a second answer, one after the deadline, or one after the server stopped.</summary>
    public long LateResponses => Interlocked.Read(ref _lateResponses);

    /// <summary>
    /// User callbacks other than handlers that threw and were survived: admission policies, subscribers of
    /// <see cref="R2P2Server.HandlerFailed"/> and <see cref="R2P2Server.ReceiveLoopError"/> (see <see cref="IR2P2FailureLog"/>).
    /// </summary>
    public long CallbackFailures => Interlocked.Read(ref _callbackFailures);

    /// <summary>Whole multi-packet requests the admission policy refused after their ACK: discarded without DROP (their calls time out).</summary>
    public long RefusedAfterAck => Interlocked.Read(ref _refusedAfterAck);

    /// <summary>Responses not sent because of <see cref="R2P2ServerOptions.ResponseLimits"/> (too large, or over a destination's rate).</summary>
    public long LimitedResponses => Interlocked.Read(ref _limitedResponses);

    /// <summary>
    /// In authenticated mode: request packets dropped because they carried no valid tag of a key in the ring, or a
    /// continuation named another key or call nonce than its request's FIRST packet.
    /// </summary>
    public long UnauthenticatedDatagrams => Interlocked.Read(ref _unauthenticated);

    internal void Request()
    {
        Interlocked.Increment(ref _requests);
        R2P2Metrics.ServerRequests.Add(1);
    }

    internal void Response()
    {
        Interlocked.Increment(ref _responses);
        R2P2Metrics.ServerResponses.Add(1);
    }

    internal void Drop()
    {
        Interlocked.Increment(ref _drops);
        R2P2Metrics.ServerDrops.Add(1);
    }

    internal void Malformed()
    {
        Interlocked.Increment(ref _malformed);
        R2P2Metrics.ServerMalformed.Add(1);
    }

    internal void Evictions(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _evictions, count);
            R2P2Metrics.ReassemblyEvictions.Add(count);
        }
    }

    internal void Ack() => Interlocked.Increment(ref _acks);

    internal void Feedback() => Interlocked.Increment(ref _feedbacks);

    internal void HandlerFailure() => Interlocked.Increment(ref _handlerFailures);

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
                Interlocked.Increment(ref _callbackFailures);
                R2P2Metrics.ServerCallbackFailures.Add(1);
                break;
        }
    }

    internal void RefusalAfterAck() => Interlocked.Increment(ref _refusedAfterAck);

    internal void LimitedResponse()
    {
        Interlocked.Increment(ref _limitedResponses);
        R2P2Metrics.ServerLimitedResponses.Add(1);
    }

    internal void Unauthenticated()
    {
        Interlocked.Increment(ref _unauthenticated);
        R2P2Metrics.ServerUnauthenticated.Add(1);
    }

    internal void Deferral() => Interlocked.Increment(ref _deferred);

    internal void ExpiredResponse()
    {
        Interlocked.Increment(ref _expiredResponses);
        R2P2Metrics.ServerExpiredResponses.Add(1);
    }

    internal void LateResponse()
    {
        Interlocked.Increment(ref _lateResponses);
        R2P2Metrics.ServerLateResponses.Add(1);
    }
}
