using TailGuard;
using TailGuard.R2P2;

namespace TailGuard.EndToEnd.Tests.Services;

/// <summary>A service whose methods travel with different routing policies.</summary>
[R2P2Service(Policy = RoutingPolicy.Fixed)]
internal interface IPolicies
{
    /// <summary>Inherits the service's Fixed policy.</summary>
    void Pinned();

    /// <summary>Overrides it with LoadBalanced.</summary>
    [R2P2Method(9, Policy = RoutingPolicy.LoadBalanced)]
    void Spread();
}
