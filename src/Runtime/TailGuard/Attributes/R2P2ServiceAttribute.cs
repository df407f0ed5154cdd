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

    /// <summary>
    /// Whether every request carries the caller's trace context (<see cref="R2P2TraceContext"/>, 26 bytes after the
    /// method id), so the server's span continues the client's trace. R2P2 has no headers to carry it otherwise. A wire
    /// change: clients and servers of the service must agree on it (docs/hosting.md, "Carrying a trace across R2P2").
    /// </summary>
    public bool TraceContext { get; set; }

    /// <summary>
    /// Makes the service replicated (HovercRaft, package TailGuard.Replication): every call is ordered by Raft before
    /// it runs, so the implementation must be deterministic. The generated client then wraps a
    /// <c>TailGuard.Replication.ReplicatedClient</c> and sends each call to every replica (policy
    /// <see cref="RoutingPolicy.Replicated"/>, or <see cref="RoutingPolicy.ReplicatedReadOnly"/> for methods marked
    /// <see cref="ReadOnlyAttribute"/>); the generated dispatcher is also the replicas' apply function. See
    /// <c>docs/replication.md</c>.
    /// </summary>
    public bool Replicated { get; set; }
}
