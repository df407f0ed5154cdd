using System;
using TailGuard.R2P2;

namespace TailGuard;

/// <summary>
/// Marks an interface as an R2P2 service. The TailGuard generator emits <c>{Name}Client</c> (an async, pooled client)
/// and <c>{Name}Dispatcher</c> (binds an implementation to an R2P2 server), where <c>{Name}</c> is the interface name
/// without its leading <c>I</c>. Implementations of the interface are hot paths for the allocation analyzers.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class R2P2ServiceAttribute : Attribute
{
    /// <summary>The routing policy of every method that does not state its own. <see cref="RoutingPolicy.LoadBalanced"/> by default.</summary>
    public RoutingPolicy Policy { get; set; } = RoutingPolicy.LoadBalanced;
}
