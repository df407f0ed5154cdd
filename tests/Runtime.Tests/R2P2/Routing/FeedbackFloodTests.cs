using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>
/// A stranger's FEEDBACK flood that overruns the router's FEEDBACK port (a receive queue of a few datagrams) and takes
/// servers' FEEDBACK with it (docs/router.md, "What FEEDBACK does"): no live server is evicted, every request completes,
/// the strangers and the port's drops are counted; a server killed during the flood is evicted once it stops, after a
/// bounded number of lost requests. Bound by work: rounds of calls go on until the router has excused a silence the
/// flood may have caused; the timers only catch hangs.
/// </summary>
public abstract class FeedbackFloodTests(TestNetwork network)
{
    private const int Servers = 3;
    private const int CallsPerRound = 12;
    private const int MaxRounds = 300;

    /// <summary>
    /// Rounds allowed for the flood to cost a server its last FEEDBACK of a round twice: how often that happens depends on
    /// how the flood's threads and the servers share the cores, and a clean-clone CI run on a quiet machine once saw
    /// none in 300 rounds (136 690 port drops, only 6 credits reclaimed). A round takes milliseconds; the phase guard
    /// still catches a hang.
    /// </summary>
    private const int MaxFloodRounds = 3000;

    /// <summary>A hang guard for each phase: far beyond what the rounds take on a loaded machine (tens of seconds at load 25).</summary>
    private static readonly TimeSpan PhaseGuard = TimeSpan.FromMinutes(3);

    /// <summary>Short enough that the flood's lost FEEDBACK are judged within the test; the eviction rule, not this, keeps live servers in.</summary>
    private static readonly TimeSpan FeedbackTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>A hang guard for a call to a live server: longer than any credit waits to be reclaimed on a loaded machine.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    protected TestNetwork Network { get; } = network;

    [NetworkTheory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_flood_that_overruns_the_feedback_port_evicts_no_live_server_and_a_dead_one_goes_once_it_stops(int bound)
    {
        using var rig = RouterRig.Start(Network, Servers, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.BoundedShortestQueue(bound), FeedbackTimeout = FeedbackTimeout, QueueTimeout = RouterRig.Unhurried }, feedbackPort: Network.BindWithSmallReceiveQueue);
        var router = rig.Router;
        var statistics = router.Statistics;
        var evicted = new ConcurrentQueue<PacketAddress>();
        router.ServerEvicted += (_, server) => evicted.Enqueue(server);
        var client = rig.Client(CallTimeout);
        var flooders = Enumerable.Range(0, 2).Select(_ => rig.Peer()).ToArray();
        var flood = new Flood(flooders, router.FeedbackAddress, client.LocalAddress);
        flood.Start();
        try
        {
            // Rounds of calls under the flood until the router has excused at least two silences: FEEDBACK of live servers
            // was lost in the port's overflow (each round ends with every credit back or reclaimed, so a server's last
            // FEEDBACK of a round, if lost, leaves it silent, which evicted it before).
            var calls = 0;
            var guard = DateTime.UtcNow + PhaseGuard;
            for (var round = 0; statistics.EvictionsWithheld < 2; round++)
            {
                Assert.True(round < MaxFloodRounds && DateTime.UtcNow < guard, $"no silence excused in {round} rounds: {Describe(router, flood)}");
                var payloads = Enumerable.Range(0, CallsPerRound).Select(i => Payloads.Make(32, calls + i)).ToArray();
                calls += CallsPerRound;
                await Task.WhenAll(payloads.Select(async payload =>
                {
                    using var response = await client.CallAsync(payload); // every request completes: a lost FEEDBACK costs only its credit's time
                    Assert.Equal(payload, Payloads.ToArray(response.Payload));
                }));
                await Eventually(() => router.OutstandingCount == 0, "every credit back or reclaimed");
                Assert.True(statistics.Evictions == 0, $"a live server was evicted: {Describe(router, flood)}");
            }

            Assert.Equal(Servers, router.Servers.Count);
            Assert.True(statistics.FeedbackPortDrops > 0, "the flood never overran the FEEDBACK port");
            Assert.True(statistics.UnknownFeedbacks > 0, "no stranger's FEEDBACK was counted");
            Assert.True(statistics.ReclaimedCredits >= statistics.EvictionsWithheld);

            // A server dies while the flood goes on; its requests are lost (their calls time out) and it is not judged
            // dead while the port keeps dropping.
            var dead = rig.Servers[0];
            dead.Dispose();
            await Outcomes(client, CallsPerRound, calls);
            calls += CallsPerRound;
        }
        finally
        {
            await flood.StopAsync();
        }

        // The flood is over: the dead server goes at the deadline of the first request it takes after the port's last
        // drop was seen. Before that it can lose the requests on its credits, and one replacement for each excused.
        // Two calls at a time, so that the servers' own FEEDBACK fits the small port and it drops nothing more.
        var lostAfterFlood = 0;
        var afterFlood = DateTime.UtcNow + PhaseGuard;
        for (var round = 0; !evicted.Contains(rig.Servers[0].LocalAddress); round++)
        {
            Assert.True(round < MaxRounds && DateTime.UtcNow < afterFlood, $"the dead server was not evicted after the flood ({round} rounds, {lostAfterFlood} calls lost): {Describe(router, flood)}");
            lostAfterFlood += await Outcomes(client, 2, round * 2);
        }

        Assert.InRange(lostAfterFlood, 0, 2 * bound);
        Assert.Equal(rig.Servers[0].LocalAddress, Assert.Single(evicted));
        Assert.Equal(1, statistics.Evictions);
        Assert.Equal(Servers - 1, router.Servers.Count);
        Assert.Equal(0, await Outcomes(client, CallsPerRound, 0)); // the rest serve everything
    }

