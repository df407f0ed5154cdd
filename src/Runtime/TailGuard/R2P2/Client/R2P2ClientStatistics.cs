using System.Threading;

namespace TailGuard.R2P2;

/// <summary>One client's counts (the same events the "TailGuard.R2P2" meter counts process-wide).</summary>
public sealed class R2P2ClientStatistics
{
    private long _requests;
    private long _responses;
    private long _timeouts;
    private long _drops;
    private long _malformedResponses;
    private long _malformedDatagrams;
    private long _cancellations;
    private long _refusals;
    private long _forged;
    private long _callbackFailures;
    private long _blockedLoopDetections;

    internal R2P2ClientStatistics()
    {
    }

    /// <summary>Calls started.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Calls that ended with a response.</summary>
    public long Responses => Interlocked.Read(ref _responses);

    /// <summary>Calls whose timer fired (<see cref="R2P2TimeoutException"/>, or <see cref="R2P2ReceiveLoopBlockedException"/> when the loop was blocked).</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    /// <summary>Calls that ended with <see cref="R2P2DroppedException"/>.</summary>
    public long Drops => Interlocked.Read(ref _drops);

    /// <summary>Calls that ended with <see cref="R2P2MalformedResponseException"/>.</summary>
    public long MalformedResponses => Interlocked.Read(ref _malformedResponses);

    /// <summary>Datagrams dropped without touching a call: bad header, unknown or finished rid, unexpected type.</summary>
    public long MalformedDatagrams => Interlocked.Read(ref _malformedDatagrams);

    /// <summary>Calls that ended cancelled.</summary>
    public long Cancellations => Interlocked.Read(ref _cancellations);

    /// <summary>Calls not started because <see cref="R2P2ClientOptions.MaxInFlight"/> calls were in flight, or no request id was free (a <c>TryCall</c> returned false, or <c>CallAsync</c> threw).</summary>
    public long InFlightLimitRefusals => Interlocked.Read(ref _refusals);

    /// <summary>
    /// Datagrams for a call in flight that did not come from who may answer it (<see cref="ResponseSources"/>; in
    /// authenticated mode, a tag that did not verify): dropped, and the call went on.
    /// </summary>
    public long ForgedDatagrams => Interlocked.Read(ref _forged);

    /// <summary>
    /// Caller code the receive loop ran that threw: a continuation resumed inline, or an <see cref="IR2P2CallCallback"/>
    /// (each of those also raised as <see cref="R2P2Client.CallbackFailed"/>); the loop went on (see <see cref="IR2P2FailureLog"/>).
    /// </summary>
    public long CallbackFailures => Interlocked.Read(ref _callbackFailures);

    /// <summary>
    /// Times the watchdog found the receive loop blocked inside code it ran inline, and ended the calls whose timers had
    /// fired with <see cref="R2P2ReceiveLoopBlockedException"/> (or <see cref="R2P2CallStatus.ReceiveLoopBlocked"/>).
    /// Those calls count in <see cref="Timeouts"/> too.
    /// </summary>
    public long BlockedLoopDetections => Interlocked.Read(ref _blockedLoopDetections);

    internal void Request()
    {
        Interlocked.Increment(ref _requests);
        R2P2Metrics.ClientRequests.Add(1);
    }

    internal void Response()
    {
        Interlocked.Increment(ref _responses);
        R2P2Metrics.ClientResponses.Add(1);
    }

    internal void Timeout()
    {
        Interlocked.Increment(ref _timeouts);
        R2P2Metrics.ClientTimeouts.Add(1);
    }

    internal void Drop()
    {
        Interlocked.Increment(ref _drops);
        R2P2Metrics.ClientDrops.Add(1);
    }

    internal void MalformedResponse()
    {
        Interlocked.Increment(ref _malformedResponses);
        R2P2Metrics.ClientMalformed.Add(1);
    }

    internal void MalformedDatagram()
    {
        Interlocked.Increment(ref _malformedDatagrams);
        R2P2Metrics.ClientMalformed.Add(1);
    }

    internal void Cancellation() => Interlocked.Increment(ref _cancellations);

    internal void Refusal() => Interlocked.Increment(ref _refusals);

    internal void BlockedLoopDetection() => Interlocked.Increment(ref _blockedLoopDetections);

    internal void Forged()
    {
        Interlocked.Increment(ref _forged);
        R2P2Metrics.ClientForged.Add(1);
    }

    /// <summary>Counts a failure the client survived (see <see cref="FailureReporter"/>).</summary>
    internal void Failure(R2P2Failure failure)
    {
        if (failure == R2P2Failure.ReceiveLoop)
        {
            MalformedDatagram(); // a defect while processing a datagram: counted with the datagrams dropped, as before
            return;
        }

        Interlocked.Increment(ref _callbackFailures);
        R2P2Metrics.ClientCallbackFailures.Add(1);
    }
}
