
namespace TailGuard.R2P2;

/// <summary>One client's counts (the same events the "TailGuard.R2P2" meter counts process-wide).</summary>
public sealed class R2P2ClientStatistics
{
    private StatisticCounter _requests;
    private StatisticCounter _responses;
    private StatisticCounter _timeouts;
    private StatisticCounter _drops;
    private StatisticCounter _malformedResponses;
    private StatisticCounter _malformedDatagrams;
    private StatisticCounter _cancellations;
    private StatisticCounter _refusals;
    private StatisticCounter _forged;
    private StatisticCounter _callbackFailures;
    private StatisticCounter _blockedLoopDetections;

    internal R2P2ClientStatistics()
    {
    }

    /// <summary>Calls started.</summary>
    public long Requests => _requests.Value;

    /// <summary>Calls that ended with a response.</summary>
    public long Responses => _responses.Value;

    /// <summary>Calls whose timer fired (<see cref="R2P2TimeoutException"/>, or <see cref="R2P2ReceiveLoopBlockedException"/> when the loop was blocked).</summary>
    public long Timeouts => _timeouts.Value;

    /// <summary>Calls that ended with <see cref="R2P2DroppedException"/>.</summary>
    public long Drops => _drops.Value;

    /// <summary>Calls that ended with <see cref="R2P2MalformedResponseException"/>.</summary>
    public long MalformedResponses => _malformedResponses.Value;

    /// <summary>Datagrams dropped without touching a call: bad header, unknown or finished rid, unexpected type.</summary>
    public long MalformedDatagrams => _malformedDatagrams.Value;

    /// <summary>Calls that ended cancelled.</summary>
    public long Cancellations => _cancellations.Value;

    /// <summary>Calls not started because <see cref="R2P2ClientOptions.MaxInFlight"/> calls were in flight, or no request id was free (a <c>TryCall</c> returned false, or <c>CallAsync</c> threw).</summary>
    public long InFlightLimitRefusals => _refusals.Value;

    /// <summary>
    /// Datagrams for a call in flight that did not come from who may answer it (<see cref="ResponseSources"/>; in
    /// authenticated mode, a tag that did not verify): dropped, and the call went on.
    /// </summary>
    public long ForgedDatagrams => _forged.Value;

    /// <summary>
    /// Caller code the receive loop ran that threw: a continuation resumed inline, or an <see cref="IR2P2CallCallback"/>
    /// (each of those also raised as <see cref="R2P2Client.CallbackFailed"/>); the loop went on (see <see cref="IR2P2FailureLog"/>).
    /// </summary>
    public long CallbackFailures => _callbackFailures.Value;

    /// <summary>
    /// Times the watchdog found the receive loop blocked inside code it ran inline, and ended the calls whose timers had
    /// fired with <see cref="R2P2ReceiveLoopBlockedException"/> (or <see cref="R2P2CallStatus.ReceiveLoopBlocked"/>).
    /// Those calls count in <see cref="Timeouts"/> too.
    /// </summary>
    public long BlockedLoopDetections => _blockedLoopDetections.Value;

    internal void Request() => _requests.Increment(R2P2Metrics.ClientRequests);

    // Response, Drop, MalformedResponse and Forged are counted by the receive loop alone (R2P2Client.OnPacket): no
    // locked instruction per response. The others are counted from callers' threads or the watchdog too.
    internal void Response() => _responses.IncrementByOwner(R2P2Metrics.ClientResponses);

    internal void Timeout() => _timeouts.Increment(R2P2Metrics.ClientTimeouts);

    internal void Drop() => _drops.IncrementByOwner(R2P2Metrics.ClientDrops);

    internal void MalformedResponse() => _malformedResponses.IncrementByOwner(R2P2Metrics.ClientMalformed);

    internal void MalformedDatagram() => _malformedDatagrams.Increment(R2P2Metrics.ClientMalformed);

    internal void Cancellation() => _cancellations.Increment();

    internal void Refusal() => _refusals.Increment();

    internal void BlockedLoopDetection() => _blockedLoopDetections.Increment();

    internal void Forged() => _forged.IncrementByOwner(R2P2Metrics.ClientForged);

    /// <summary>Counts a failure the client survived (see <see cref="FailureReporter"/>).</summary>
    internal void Failure(R2P2Failure failure)
    {
        if (failure == R2P2Failure.ReceiveLoop)
        {
            MalformedDatagram(); // a defect while processing a datagram: counted with the datagrams dropped, as before
            return;
        }

        _callbackFailures.Increment(R2P2Metrics.ClientCallbackFailures);
    }
}
