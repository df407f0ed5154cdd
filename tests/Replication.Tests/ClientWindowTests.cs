using System;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Replication.Sessions;
using TailGuard.Replication.Tests.Infrastructure;
using TailGuard.Tool.Commands.Cluster;

namespace TailGuard.Replication.Tests;

/// <summary>
/// The replicated client's sequence window (docs/replication.md, "The client"): a call that waits for its retry holds
/// the window, and new calls wait for room within their own timeout instead of failing (the benchmark's MaxInFlight
/// stall: one unanswered attempt stopped a client that had finished 1 024 calls meanwhile).
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class ClientWindowTests
{
    [Fact]
    public async Task ACallWaitingForItsRetryHoldsTheWindowAndNewCallsWaitInsteadOfFailing()
    {
        // One unreplicated node: the window is the client's alone, whatever serves it.
        using var cluster = LocalCluster.Start(1, "--mode", "unreplicated");
        await cluster.WaitForLeaderAsync();
        var marker = Encoding.UTF8.GetBytes("lost-key");
        var transport = new LosingTransport(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), packet => packet.Span.IndexOf(marker) >= 0);
        const int Window = 4;
        var options = new ReplicatedClientOptions { MaxInFlight = Window, AttemptTimeout = TimeSpan.FromMilliseconds(300), Timeout = TimeSpan.FromSeconds(20) };
        await using var client = new ReplicatedClient(transport, cluster.Members.Select(PacketAddress.FromEndPoint).ToArray(), options);
        var store = new ClusterKeyValueClient(client);

        // The first attempt of this write is lost: it is answered only by its retry, one attempt timeout later.
        var lost = store.WriteAsync("lost-key", 7).AsTask();
        const int Others = 3 * Window;
        for (var i = 0; i < Others; i++)
        {
            // The Window-th of these finds the lost call a whole window behind: it waits (it used to throw
            // InvalidOperationException, "a call in flight 4 calls older than the newest").
            await store.WriteAsync("other", i);
        }

        await lost;
        Assert.True(transport.Lost > 0, "the fault was not injected, so the test proves nothing");
        Assert.Equal(1, client.Statistics.Timeouts);
        Assert.True(client.Statistics.WindowWaits >= 1, "no call waited for the window");
        Assert.Equal(0, client.Statistics.Failures);
        Assert.Equal(Others + 1, client.Statistics.Calls);
        Assert.Equal(7, await store.ReadAsync("lost-key"));
        Assert.Equal(Others - 1, await store.ReadAsync("other"));
    }

    [Fact]
    public async Task ANewCallWaitsForRoomAndEndsWhenTheCallAheadEnds()
    {
        var sequences = new InFlightSequences(2, new ReplicatedClientStatistics());
        var first = await sequences.BeginAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        var second = await sequences.BeginAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal((1L, 2L), (first, second));

        var third = sequences.BeginAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        sequences.End(second); // not the oldest: the floor stays at 1, the window stays full
        await Task.Delay(50);
        Assert.False(third.IsCompleted, "a call started while the oldest call in flight was a whole window behind");

        sequences.End(first);
        Assert.Equal(3L, await third.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(3L, sequences.Floor);
    }

    [Fact]
    public async Task ANewCallThatFindsNoRoomWithinItsTimeoutTimesOut()
    {
        var statistics = new ReplicatedClientStatistics();
        var sequences = new InFlightSequences(1, statistics);
        await sequences.BeginAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        await Assert.ThrowsAsync<R2P2TimeoutException>(async () => await sequences.BeginAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        Assert.Equal(1, statistics.WindowWaits);
        Assert.Equal(1L, sequences.Floor);
    }
}
