using System;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Replication.Tests.Infrastructure;
using TailGuard.Tool.Commands.Cluster;

namespace TailGuard.Replication.Tests;

/// <summary>
/// A follower whose log falls behind the leader's compaction restores the leader's snapshot instead of applying the
/// entries it covers (docs/replication.md, "Snapshots"). The leader may have made it the replier of some of those
/// entries: it must still answer them, and it must stay a replier afterwards.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class SnapshotInstallTests
{
    [Fact]
    public async Task AReplicaThatRestoresTheLeadersSnapshotAnswersTheWritesItSkippedAndStaysAReplier()
    {
        // A snapshot every 16 entries: with 8 writers a follower's log is often behind the leader's compaction, so it
        // restores the leader's snapshot. Before the fix the writes it was the replier of in the skipped range went
        // unanswered (each waited for its attempt timeout: the benchmark's MaxInFlight stall), and the leader counted
        // them outstanding forever, so it stopped choosing that replica.
        // Elections are not what this test is about: the harness's steady election timeout keeps a loaded machine from
        // holding one (an entry the old leader ordered but never committed is answered only by the call's retry).
        using var cluster = LocalCluster.Start(3, "--snapshot-interval", "16", "--replies", "spread");
        await cluster.WaitForLeaderAsync();
        await using (var warmUp = cluster.Client())
        {
            await new ClusterKeyValueClient(warmUp).WriteAsync("warm", 1); // the cluster serves (retries allowed here)
        }

        // One attempt per call, long enough for a loaded machine: a write nobody answers fails the test.
        var patient = TimeSpan.FromSeconds(15);
        await using var client = cluster.Client(new ReplicatedClientOptions { AttemptTimeout = patient, Timeout = patient });
        var store = new ClusterKeyValueClient(client);
        const int Writers = 8;
        const int WritesPerWriter = 50;
        var failures = 0;
        string? firstFailure = null;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < WritesPerWriter; i++)
            {
                try
                {
                    await store.WriteAsync("w" + w.ToString(CultureInfo.InvariantCulture), i);
                }
                catch (R2P2.R2P2Exception error)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstFailure, $"writer {w} write {i}: {error.Message}", null);
                }
            }
        })));

        var restored = new long[3];
        for (var node = 0; node < 3; node++)
        {
            restored[node] = await cluster.RequiredStatusFieldAsync(node, "restored");
        }

        Assert.True(restored.Sum() > 0, $"no replica restored the leader's snapshot, so the test proves nothing:\n{await cluster.DiagnoseAsync()}");
        Assert.True(failures == 0, $"{failures} writes went unanswered ({firstFailure}; timeouts {client.Statistics.Timeouts})\n{await cluster.DiagnoseAsync()}");
        Assert.Equal(0, client.Statistics.Timeouts);

        // One call at a time now: every replica's outstanding count is at most one, so the leader chooses each in turn,
        // including every replica that restored a snapshot (its skipped entries no longer count against it). Retries
        // are allowed here: this part is about who answers.
        await using var sequentialClient = cluster.Client(new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(30) });
        var sequential = new ClusterKeyValueClient(sequentialClient);
        var repliesBefore = new long[3];
        for (var node = 0; node < 3; node++)
        {
            repliesBefore[node] = await cluster.RequiredStatusFieldAsync(node, "replies");
        }

        for (var i = 0; i < 30; i++)
        {
            try
            {
                await sequential.WriteAsync("sequential", i);
            }
            catch (R2P2.R2P2Exception error)
            {
                Assert.Fail($"sequential write {i}: {error.Message}\n{await cluster.DiagnoseAsync()}");
            }
        }

        for (var node = 0; node < 3; node++)
        {
            var replies = await cluster.RequiredStatusFieldAsync(node, "replies");
            Assert.True(replies > repliesBefore[node], $"node {node} (restored {restored[node]} snapshots) answered none of 30 sequential writes: the leader stopped choosing it\n{await cluster.DiagnoseAsync()}");
        }
    }
}
