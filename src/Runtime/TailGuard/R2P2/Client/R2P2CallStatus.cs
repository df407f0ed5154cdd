namespace TailGuard.R2P2;

/// <summary>How a call made with a callback ended (<see cref="R2P2CallCompletion.Status"/>). Each ends a call exactly once.</summary>
public enum R2P2CallStatus
{
    /// <summary>The whole response arrived: <see cref="R2P2CallCompletion.Payload"/> holds it.</summary>
    Completed,

    /// <summary>The call's one timer fired first (as <see cref="R2P2TimeoutException"/> for an awaited call). R2P2 never retransmits.</summary>
    TimedOut,

    /// <summary>The server refused the request with DROP; its handler did not run, so a retry elsewhere is safe.</summary>
    Dropped,

    /// <summary>The response was malformed: out of order, duplicated, inconsistent, or before the ACK.</summary>
    MalformedResponse,

    /// <summary>The request could not be sent (the transport refused it).</summary>
    SendFailed,

    /// <summary>The client was disposed while the call was in flight.</summary>
    ClientDisposed,

    /// <summary>
    /// The call's timer fired while the client's receive loop was blocked inside code it ran inline (a callback, or an
    /// awaiting continuation with <see cref="R2P2ClientOptions.RunContinuationsAsynchronously"/> off): see
    /// <see cref="R2P2ReceiveLoopBlockedException"/>.
    /// </summary>
    ReceiveLoopBlocked,
}
