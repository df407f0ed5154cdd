using System;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Replication.Tests.Infrastructure;
using TailGuard.Tool.Commands.Cluster;

namespace TailGuard.Replication.Tests;

/// <summary>
/// A payload an ordered entry names outlives the parked table's age bound (docs/replication.md, "Parking and
/// joining"): a write applied long after it was parked, on every replica, is applied, where dropping its payload by age
/// would leave no member to recover it from and stall every replica at its entry.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class ParkingTests
{
    [Fact]
    public async Task WritesAppliedLongAfterTheirPayloadsTimedOutAreAppliedFromTheKeptCopies()
    {
        // Every replica applies 150 ms per entry and keeps a payload no entry names for 300 ms: of ten writes sent at
        // once, all but the first two are applied after their payloads' timeout, on every replica.
        const int Writes = 10;
        using var cluster = LocalCluster.Start(3, "--apply-delay", "150ms", "--parked-timeout", "300ms");
        await cluster.WaitForLeaderAsync();

        // A write through retries first: a request that reaches the leader before it takes office is parked and
        // never ordered (its client's retry is), and the calls below do not retry.
        await using (var warmUp = cluster.Client())
        {
            await new ClusterKeyValueClient(warmUp).WriteAsync("warm-up", 1);
        }

        // One attempt per call, longer than the batch takes to apply: a retry would park its payload afresh and hide
        // a dropped one.
        await using var client = cluster.Client(new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromSeconds(40), Timeout = TimeSpan.FromSeconds(40) });
        var store = new ClusterKeyValueClient(client);
        var writes = Enumerable.Range(0, Writes).Select(i => store.WriteAsync("p" + i.ToString(CultureInfo.InvariantCulture), i).AsTask()).ToArray();
        try
        {
            await Task.WhenAll(writes);
        }
        catch (R2P2Exception error)
        {
            Assert.Fail($"a write whose payload outlived the timeout was not answered: {error.Message}\n{await cluster.DiagnoseAsync()}");
        }

        Assert.True(client.Statistics.Attempts == client.Statistics.Calls, $"{client.Statistics.Attempts} attempts for {client.Statistics.Calls} calls: a retry re-parked a payload");
        var kept = 0L;
        for (var node = 0; node < 3; node++)
        {
            kept += await cluster.RequiredStatusFieldAsync(node, "parked_kept");
        }

        Assert.True(kept > 0, $"no replica kept a payload past its timeout: the test did not exercise the bound\n{await cluster.DiagnoseAsync()}");
        var commit = await cluster.RequiredStatusFieldAsync(await cluster.WaitForLeaderAsync(), "commit");
        for (var node = 0; node < 3; node++)
        {
            var replica = node;
            await FailureTests.Eventually(async () => await cluster.StatusFieldAsync(replica, "applied") >= commit, $"replica {replica} applies every entry", cluster);
        }

        for (var i = 0; i < Writes; i++)
        {
            Assert.Equal(i, await store.ReadAsync("p" + i.ToString(CultureInfo.InvariantCulture)));
        }
    }
}
