namespace TailGuard.Load;

/// <summary>How one request ended. Every kind but <see cref="Ok"/> is counted apart and ranks above every latency.</summary>
public enum LoadOutcome
{
    /// <summary>The expected response arrived.</summary>
    Ok,

    /// <summary>No response before the call's timeout.</summary>
    Timeout,

    /// <summary>The server (or a router for it) refused the request, R2P2's DROP or gRPC's RESOURCE_EXHAUSTED.</summary>
    Dropped,

    /// <summary>A response arrived but was not the expected one (an echo of the wrong length, a malformed message).</summary>
    WrongResponse,

    /// <summary>Any other failure: the request could not be sent, the connection broke, the server failed.</summary>
    Failed,
}
