using System;
using System.Text;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Replication.Tests.Infrastructure;

namespace TailGuard.Replication.Tests;

/// <summary>
/// Status queries pass flow control (docs/replication.md, "Flow control"): a FIXED-policy request changes nothing, and
/// a node that refuses work is the one worth asking. The cluster tests' status reads retry for seconds, which would
/// hide a node that answers them DROP; these ask once.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class StatusQueryTests
{
    [Fact]
    public async Task ANodeThatRefusesEveryRequestStillAnswersAStatusQuery()
    {
        // In the leader-based baseline every node that is not the leader refuses every client request with DROP (the
        // client moves on to the next replica). One member of three started alone never has a majority, so it is never
        // the leader: it refuses every request for the whole test, whatever the machine's load. (With all three
        // started, a loaded machine could hold an election between finding a follower and asking it, and the follower
        // asked would be the new leader, which does not refuse.)
        const int Node = 0;
        using var cluster = LocalCluster.StartOnly(3, Node, "--mode", "leader");
        await cluster.WaitServingAsync(Node, cluster.LeaderWait);
        await using var client = R2P2Client.CreateUdp(cluster.Members[Node], new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(30) });

        // The node refuses a replicated request: admission says no before the payload is even read.
        await Assert.ThrowsAsync<R2P2DroppedException>(async () =>
        {
            using var refused = await client.CallAsync(new byte[32], RoutingPolicy.Replicated);
        });

        // One status query, no retry: answered with the status line, not DROP.
        string status;
        try
        {
            using var response = await client.CallAsync(ReadOnlyMemory<byte>.Empty, RoutingPolicy.Fixed);
            status = Encoding.UTF8.GetString(response.Payload);
        }
        catch (R2P2DroppedException)
        {
            Assert.Fail($"node {Node} answered its status query with DROP: flow control refused it\n{await cluster.DiagnoseAsync()}");
            throw;
        }

        Assert.StartsWith($"node={Node} ", status, StringComparison.Ordinal);
        Assert.Contains("mode=LeaderPayload", status, StringComparison.Ordinal);
        Assert.Equal(-1, LocalCluster.Field(status, "leader")); // still no leader: the refusal above was the one asked for
    }
}
