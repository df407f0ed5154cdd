using System;
using System.Threading.Tasks;
using TailGuard.Replication.Tests.Infrastructure;
using TailGuard.Tool.Commands.Cluster;

namespace TailGuard.Replication.Tests;

[Collection(nameof(ClusterTests))]
public sealed class ClusterSmokeTests
{
    [Fact]
    public async Task ThreeNodesOrderWritesReadsAndCompareAndSwap()
    {
        using var cluster = LocalCluster.Start(3);
        await cluster.WaitForLeaderAsync();
        await using var client = cluster.Client();
        var store = new ClusterKeyValueClient(client);

        try
        {
            await store.WriteAsync("x", 5);
        }
        catch (R2P2.R2P2Exception error)
        {
            Assert.Fail($"{error.Message}\n{await cluster.DiagnoseAsync()}");
        }

        Assert.Equal(5, await store.ReadAsync("x"));
        Assert.False(await store.CompareAndSwapAsync("x", 4, 9));
        Assert.True(await store.CompareAndSwapAsync("x", 5, 9));
        Assert.Equal(9, await store.ReadAsync("x"));
        Assert.Equal(1, await store.IncrementAsync("n"));
        Assert.Equal(2, await store.IncrementAsync("n"));
        Assert.Equal(64, await store.PutAsync("blob", new byte[64]));
        var destination = new byte[64];
        Assert.Equal(64, await store.FetchAsync("blob", destination));
    }

    [Fact]
    public async Task EveryReplicaMayAnswerSoNoCallWaitsForARetry()
    {
        // The leader spreads replies over the replicas; the client must take a reply from any of them. It once took
        // only the first replica's (the R2P2 client's default source binding): two calls in three waited for their
        // attempt timeout and were answered on a retry, which put HovercRaft's p50 at 1 s. One attempt per call here,
        // with an attempt timeout long enough for a loaded machine: a dropped reply fails the call.
        using var cluster = LocalCluster.Start(3, "--replies", "spread");
        await cluster.WaitForLeaderAsync();
        await using (var warmUp = cluster.Client())
        {
            await new ClusterKeyValueClient(warmUp).WriteAsync("warm", 1); // the cluster serves (retries allowed here)
        }

        var patient = TimeSpan.FromSeconds(20);
        await using var client = cluster.Client(new ReplicatedClientOptions { AttemptTimeout = patient, Timeout = patient });
        var store = new ClusterKeyValueClient(client);
        const int Writes = 30;
        for (var i = 0; i < Writes; i++)
        {
            try
            {
                await store.WriteAsync("k", i);
            }
            catch (R2P2.R2P2Exception error)
            {
                Assert.Fail($"write {i}: {error.Message} (attempts {client.Statistics.Attempts}, timeouts {client.Statistics.Timeouts})\n{await cluster.DiagnoseAsync()}");
            }
        }

        Assert.Equal(Writes, client.Statistics.Calls);
        Assert.Equal(0, client.Statistics.Timeouts);
        var answering = 0;
        for (var node = 0; node < 3; node++)
        {
            answering += await cluster.RequiredStatusFieldAsync(node, "replies") > 0 ? 1 : 0;
        }

        Assert.True(answering >= 2, $"replies were not spread, so the test proves nothing:\n{await cluster.DiagnoseAsync()}");
    }
}
