namespace TailGuard.R2P2;

/// <summary>
/// How a client call or a server's handling of a request ended: the <c>outcome</c> tag of the duration histograms and
/// spans (docs/hosting.md, "Metrics"). The service statuses apply to generated services, whose response starts with an
/// <see cref="R2P2ServiceStatus"/>.
/// </summary>
internal enum R2P2Outcome
{
    /// <summary>Answered (a generated service: with status Ok).</summary>
    Ok,

    /// <summary>Client: the call's timer fired.</summary>
    Timeout,

    /// <summary>Client: the server refused the request with DROP.</summary>
    Dropped,

    /// <summary>Client: the response broke the protocol (or a generated service's response was empty).</summary>
    MalformedResponse,

    /// <summary>Client: the caller cancelled.</summary>
    Cancelled,

    /// <summary>Client: the request could not be sent, or the client was disposed with the call in flight.</summary>
    Failed,

    /// <summary>Server: a deferred response was never answered (its deadline passed or the server stopped).</summary>
    Expired,

    /// <summary>Service status <see cref="R2P2ServiceStatus.MalformedRequest"/>.</summary>
    MalformedRequest,

    /// <summary>Service status <see cref="R2P2ServiceStatus.UnknownMethod"/>.</summary>
    UnknownMethod,

    /// <summary>Service status <see cref="R2P2ServiceStatus.MalformedArguments"/>.</summary>
    MalformedArguments,

    /// <summary>Service status <see cref="R2P2ServiceStatus.HandlerFailed"/>, or a plain handler that threw.</summary>
    HandlerFailed,

    /// <summary>Service status <see cref="R2P2ServiceStatus.InvalidResult"/>.</summary>
    InvalidResult,

    /// <summary>A service status this version does not know (reserved 6..255).</summary>
    UnknownStatus,
}

/// <summary>The tag values of <see cref="R2P2Outcome"/>, and the outcome a service response's status byte means.</summary>
internal static class R2P2Outcomes
{
    public const int Count = (int)R2P2Outcome.UnknownStatus + 1;

    private static readonly string[] Names =
    [
        "ok", "timeout", "dropped", "malformed_response", "cancelled", "failed", "expired",
        "malformed_request", "unknown_method", "malformed_arguments", "handler_failed", "invalid_result", "unknown_status",
    ];

    public static string Name(R2P2Outcome outcome) => Names[(int)outcome];

    /// <summary>The outcome of a generated service's response whose first payload byte is <paramref name="status"/> (-1: empty).</summary>
    public static R2P2Outcome FromStatus(int status) => status switch
    {
        (int)R2P2ServiceStatus.Ok => R2P2Outcome.Ok,
        (int)R2P2ServiceStatus.MalformedRequest => R2P2Outcome.MalformedRequest,
        (int)R2P2ServiceStatus.UnknownMethod => R2P2Outcome.UnknownMethod,
        (int)R2P2ServiceStatus.MalformedArguments => R2P2Outcome.MalformedArguments,
        (int)R2P2ServiceStatus.HandlerFailed => R2P2Outcome.HandlerFailed,
        (int)R2P2ServiceStatus.InvalidResult => R2P2Outcome.InvalidResult,
        < 0 => R2P2Outcome.MalformedResponse,
        _ => R2P2Outcome.UnknownStatus,
    };
}
