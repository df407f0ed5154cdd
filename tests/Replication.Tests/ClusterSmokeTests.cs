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
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
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
}
