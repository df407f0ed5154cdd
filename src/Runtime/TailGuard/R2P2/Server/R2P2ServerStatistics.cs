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

    /// <summary>Handler calls that threw; no response is sent for them (the client times out).</summary>
    public long HandlerFailures => Interlocked.Read(ref _handlerFailures);

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

    internal void Eviction()
    {
        Interlocked.Increment(ref _evictions);
        R2P2Metrics.ReassemblyEvictions.Add(1);
    }

    internal void Ack() => Interlocked.Increment(ref _acks);

    internal void Feedback() => Interlocked.Increment(ref _feedbacks);

    internal void HandlerFailure() => Interlocked.Increment(ref _handlerFailures);
}
