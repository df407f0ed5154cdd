using TailGuard.R2P2.Routing;
using TailGuard.Testing;

namespace TailGuard.Tool.Tests.Infrastructure;

/// <summary>
/// A fact that runs a router on a dual-stack [::] port with an IPv6 server: skipped, with the reason, where the process
/// may not open the router's raw socket or the machine has no IPv6 loopback.
/// </summary>
public sealed class DualStackRouterFactAttribute : FactAttribute
{
    public DualStackRouterFactAttribute()
    {
        if (!RawSocketForwarder.IsAvailable(out var reason))
        {
            Skip = $"needs a raw socket to forward with the client's source address: {reason}";
            return;
        }

        Skip = IPv6Loopback.Missing;
    }
}
