using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Replication;

namespace TailGuard.Samples.ReplicatedKeyValue;

/// <summary>What <c>run</c> does once the cluster's processes are started: write, kill the leader, check, report.</summary>
internal static class Demonstration
{
    private static readonly TimeSpan Elections = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(LocalCluster cluster, int writes, CancellationToken cancellationToken)
    {
        Say($"cluster of {cluster.Members.Length} replica processes: {string.Join(", ", cluster.Members.Select(m => m.ToString()))}");
        var leader = await cluster.WaitForLeaderAsync(Elections);
        Say($"leader: node {leader}");

        // Attempts shorter than an election: a call in flight when the leader dies is retried through the next one.
        await using var replicated = ReplicatedClient.CreateUdp(cluster.Members, new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromSeconds(20) });
        var store = new ReplicatedKeyValueClient(replicated);
        var acknowledged = new Dictionary<string, long>(StringComparer.Ordinal);
        var latencies = new List<double>(writes);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < writes; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = "key" + i.ToString(CultureInfo.InvariantCulture);
            var call = Stopwatch.GetTimestamp();
            await store.PutAsync(key, i * 7L);
            latencies.Add(Stopwatch.GetElapsedTime(call).TotalMicroseconds);
            acknowledged[key] = i * 7L;
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        latencies.Sort();
        Say($"{writes} writes acknowledged in {seconds:F2} s ({writes / seconds:F0}/s one at a time); latency p50 {Percentile(latencies, 0.5):F0} us, p99 {Percentile(latencies, 0.99):F0} us");

        cluster.Kill(leader);
        var killed = Stopwatch.GetTimestamp();
        Say($"killed the leader's process (node {leader})");
        await store.PutAsync("after-failover", 1);
        var failover = Stopwatch.GetElapsedTime(killed);
        acknowledged["after-failover"] = 1;
        var successor = await cluster.WaitForLeaderAsync(Elections);
        Say($"new leader: node {successor}; first write after the kill acknowledged after {failover.TotalMilliseconds:F0} ms (failover)");

        var lost = new List<string>();
        foreach (var (key, value) in acknowledged)
        {
            var read = await store.ReadAsync(key);
            if (read != value)
            {
                lost.Add($"{key} = {read}, acknowledged {value}");
            }
        }

        Say($"read back {acknowledged.Count} acknowledged writes: {(lost.Count == 0 ? "none lost" : $"{lost.Count} LOST")}");
        foreach (var line in lost.Take(10))
        {
            Say("  " + line);
        }

        Say($"client: {replicated.Statistics.Calls} calls, {replicated.Statistics.Attempts} attempts (retries went through the new leader)");
        Say($"load average: {LoadAverage()}");
        return lost.Count == 0 ? 0 : 1;
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    private static string LoadAverage()
    {
        try
        {
            return System.IO.File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (System.IO.IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private static void Say(string line)
    {
        Console.WriteLine(line);
        Console.Out.Flush();
    }
}
