using System;
using System.Net;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>
/// A router serves one address family (docs/router.md, "Not done yet"): a request port on [::] is a dual-stack socket
/// whose IPv4 clients it could only drop unseen, so it is refused with the reason and what to do instead.
/// </summary>
[RequiresNetwork(NetworkCapability.IPv6Loopback)]
public sealed class DualStackRouterTests
{
    [NetworkFact]
    public void A_router_refuses_a_dual_stack_port_and_says_what_to_run_instead()
    {
        var network = new InMemoryNetwork();
        using var forwarder = new InMemoryForwarder(network);
        using var dualStack = UdpTransport.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        using var ipv6 = UdpTransport.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var options = new R2P2RouterOptions { OwnsTransports = false };

        var error = Assert.Throws<ArgumentException>(() => new R2P2Router(dualStack, forwarder, options));
        Assert.Contains("dual-stack", error.Message, StringComparison.Ordinal);
        Assert.Contains("run a second router on an IPv4 address", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new R2P2Router(ipv6, dualStack, forwarder, options)); // nor as the FEEDBACK port

        using var router = new R2P2Router(ipv6, forwarder, options); // a specific IPv6 address is fine
        Assert.False(router.IsIPv4);
    }
}
