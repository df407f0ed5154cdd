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

/// <summary>The call's one timer fired before the whole response arrived. R2P2 never retransmits: retry with a new call.</summary>
public sealed class R2P2TimeoutException : R2P2Exception
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
