using System;

namespace TailGuard.R2P2;

/// <summary>A generated R2P2 service answered a call with an error response (see <see cref="R2P2ServiceStatus"/>).</summary>
public sealed class R2P2ServiceException : R2P2Exception
{
    /// <summary>Creates the exception for a status.</summary>
    /// <param name="status">The status the server answered with.</param>
    public R2P2ServiceException(R2P2ServiceStatus status)
        : base("The R2P2 service answered with the error status " + StatusName(status) + ".") => Status = status;

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public R2P2ServiceException(string message)
        : base(message) => Status = R2P2ServiceStatus.HandlerFailed;

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public R2P2ServiceException(string message, Exception innerException)
        : base(message, innerException) => Status = R2P2ServiceStatus.HandlerFailed;

    /// <summary>Creates the exception.</summary>
    public R2P2ServiceException()
        : this(R2P2ServiceStatus.HandlerFailed)
    {
    }

    /// <summary>The status the server answered with.</summary>
    public R2P2ServiceStatus Status { get; }

    // Enum.ToString of an undefined value would print a number anyway; naming it keeps messages stable.
    private static string StatusName(R2P2ServiceStatus status) => status switch
    {
        R2P2ServiceStatus.Ok => nameof(R2P2ServiceStatus.Ok),
        R2P2ServiceStatus.MalformedRequest => nameof(R2P2ServiceStatus.MalformedRequest),
        R2P2ServiceStatus.UnknownMethod => nameof(R2P2ServiceStatus.UnknownMethod),
        R2P2ServiceStatus.MalformedArguments => nameof(R2P2ServiceStatus.MalformedArguments),
        R2P2ServiceStatus.HandlerFailed => nameof(R2P2ServiceStatus.HandlerFailed),
        R2P2ServiceStatus.InvalidResult => nameof(R2P2ServiceStatus.InvalidResult),
        R2P2ServiceStatus.SessionExpired => nameof(R2P2ServiceStatus.SessionExpired),
        _ => "0x" + ((byte)status).ToString("X2", System.Globalization.CultureInfo.InvariantCulture),
    };
}
