using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Tests.R2P2.Routing;
using TailGuard.Transport.Xdp.Tests.Infrastructure;

namespace TailGuard.Transport.Xdp.Tests.Routing;

/// <summary>
/// Forwarding over AF_XDP in place allocates nothing per packet: bytes counted on the router's loop thread (it receives
/// over AF_XDP, schedules, forwards through the TX ring and takes the FEEDBACK on the same port) over many windows of
/// calls from a kernel UDP client through it to a kernel UDP server, as the router's own zero-allocation tests count.
/// </summary>
[Collection("Allocation measurement")] // AllocationMeasurementCollection.Name
[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class XdpRouterAllocationTests(BridgedNetworkFixture fixture) : IClassFixture<BridgedNetworkFixture>
{
    private const int WarmUp = 5_000;

    [NetworkFact]
    public void A_request_forwarded_in_place_and_its_feedback_allocate_nothing_on_the_router_thread()
    {
        using var rig = XdpRouterRig.Start(fixture.Network, ipv6: false, 1, servers => new R2P2RouterOptions
        {
            Servers = servers,
            Policy = RouterPolicy.BoundedShortestQueue(1),
            QueueTimeout = XdpRouterRig.Unhurried,
            FeedbackTimeout = XdpRouterRig.Unhurried,
        });
        var client = rig.Client();

        var report = AllocationWindows.Measure(count => RouterZeroAllocationTests.RunCalls(client, count), () => RouterZeroAllocationTests.AllocatedOnRouterLoops(rig.Router), windows: 9, callsPerWindow: 1000, warmUpCalls: WarmUp);

        report.AssertNoPerCallAllocation();
        var calls = WarmUp + (report.WindowBytes.Length * report.CallsPerWindow);
        Assert.Equal(calls, rig.Router.Statistics.Forwarded);
        Assert.Equal(calls, rig.Transport.ForwardsInPlace);
        Assert.Equal(0, rig.Forwarder.SendErrors);
    }
}
