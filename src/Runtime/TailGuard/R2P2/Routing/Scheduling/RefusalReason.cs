namespace TailGuard.R2P2.Routing;

/// <summary>Why the router answered a request DROP on the servers' behalf.</summary>
internal enum RefusalReason
{
    /// <summary>The central queue was full.</summary>
    QueueFull,

    /// <summary>The request waited in the central queue longer than the queue timeout.</summary>
    QueueTimeout,

    /// <summary>No server could take it: none is a member, or the fixed server is not.</summary>
    NoServer,

    /// <summary>The router already tracked as many forwarded requests as it may.</summary>
    OutstandingLimit,
}
