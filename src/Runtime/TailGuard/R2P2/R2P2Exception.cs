using System;

namespace TailGuard.R2P2;

/// <summary>The base of every error an R2P2 call can end with.</summary>
public class R2P2Exception : Exception
{
    /// <summary>Creates the exception.</summary>
    public R2P2Exception()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public R2P2Exception(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public R2P2Exception(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The call's one timer fired before the whole response arrived. R2P2 never retransmits: retry with a new call. A
/// call the client's watchdog ended because its receive loop was blocked is a timeout too (its timer had fired): it
/// ends with the derived <see cref="R2P2ReceiveLoopBlockedException"/>, which a <c>catch (R2P2TimeoutException)</c> also
/// catches.
/// </summary>
public class R2P2TimeoutException : R2P2Exception
{
    /// <summary>Creates the exception.</summary>
    public R2P2TimeoutException()
        : base("The R2P2 call timed out before its response arrived.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public R2P2TimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public R2P2TimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The server refused the request with DROP (admission control); the handler did not run. Safe to retry elsewhere.</summary>
public sealed class R2P2DroppedException : R2P2Exception
{
    /// <summary>Creates the exception.</summary>
    public R2P2DroppedException()
        : base("The R2P2 server refused the request (DROP).")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public R2P2DroppedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public R2P2DroppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The response was malformed (bad header, out-of-order or inconsistent packets); the call failed once.</summary>
public sealed class R2P2MalformedResponseException : R2P2Exception
{
    /// <summary>Creates the exception.</summary>
    public R2P2MalformedResponseException()
        : base("The R2P2 response was malformed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public R2P2MalformedResponseException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public R2P2MalformedResponseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The call's timer fired while the client's receive loop was blocked inside code it ran inline: an awaiting
/// continuation (with <see cref="R2P2ClientOptions.RunContinuationsAsynchronously"/> off) or a call callback that
/// blocks, for instance by waiting synchronously for another call, which only that loop can complete. The client's
/// watchdog noticed that the loop had made no progress, ended the calls whose timers had fired with this error (so the
/// blocked code sees an error instead of waiting for ever), and counted it in
/// <see cref="R2P2ClientStatistics.BlockedLoopDetections"/>. Fix the code: never block after <c>await</c> on a client
/// whose continuations run inline, or let them run on the thread pool (the default). docs/r2p2.md, "Inline continuations".
/// It derives from <see cref="R2P2TimeoutException"/>: the watchdog ends only calls whose timers fired, so code that
/// handles timeouts handles this one without knowing about it.
/// </summary>
public sealed class R2P2ReceiveLoopBlockedException : R2P2TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public R2P2ReceiveLoopBlockedException()
        : base("The R2P2 call timed out while the client's receive loop was blocked by code it ran inline (an awaiting continuation with RunContinuationsAsynchronously = false, or a call callback): that code blocks the only thread that completes calls. Do not block after awaiting a call on such a client, or let continuations run asynchronously (the default).")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public R2P2ReceiveLoopBlockedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public R2P2ReceiveLoopBlockedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
