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
        // In the leader-based baseline every follower refuses every client request with DROP (the client moves on to
        // the next replica), from the moment it starts: a node that is refusing, without timing or load.
        using var cluster = LocalCluster.Start(3, "--mode", "leader");
        var leader = await cluster.WaitForLeaderAsync();
        var follower = (leader + 1) % 3;
        await using var client = R2P2Client.CreateUdp(cluster.Members[follower], new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(10) });

        // The follower refuses a replicated request: admission says no before the payload is even read.
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
            Assert.Fail($"node {follower} answered its status query with DROP: flow control refused it\n{await cluster.DiagnoseAsync()}");
            throw;
        }

        Assert.StartsWith($"node={follower} ", status, StringComparison.Ordinal);
        Assert.Contains("mode=LeaderPayload", status, StringComparison.Ordinal);
    }
}
