using System;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Replication.Tests.Infrastructure;
using TailGuard.Tool.Commands.Cluster;
using Xunit.Abstractions;

namespace TailGuard.Replication.Tests;

/// <summary>
/// Split brain (docs/replication.md, "Failure behaviour"): the leader cut off from the other replicas by the network
/// (nodes in network namespaces, blackhole routes between them) while clients still reach it cannot acknowledge a
/// write; the majority side elects a leader and acknowledges; after healing, nothing acknowledged is lost.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class PartitionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task APartitionedOldLeaderCannotAcknowledgeAWrite()
    {
        using var network = NamespaceNetwork.TryCreate(3, out var reason);
        if (network is null)
        {
            output.WriteLine($"skipped: needs network namespaces, veth and a bridge (root): {reason}");
            return;
        }

        var port = Random.Shared.Next(20000, 30000); // inside namespaces of this test alone
        var members = network.Addresses.Select(a => new IPEndPoint(a, port)).ToArray();
        using var cluster = LocalCluster.Start(members, i => network.Namespaces[i]);
        var leader = await cluster.WaitForLeaderAsync();
        await using (var client = cluster.Client())
        {
            await new ClusterKeyValueClient(client).WriteAsync("before", 1);
        }

        network.Partition(leader);

        // A client that reaches only the old leader: its write must not be acknowledged, whatever the old leader believes.
        await using (var isolated = ReplicatedClient.CreateUdp([members[leader]], new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(3) }))
        {
            var acknowledged = true;
            try
            {
                await new ClusterKeyValueClient(isolated).WriteAsync("split", 7);
            }
            catch (R2P2Exception)
            {
                acknowledged = false;
            }

            Assert.False(acknowledged, $"the partitioned old leader acknowledged a write\n{await cluster.DiagnoseAsync()}");
        }

        // The majority side elects a new leader and acknowledges writes.
        await using var majority = ReplicatedClient.CreateUdp(members.Where((_, i) => i != leader).ToArray(), new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(20) });
        var store = new ClusterKeyValueClient(majority);
        await store.WriteAsync("during", 2);

        network.Heal();
        await cluster.WaitForLeaderAsync();
        await using var everyone = cluster.Client(new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(20) });
        var all = new ClusterKeyValueClient(everyone);
        Assert.Equal(1, await all.ReadAsync("before"));
        Assert.Equal(2, await all.ReadAsync("during"));
    }
}
