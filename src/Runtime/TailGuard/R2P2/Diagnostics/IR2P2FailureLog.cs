using System;

namespace TailGuard.R2P2;

/// <summary>What failed while an R2P2 client, server or router kept running (<see cref="IR2P2FailureLog"/>).</summary>
public enum R2P2Failure
{
    /// <summary>A request handler threw (<see cref="IR2P2Handler.Handle"/>, or a deferred answer's payload writer).</summary>
    Handler,

    /// <summary>An admission policy threw (<see cref="IR2P2AdmissionPolicy"/>): a throwing admission refuses, a throwing release counts as released.</summary>
    AdmissionPolicy,

    /// <summary>
    /// A subscriber of <see cref="R2P2Server.HandlerFailed"/>, <see cref="R2P2Server.ReceiveLoopError"/>,
    /// <see cref="Routing.R2P2Router.ServerEvicted"/> or <see cref="Routing.R2P2Router.ReceiveLoopError"/> threw.
    /// </summary>
    EventSubscriber,

    /// <summary>Code a client's receive loop ran for a caller threw: a call's continuation resumed inline, or an <see cref="IR2P2CallCallback"/>.</summary>
    Continuation,

    /// <summary>Processing a datagram, a timer tick, a send or a receive failed unexpectedly (a defect, not bad input).</summary>
    ReceiveLoop,
}

/// <summary>
/// Where an R2P2 client, server or router reports a failure it survived: user code that threw (handlers, admission
/// policies, event subscribers, continuations) and defects in its own processing. None of them ends a receive loop;
/// each is counted (<see cref="R2P2ServerStatistics.CallbackFailures"/>, <see cref="R2P2ClientStatistics.CallbackFailures"/>,
/// <see cref="Routing.R2P2RouterStatistics.CallbackFailures"/>)
/// and then reported here. This is the logging seam: an adapter to <c>ILogger</c> (the hosting package) implements it.
/// </summary>
/// <remarks>
/// Called on the thread that saw the failure (a receive loop, or a thread answering a deferred response), possibly
/// often: a remote client can make a handler throw at line rate. Return quickly; rate-limit if you write to a slow
/// sink. An exception thrown from here is swallowed.
/// </remarks>
public interface IR2P2FailureLog
{
    /// <summary>Reports one failure.</summary>
    /// <param name="failure">What failed.</param>
    /// <param name="exception">What it threw.</param>
    void Report(R2P2Failure failure, Exception exception);
}
