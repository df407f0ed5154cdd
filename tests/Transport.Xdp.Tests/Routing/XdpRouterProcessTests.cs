using System;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Tool.Tests.Infrastructure;
using TailGuard.Transport.Xdp.Tests.Infrastructure;

namespace TailGuard.Transport.Xdp.Tests.Routing;

/// <summary>
/// <c>tailguard router --xdp</c> as its own process in the router's namespace of a bridged segment, a kernel UDP echo
/// (<c>tailguard serve</c>) in the server's and <c>tailguard ping --via-router</c> in the client's: every call is
/// answered through it, each request forwarded over AF_XDP (its usage errors: tests/Tool.Tests RouterCommandTests).
/// </summary>
[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class XdpRouterProcessTests(BridgedNetworkFixture fixture) : IClassFixture<BridgedNetworkFixture>
{
    [NetworkFact]
    public async Task Router_over_af_xdp_forwards_every_ping_to_a_kernel_udp_echo()
    {
        var network = fixture.Network;
        using var echo = ToolProcess.Start(network.Server.Namespace, "serve", "--listen", $"{network.Server.IPv4}:0");
        var server = await echo.WaitForAddressAsync("R2P2 echo on");

        // The echo sends no FEEDBACK: round-robin needs none, and the FEEDBACK timeout only catches hangs.
        using var router = ToolProcess.Start(network.Router.Namespace, "router", "--xdp", network.Router.Interface, "--listen", $"{network.Router.IPv4}:0",
            "--server", server, "--policy", "round-robin", "--feedback-timeout", "10m");
        var address = await router.WaitForAddressAsync("R2P2 router on");

        // The transport's log line ("R2P2 router on ... over AF_XDP") comes before the tool's own and matches the marker
        // too: wait for the tool's line, which must say that it forwards in place.
        await router.WaitForOutputAsync($"AF_XDP on {network.Router.Interface}:0, forwarding in place");

        using var ping = ToolProcess.Start(network.Client.Namespace, "ping", "--via-router", "--server", address, "--count", "50", "--warmup", "10", "--verify", "--timeout", "10s");
        Assert.True(await ping.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, ping.Output + router.Output);
        Assert.Matches(@"p50 .* calls 50 ", ping.Output);

        Assert.Equal(0, await router.StopAsync(TimeSpan.FromSeconds(60)));
        var counts = Regex.Match(router.Output, @"routed (\d+) requests: (\d+) forwarded .* (\d+) forward errors");
        Assert.True(counts.Success, router.Output);
        Assert.Equal(counts.Groups[1].Value, counts.Groups[2].Value);
        Assert.True(int.Parse(counts.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) >= 60, router.Output);
        Assert.Equal("0", counts.Groups[3].Value);
    }
}
