namespace TailGuard.R2P2;

/// <summary>
/// The first byte of every response payload of a generated R2P2 service (see <c>docs/wire-format.md</c>).
/// Anything but <see cref="Ok"/> is an error response and carries nothing else.
/// </summary>
public enum R2P2ServiceStatus : byte
{
    /// <summary>The call ran; the result block follows.</summary>
    Ok = 0,

    /// <summary>The request payload was too short to hold a method id.</summary>
    MalformedRequest = 1,

    /// <summary>The server does not know the method id (an older server, or another service).</summary>
    UnknownMethod = 2,

    /// <summary>The argument block was truncated, held a length beyond the payload or a bound, or invalid UTF-8.</summary>
    MalformedArguments = 3,

    /// <summary>The implementation threw; its exception stays on the server.</summary>
    HandlerFailed = 4,

    /// <summary>The implementation returned a result its contract does not allow (a null or too long string).</summary>
    InvalidResult = 5,

    /// <summary>
    /// A replicated service refused a retried call without running it: the replicas no longer keep the caller's client
    /// session, so they cannot tell whether the call already ran (docs/replication.md, "Exactly-once effects").
    /// </summary>
    SessionExpired = 6,
}
