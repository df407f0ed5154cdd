namespace TailGuard.R2P2;

/// <summary>
/// Receives the end of calls started with <see cref="R2P2Client.TryCall{TState}(in TState, R2P2PayloadWriter{TState}, IR2P2CallCallback, object?, RoutingPolicy, System.TimeSpan?)"/>:
/// one object for any number of calls (each call carries its own state), so a call needs no task, no continuation and
/// no exception, and allocates nothing. What an open-loop load generator wants.
/// </summary>
/// <remarks>
/// The callback runs exactly once per call: on the client's receive loop thread for a response, a DROP, a malformed
/// response or a timeout; on the thread disposing the client for <see cref="R2P2CallStatus.ClientDisposed"/>; on the
/// calling thread, before <c>TryCall</c> returns, for <see cref="R2P2CallStatus.SendFailed"/>; on the client's watchdog
/// for <see cref="R2P2CallStatus.ReceiveLoopBlocked"/>. Make it quick and never block in it: while it runs, the loop
/// receives nothing (a callback blocked for longer than a call's timeout is reported, see
/// <see cref="R2P2ReceiveLoopBlockedException"/>). An exception it throws is counted in
/// <see cref="R2P2ClientStatistics.CallbackFailures"/>, raised as <see cref="R2P2Client.CallbackFailed"/>, and the
/// client goes on.
/// </remarks>
public interface IR2P2CallCallback
{
    /// <summary>A call ended.</summary>
    /// <param name="completion">How it ended, and the response payload, valid only until this method returns.</param>
    void OnCallCompleted(in R2P2CallCompletion completion);
}
