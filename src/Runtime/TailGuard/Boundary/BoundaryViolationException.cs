using System;

namespace TailGuard.Boundary;

/// <summary>
/// A call across a trust boundary was refused: the frame, a buffer or a reply broke the contract. Nothing the call
/// would have produced is visible to the caller.
/// </summary>
public sealed class BoundaryViolationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">Why the call was refused.</param>
    /// <param name="message">What was wrong.</param>
    public BoundaryViolationException(CallStatus status, string message)
        : base(message) => Status = status;

    /// <summary>Creates the exception with a default message.</summary>
    public BoundaryViolationException()
        : this(CallStatus.MalformedReply, "A call across the trust boundary was refused.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong.</param>
    public BoundaryViolationException(string message)
        : this(CallStatus.MalformedReply, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The cause.</param>
    public BoundaryViolationException(string message, Exception innerException)
        : base(message, innerException) => Status = CallStatus.MalformedReply;

    /// <summary>Why the call was refused.</summary>
    public CallStatus Status { get; }
}
