namespace TailGuard.R2P2;

/// <summary>
/// The routing policy carried in the low nibble of the R2P2 type/policy byte: how a router may place a request.
/// </summary>
public enum RoutingPolicy : byte
{
    /// <summary>Any server may serve the request (JBSQ at the router). Wire value 0.</summary>
    LoadBalanced = 0,

    /// <summary>The request goes to one fixed server. Wire value 1. Responses, ACKs and DROPs use it.</summary>
    Fixed = 1,

    /// <summary>The request is replicated (HovercRaft). Wire value 2.</summary>
    Replicated = 2,

    /// <summary>A read-only request to a replicated service. Wire value 3.</summary>
    ReplicatedReadOnly = 3,

    /// <summary>Not a wire value: in attributes, "inherit the service's policy".</summary>
    Unspecified = 0xFF,
}
