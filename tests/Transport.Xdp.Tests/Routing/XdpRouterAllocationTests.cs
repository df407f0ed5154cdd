using System;
using System.Diagnostics;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;
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

    private static readonly R2P2PayloadWriter<int> WritePayload = static (writer, in value) =>
    {
        var span = writer.GetSpan(64);
        span[..64].Fill((byte)value);
        writer.Advance(64);
    };

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

        var report = AllocationWindows.Measure(count => RunCalls(client, count), () => AllocatedOnRouterLoops(rig.Router), windows: 9, callsPerWindow: 1000, warmUpCalls: WarmUp);

        report.AssertNoPerCallAllocation();
        var calls = WarmUp + (report.WindowBytes.Length * report.CallsPerWindow);
        Assert.Equal(calls, rig.Router.Statistics.Forwarded);
        Assert.Equal(calls, rig.Transport.ForwardsInPlace);
        Assert.Equal(0, rig.Forwarder.SendErrors);
    }

    private static long AllocatedOnRouterLoops(R2P2Router router)
    {
        // The loop samples its thread's count after each batch: wait until it has gone round past the last call.
        var target = router.ReceiveLoopIterations + 2;
        var deadline = Stopwatch.GetTimestamp() + (long)(XdpRouterRig.Unhurried.TotalSeconds * Stopwatch.Frequency);
        while (router.ReceiveLoopIterations < target && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(10);
        }

        return router.ReceiveLoopAllocatedBytes;
    }

    private static void RunCalls(R2P2Client client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var call = client.CallAsync(in i, WritePayload);
            var spins = 0;
            while (!call.IsCompleted)
            {
                if (++spins > 50)
                {
                    Thread.Yield();
                }
            }

            call.Result.Dispose();
        }
    }
}
