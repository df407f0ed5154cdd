using TailGuard.R2P2.Routing;

namespace TailGuard.Tool.Tests.Infrastructure;

/// <summary>A theory that starts a router: skipped, with the reason, where the process may not open the router's raw socket.</summary>
public sealed class RouterTheoryAttribute : TheoryAttribute
{
    public RouterTheoryAttribute()
    {
        if (!RawSocketForwarder.IsAvailable(out var reason))
        {
            Skip = $"needs a raw socket to forward with the client's source address: {reason}";
        }
    }
}