    /// <summary>Calls in parallel; how many timed out (a dead server's). Anything else fails the test.</summary>
    private static async Task<int> Outcomes(R2P2Client client, int count, int first)
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(first, count).Select(async i =>
        {
            var payload = Payloads.Make(32, i);
            try
            {
                using var response = await client.CallAsync(payload);
                Assert.Equal(payload, Payloads.ToArray(response.Payload));
                return 0;
            }
            catch (R2P2TimeoutException)
            {
                return 1;
            }
        }));
        return outcomes.Sum();
    }

    private static string Describe(R2P2Router router, Flood flood)
    {
        var s = router.Statistics;
        return $"{s.Evictions} evictions, {s.EvictionsWithheld} withheld, {s.FeedbackPortDrops} port drops, {s.Feedbacks} FEEDBACK, {s.UnknownFeedbacks} from strangers, {s.ReclaimedCredits} reclaimed, {flood.Sent} flooded, {router.Servers.Count} servers";
    }

    /// <summary>Strangers sending FEEDBACK to the router's FEEDBACK port as fast as they can, on a thread of their own.</summary>
    private sealed class Flood(RawPeer[] flooders, PacketAddress target, PacketAddress client)
    {
        private volatile bool _stopping;
        private Task? _running;
        private long _sent;

        public long Sent => Interlocked.Read(ref _sent);

        public void Start() => _running = Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning);

        public async Task StopAsync()
        {
            _stopping = true;
            await _running!;
        }

        private void Run()
        {
            var random = new Random(7);
            while (!_stopping)
            {
                flooders[random.Next(flooders.Length)].Send(target, RouterWire.Feedback((ushort)random.Next(65536), client));
                Interlocked.Increment(ref _sent);
            }
        }
    }
}

public sealed class InMemoryFeedbackFloodTests() : FeedbackFloodTests(new InMemoryTestNetwork());

/// <summary>The same over UDP on loopback: the kernel drops what the socket's smallest receive buffer cannot hold, and counts it.</summary>
[RequiresNetwork(NetworkCapability.RawSockets)]
public sealed class UdpFeedbackFloodTests() : FeedbackFloodTests(new UdpTestNetwork());
