using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.Replication.Tests.Infrastructure;
using TailGuard.Tool.Commands.Cluster;
using Xunit.Abstractions;

namespace TailGuard.Replication.Tests;

/// <summary>
/// docs/replication.md, "A failed Raft engine": DotNext's log fails for good on a follower that installs the leader's
/// snapshot at the wrong moment, and <c>tailguard cluster node</c> restarts such a node in its process from its data
/// directory. With a snapshot every 64 entries, a state of 4 000 keys and 16 writers, followers install snapshots all
/// the time and DotNext's log failed within 33-85 rounds in each of 5 runs on 2026-12-02 (without the restart the test
/// fails: the node stays behind). The restarted node must catch up, and nothing acknowledged may be lost; a run in which
/// no engine says it failed still checks that every node caught up, and says the restart was not exercised.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class RaftFailureTests(ITestOutputHelper output)
{
    private const string FailureLine = "Raft engine failed"; // the node's Critical log line, printed with or without the restart

    [Fact]
    public async Task AReplicaWhoseRaftEngineFailsIsRestartedFromItsDataAndCatchesUp()
    {
        using var cluster = LocalCluster.Start(3, "--snapshot-interval", "64");
        await cluster.WaitForLeaderAsync();
        await using var client = cluster.Client(new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(30) });
        var store = new ClusterKeyValueClient(client);
        const int Writers = 16;
        const int MaxRounds = 150; // rounds of 400 writes: the bound on the search for a failure is work, not wall time
        var last = new long[Writers];

        // A state of some size first: restoring a snapshot then takes milliseconds, as on a real service, and the failure
        // needs an installation that lasts (with 16 keys and a snapshot every 16 entries it did not show in 24 000 writes).
        var value = new byte[256];
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 250; i++)
            {
                await store.PutAsync(string.Create(CultureInfo.InvariantCulture, $"bulk{w}-{i}"), value);
            }
        })));

        var rounds = 0;
        while (rounds < MaxRounds && FailedNode(cluster) is null)
        {
            await WriteRoundAsync(store, last);
            rounds++;
        }

        // Writes go on (through the restart, if one came); then every node reaches the same applied index with a working
        // engine, and every acknowledged value is read back through the cluster. Checked whether or not a node said its
        // engine failed: one that failed without saying so (a broken watch) stays behind and fails this here.
        for (var round = 0; round < 3; round++)
        {
            await WriteRoundAsync(store, last);
        }

        await WaitUntilCaughtUpAsync(cluster);
        for (var w = 0; w < Writers; w++)
        {
            Assert.Equal(last[w], await store.ReadAsync(Key(w)));
        }

        if (FailedNode(cluster) is not { } failed)
        {
            output.WriteLine($"SKIPPED the restart: no node's Raft engine failed in {rounds * Writers * 25} writes (DotNext's defect did not show); the nodes caught up.");
            return;
        }

        output.WriteLine($"node {failed}'s Raft engine failed after {rounds} rounds:\n{cluster.Output(failed)}");
        var restarts = cluster.Output(failed).Split('\n').Count(line => line.Contains("listening on", StringComparison.Ordinal));
        Assert.True(restarts >= 2, $"node {failed} never served again after its failure:\n{cluster.Output(failed)}");
    }

    private static int? FailedNode(LocalCluster cluster)
    {
        for (var node = 0; node < cluster.Members.Count; node++)
        {
            if (cluster.Output(node).Contains(FailureLine, StringComparison.Ordinal))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Every writer writes its own key 25 times, each value one more than its last acknowledged one.</summary>
    private static Task WriteRoundAsync(ClusterKeyValueClient store, long[] last)
        => Task.WhenAll(Enumerable.Range(0, last.Length).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await store.WriteAsync(Key(w), last[w] + 1);
                last[w]++;
            }
        })));

    private static string Key(int writer) => string.Create(CultureInfo.InvariantCulture, $"w{writer}");

    /// <summary>Waits until every node reports a working engine and the applied index the leader had committed when asked.</summary>
    private static async Task WaitUntilCaughtUpAsync(LocalCluster cluster)
    {
        var leader = await cluster.WaitForLeaderAsync();
        var target = await cluster.RequiredStatusFieldAsync(leader, "commit");
        var deadline = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
        while (true)
        {
            var statuses = new string?[cluster.Members.Count];
            for (var node = 0; node < statuses.Length; node++)
            {
                statuses[node] = await cluster.StatusAsync(node);
            }

            if (statuses.All(status => status is not null && status.Contains("raft=ok", StringComparison.Ordinal) && LocalCluster.Field(status, "applied") >= target))
            {
                return;
            }

            Assert.True(Stopwatch.GetTimestamp() < deadline, $"the nodes did not all reach applied index {target} with a working engine:\n{string.Join('\n', statuses)}\n{await cluster.DiagnoseAsync()}");
            await Task.Delay(100);
        }
    }
}
