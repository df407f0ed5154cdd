using System;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.Replication.Tests.Infrastructure;
using TailGuard.Tool.Commands.Cluster;

namespace TailGuard.Replication.Tests;

/// <summary>
/// A follower that never received the clients' payloads recovers every one from its peers and applies the same state
/// (docs/replication.md, "Recovery"); a slow follower makes the leader answer DROP instead of letting the lag grow
/// without bound, and a stalled one (live, applying nothing) does not hold the cluster to DROP (docs/replication.md,
/// "Flow control").
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class RecoveryTests
{
    [Fact]
    public async Task AFollowerThatNeverReceivedThePayloadsRecoversThemAndAppliesTheSameState()
    {
        using var cluster = LocalCluster.Start(3);
        var leader = await cluster.WaitForLeaderAsync();
        var deprived = (leader + 1) % 3;
        var other = (leader + 2) % 3;

        // This client's requests reach the leader and one follower only: the deprived follower must recover each payload.
        await using (var partial = ReplicatedClient.CreateUdp([cluster.Members[leader], cluster.Members[other]], new ReplicatedClientOptions { Timeout = TimeSpan.FromSeconds(30) }))
        {
            var written = await FailureTests.WriteAsync(new ClusterKeyValueClient(partial), "r", 30);
            Assert.Equal(30, written.Count);
        }

        var commit = await cluster.RequiredStatusFieldAsync(leader, "commit");
        await FailureTests.Eventually(async () => await cluster.StatusFieldAsync(deprived, "applied") >= commit, "the deprived follower applies every entry", cluster);
        Assert.True(await cluster.RequiredStatusFieldAsync(deprived, "recoveries") >= 30, $"the deprived follower recovered too few payloads\n{await cluster.DiagnoseAsync()}");

        // Its state is the others': with the leader gone, the deprived follower and the other one are the majority, and
        // every read (run by one replica, spread over both) returns what was written.
        cluster.Kill(leader);
        await cluster.WaitForLeaderAsync(except: leader);
        var repliesBefore = await cluster.RequiredStatusFieldAsync(deprived, "replies");
        await using var client = cluster.Client(new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(20) });
        var store = new ClusterKeyValueClient(client);
        for (var round = 0; round < 4; round++)
        {
            for (var i = 0; i < 30; i++)
            {
                var key = "r" + i.ToString(CultureInfo.InvariantCulture);
                Assert.True(await store.ReadAsync(key) == i + 1000, $"{key} lost\n{await cluster.DiagnoseAsync()}");
            }
        }

        Assert.True(await cluster.RequiredStatusFieldAsync(deprived, "replies") > repliesBefore, $"the deprived follower answered no read\n{await cluster.DiagnoseAsync()}");
    }

    [Fact]
    public async Task ASlowFollowerMakesTheClusterAnswerDropInsteadOfQueueing()
    {
        const int MaxApplyLag = 16;
        const int InFlight = 48;
        var lag = MaxApplyLag.ToString(CultureInfo.InvariantCulture);
        using var cluster = LocalCluster.Start(3, _ => ["--max-apply-lag", lag]);

        // Restart one follower slowed down: 20 ms per entry, far slower than the clients write.
        var (leader, slow) = await RestartAFollowerWithAsync(cluster, "--apply-delay", "20ms");

        await using var client = cluster.Client(new ReplicatedClientOptions { Timeout = TimeSpan.FromSeconds(60), RetryDelay = TimeSpan.FromMilliseconds(2) });
        var store = new ClusterKeyValueClient(client);
        var worstLag = 0L;
        var writes = Enumerable.Range(0, 240).Select(i => (Key: "f" + (i % InFlight).ToString(CultureInfo.InvariantCulture), Value: (long)i)).ToArray();
        for (var start = 0; start < writes.Length; start += InFlight)
        {
            var batch = writes.Skip(start).Take(InFlight).Select(w => store.WriteAsync(w.Key, w.Value).AsTask()).ToArray();
            while (!Task.WhenAll(batch).IsCompleted)
            {
                // Whoever leads now (the restart may have moved leadership): the highest commit index against the slow node.
                var commit = Math.Max(await cluster.StatusFieldAsync(leader, "commit") ?? 0, await cluster.StatusFieldAsync((slow + 1) % 3, "commit") ?? 0);
                if (await cluster.StatusFieldAsync(slow, "applied") is { } applied && commit > 0)
                {
                    worstLag = Math.Max(worstLag, commit - applied);
                }

                await Task.WhenAny(Task.WhenAll(batch), Task.Delay(20));
            }

            await Task.WhenAll(batch);
        }

        // The cluster refused work once the slow follower fell behind, every write still completed through retries, and
        // the lag stayed near the bound: what was admitted before the bound was hit, at most the calls in flight.
        var drops = 0L;
        for (var i = 0; i < 3; i++)
        {
            drops += await cluster.RequiredStatusFieldAsync(i, "drops");
        }

        Assert.True(drops > 0, $"no node answered DROP\n{await cluster.DiagnoseAsync()}");
        Assert.True(client.Statistics.Attempts > client.Statistics.Calls, "no call was retried after a DROP");
        Assert.True(worstLag <= MaxApplyLag + InFlight + 8, $"the slow follower lagged {worstLag} entries behind the commit index\n{await cluster.DiagnoseAsync()}");
        Assert.Equal(writes.Last().Value, await store.ReadAsync(writes.Last().Key));
    }

    [Fact]
    public async Task AStalledFollowerDoesNotHoldTheClusterToDrop()
    {
        // The flow-control bound is small, so the stalled follower is past it after a few writes: before stalled followers
        // stopped counting, the leader answered DROP to every later write for as long as the follower stayed wedged.
        const int MaxApplyLag = 16;
        using var cluster = LocalCluster.Start(3, _ => ["--max-apply-lag", MaxApplyLag.ToString(CultureInfo.InvariantCulture)]);

        // Restarted with an apply that never ends (10 minutes for its first entry): its loop still sends STATUS, so it stays
        // live, but it applies nothing.
        var (leader, stalled) = await RestartAFollowerWithAsync(cluster, "--apply-delay", "10m");

        // A minute per call is only a hang guard: a write the cluster refuses for good fails the test.
        await using var client = cluster.Client(new ReplicatedClientOptions { Timeout = TimeSpan.FromSeconds(60), RetryDelay = TimeSpan.FromMilliseconds(5) });
        var store = new ClusterKeyValueClient(client);
        const int Writes = 8 * MaxApplyLag;
        var writes = Enumerable.Range(0, Writes).Select(i => (Key: "s" + (i % 8).ToString(CultureInfo.InvariantCulture), Value: (long)i)).ToArray();
        for (var start = 0; start < writes.Length; start += 8)
        {
            try
            {
                await Task.WhenAll(writes.Skip(start).Take(8).Select(w => store.WriteAsync(w.Key, w.Value).AsTask()));
            }
            catch (R2P2.R2P2Exception error)
            {
                Assert.Fail($"write {start}..{start + 7} failed while a follower was stalled: {error.Message}\n{await cluster.DiagnoseAsync()}");
            }
        }

        var applied = await cluster.RequiredStatusFieldAsync(stalled, "applied");
        var commit = await cluster.RequiredStatusFieldAsync(leader, "commit");
        Assert.True(commit - applied > MaxApplyLag, $"the stalled follower kept up (applied {applied}, commit {commit}): the test proves nothing\n{await cluster.DiagnoseAsync()}");
        Assert.Equal(writes[^1].Value, await store.ReadAsync(writes[^1].Key));
    }

    /// <summary>
    /// Restarts a follower of the leader with <paramref name="arguments"/> added and waits until it serves and knows a
    /// leader again: the leader then (the restart may move leadership) and the follower.
    /// </summary>
    private static async Task<(int Leader, int Follower)> RestartAFollowerWithAsync(LocalCluster cluster, params string[] arguments)
    {
        var follower = (await cluster.WaitForLeaderAsync() + 1) % 3;
        cluster.Kill(follower);
        cluster.StartWith(follower, arguments);
        await cluster.WaitServingAsync(follower, cluster.LeaderWait);
        var leader = await cluster.WaitForLeaderAsync();
        await FailureTests.Eventually(async () => await cluster.StatusFieldAsync(follower, "leader") >= 0, "the restarted node rejoins", cluster);
        return (leader, follower);
    }
}
