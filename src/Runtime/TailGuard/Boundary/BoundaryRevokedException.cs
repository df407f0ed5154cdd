using System;

namespace TailGuard.Boundary;

/// <summary>
/// The shared region or the domain itself was revoked before or during the call (B10), or the domain has stopped
/// serving for good because its private memory was taken away (<see cref="CallStatus.Stopped"/>). The call has no result
/// and no output buffer was written; the domain cannot be called again through this proxy.
/// </summary>
public sealed class BoundaryRevokedException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public BoundaryRevokedException()
        : base("The trust domain or its shared region was revoked.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was revoked.</param>
    public BoundaryRevokedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was revoked.</param>
    /// <param name="innerException">The monitor's error.</param>
    public BoundaryRevokedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
