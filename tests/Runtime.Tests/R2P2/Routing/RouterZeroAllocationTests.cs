using System;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>
/// Forwarding allocates nothing per packet: bytes counted on the router's own loop threads (request and FEEDBACK, each
/// sampling GC.GetAllocatedBytesForCurrentThread after every batch) over many windows of calls through it.
/// </summary>
public abstract class RouterZeroAllocationTests(TestNetwork network)
{
    internal const int WarmUp = 10_000;

    private static readonly R2P2PayloadWriter<int> WritePayload = static (writer, in value) =>
    {
        var span = writer.GetSpan(64);
        span[..64].Fill((byte)value);
        writer.Advance(64);
    };

    [NetworkFact]
    public void A_forwarded_request_and_its_feedback_allocate_nothing_on_the_router_threads()
    {
        using var rig = RouterRig.Start(network, 2, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.BoundedShortestQueue(1) });
        var client = rig.Client();

        var report = AllocationWindows.Measure(
            count => RunCalls(client, count),
            () => AllocatedOnRouterLoops(rig.Router),
            warmUpCalls: WarmUp);

        report.AssertNoPerCallAllocation();
        var calls = WarmUp + (report.WindowBytes.Length * report.CallsPerWindow);
        Assert.Equal(calls, rig.Router.Statistics.Forwarded);
        Assert.True(rig.Router.Statistics.Feedbacks >= calls - 2, "FEEDBACK went missing");
    }

    [NetworkFact]
    public void The_router_measurement_sees_a_loop_that_allocates()
    {
        // The same measurement around a router whose every forward allocates (a forwarder that copies): it must fail.
        using var server = new R2P2Server(network.Bind(), new EchoHandler());
        using var router = new R2P2Router(network.Bind(), new AllocatingForwarder(RouterRig.ForwarderFor(network)), new R2P2RouterOptions { Servers = [server.LocalAddress], Policy = RouterPolicy.RoundRobin, FeedbackTimeout = TimeSpan.FromHours(1) });
        using var client = new R2P2Client(network.Bind(), router.LocalAddress, new R2P2ClientOptions { Timeout = Payloads.Generous, ResponseSources = ResponseSources.AnyServer });

        var report = AllocationWindows.Measure(count => RunCalls(client, count), () => AllocatedOnRouterLoops(router), windows: 3, callsPerWindow: 500, warmUpCalls: 100);

        report.AssertAllocatesPerCall(64);
    }

    /// <summary>The router loops' allocated bytes, once they have gone round past the last call (a hang guard bounds the wait).</summary>
    public static long AllocatedOnRouterLoops(R2P2Router router)
    {
        var target = router.ReceiveLoopIterations + 2;
        var deadline = DateTime.UtcNow + Payloads.Generous;
        while (router.ReceiveLoopIterations < target && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }

        return router.ReceiveLoopAllocatedBytes;
    }

    /// <summary>Makes <paramref name="count"/> 64-byte calls one after another, spinning (then yielding) on each.</summary>
    public static void RunCalls(R2P2Client client, int count)
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

    /// <summary>Copies every datagram into a new array before forwarding it: 64+ bytes per forward.</summary>
    private sealed class AllocatingForwarder(PacketForwarder inner) : PacketForwarder
    {
        public static byte[]? Last;

        public override long SendErrors => inner.SendErrors;

        public override void Forward(ReadOnlySpan<PacketBuffer> packets, ReadOnlySpan<PacketAddress> destinations)
        {
            foreach (var packet in packets)
            {
                Last = packet.Span.ToArray();
            }

            inner.Forward(packets, destinations);
        }

        protected override void Dispose(bool disposing)
        {
            inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

[Collection(AllocationMeasurementCollection.Name)]
public sealed class InMemoryRouterZeroAllocationTests() : RouterZeroAllocationTests(new InMemoryTestNetwork());

[Collection(AllocationMeasurementCollection.Name)]
[RequiresNetwork(NetworkCapability.RawSockets)]
public sealed class UdpRouterZeroAllocationTests() : RouterZeroAllocationTests(new UdpTestNetwork());

/// <summary>
/// The dual-stack path (docs/router.md, "Dual-stack"): a router on [::] forwarding IPv4 and IPv6 clients' calls in turn,
/// each to its family's server, with FEEDBACK of both families, allocates nothing per packet either.
/// </summary>
[Collection(AllocationMeasurementCollection.Name)]
[RequiresNetwork(NetworkCapability.RawSockets)]
[RequiresNetwork(NetworkCapability.IPv6Loopback)]
public sealed class DualStackRouterZeroAllocationTests
{
    [NetworkFact]
    public void Forwarding_both_families_and_their_feedback_allocates_nothing_on_the_router_threads()
    {
        using var rig = DualStackRig.Start(1, 1, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.BoundedShortestQueue(1) });
        R2P2Client[] clients = [rig.Client(ipv6: false, ResponseSources.AnyServer), rig.Client(ipv6: true, ResponseSources.AnyServer)];
        var turn = 0;

        var report = AllocationWindows.Measure(
            count =>
            {
                for (var i = 0; i < count; i++)
                {
                    RouterZeroAllocationTests.RunCalls(clients[turn++ % 2], 1);
                }
            },
            () => RouterZeroAllocationTests.AllocatedOnRouterLoops(rig.Router),
            warmUpCalls: RouterZeroAllocationTests.WarmUp);

        report.AssertNoPerCallAllocation();
        Assert.Equal(turn, rig.Router.Statistics.Forwarded);
        Assert.InRange(rig.IPv4Servers[0].Statistics.Responses, turn / 2, (turn / 2) + 1);
        Assert.InRange(rig.IPv6Servers[0].Statistics.Responses, turn / 2, (turn / 2) + 1);
        Assert.True(rig.Router.Statistics.Feedbacks >= turn - 2, "FEEDBACK went missing");
    }
}
