using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load;
using TailGuard.R2P2;
using TailGuard.Replication;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Cluster;

/// <summary>
/// <c>tailguard cluster bench --members A,B,C</c>: closed-loop clients of the built-in store for a while, each call a
/// 64-byte (<c>--size</c>) put (read-write) or fetch (read-only, <c>--read-fraction</c>); prints throughput, p50/p99
/// and the calls that failed or were retried. <c>--leader-only</c> sends each call to one replica at a time (the plain
/// leader-based baseline: nodes started with <c>--mode leader</c>). Used by benchmarks/scripts/replication.sh.
/// </summary>
internal static class ClusterBenchCommand
{
    public static Command Create()
    {
        var members = ToolOptions.EndPoints("--members", "The cluster's members (HOST:PORT,...), in the nodes' order.");
        members.Required = true;
        var duration = ToolOptions.Duration("--duration", "How long to measure (after a 1 s warm-up).", TimeSpan.FromSeconds(5));
        var concurrency = ToolOptions.Count("--concurrency", "Calls in flight (closed loop).", 16, 1, 1024);
        var size = ToolOptions.Count("--size", "Value bytes per put.", 64, 0, ClusterKeyValueStore.MaxValueBytes);
        var readFraction = ToolOptions.Percent("--read-fraction", "The share of calls that are read-only fetches.", 0, 1);
        var leaderOnly = new Option<bool>("--leader-only") { Description = "Send each call to one replica at a time (for --mode leader clusters) instead of every replica." };
        var multicast = NodeSettings.MulticastOption("Send each call once to this IPv4 multicast group (GROUP:PORT) instead of to every replica: for clusters started with the same --multicast.");
        var command = new Command("bench", "Measure a cluster's throughput and latency with the built-in store.");
        command.Options.Add(members);
        command.Options.Add(duration.Option);
        command.Options.Add(concurrency.Option);
        command.Options.Add(size.Option);
        command.Options.Add(readFraction.Option);
        command.Options.Add(leaderOnly);
        command.Options.Add(multicast);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var list = parse.GetValue(members)!;
            var value = new byte[size.Get(parse)];
            var reads = readFraction.Get(parse);
            var group = parse.GetValue(multicast);
            if (group is not null && parse.GetValue(leaderOnly))
            {
                throw ToolException.Usage("--multicast sends each call to every replica at once; --leader-only sends it to one.");
            }

            // A cluster that is not there, or has no majority, is said at once, not after the preload's timeouts.
            if (await ClusterStartCommand.WaitForLeaderAsync(list, LeaderWait, cancellationToken).ConfigureAwait(false) is null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new ToolException($"no member said it leads within {LeaderWait.TotalSeconds:0} s (tailguard cluster status --members {string.Join(',', list)}): is the cluster running, with a majority of its members?");
            }

            await using var client = ReplicatedClient.CreateUdp(list, new ReplicatedClientOptions { FanOut = !parse.GetValue(leaderOnly), MulticastGroup = group, Timeout = TimeSpan.FromSeconds(10) });
            var store = new ClusterKeyValueClient(client);
            var keys = Enumerable.Range(0, 1024).Select(i => "k" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            var preloadFailures = 0;
            foreach (var key in keys.Take(64))
            {
                try
                {
                    await store.PutAsync(key, value).ConfigureAwait(false); // what fetches read
                }
                catch (R2P2Exception error)
                {
                    // A slow or busy cluster: a fetch of this key then finds nothing, which is still a read. Eight
                    // failures are a cluster that does not take writes.
                    if (++preloadFailures == 8)
                    {
                        throw new ToolException($"the cluster did not take writes: {preloadFailures} of the first {Array.IndexOf(keys, key) + 1} failed (the last: {error.Message}); see tailguard cluster status --members {string.Join(',', list)}", error);
                    }
                }
            }

            var latency = new LatencyDistribution();
            var failures = 0L;
            var measuring = 0;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var workers = Enumerable.Range(0, concurrency.Get(parse)).Select(w => Task.Run(async () =>
            {
                var random = new Random(w);
                var destination = new byte[ClusterKeyValueStore.MaxValueBytes];
                while (!stop.IsCancellationRequested)
                {
                    var key = keys[random.Next(64)];
                    var start = Stopwatch.GetTimestamp();
                    try
                    {
                        if (random.NextDouble() < reads)
                        {
                            await store.FetchAsync(key, destination).ConfigureAwait(false);
                        }
                        else
                        {
                            await store.PutAsync(key, value).ConfigureAwait(false);
                        }
                    }
                    catch (R2P2Exception)
                    {
                        Interlocked.Increment(ref failures);
                        continue;
                    }

                    if (Volatile.Read(ref measuring) == 1)
                    {
                        var nanoseconds = (long)(Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1e6);
                        lock (latency)
                        {
                            latency.Record(nanoseconds);
                        }
                    }
                }
            }, CancellationToken.None)).ToArray();

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            var attemptsBefore = client.Statistics.Attempts;
            var callsBefore = client.Statistics.Calls;
            var windowWaitsBefore = client.Statistics.WindowWaits;
            Volatile.Write(ref measuring, 1);
            var measured = Stopwatch.StartNew();
            await Task.Delay(duration.Get(parse), cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref measuring, 0);
            var seconds = measured.Elapsed.TotalSeconds;
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(workers).ConfigureAwait(false);

            long completed;
            double p50, p99;
            lock (latency)
            {
                completed = latency.Completed;
                p50 = latency.Estimate(50).Microseconds;
                p99 = latency.Estimate(99).Microseconds;
            }

            var retries = (client.Statistics.Attempts - attemptsBefore) - (client.Statistics.Calls - callsBefore);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"throughput {completed / seconds:F0} calls/s  p50 {p50:F0} us  p99 {p99:F0} us  calls {completed}  retries {retries}  window waits {client.Statistics.WindowWaits - windowWaitsBefore}  failed {failures}  (read fraction {reads:0.##}, size {value.Length} B, concurrency {concurrency.Get(parse)}, {(parse.GetValue(leaderOnly) ? "leader-only" : group is null ? "fan-out" : $"multicast {group}")}, {(double)client.Statistics.RequestDatagrams / Math.Max(1, client.Statistics.Attempts + client.Statistics.Registrations):F2} datagrams per attempt)"));
            return completed > 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>How long the bench waits for a member that says it leads before it gives up.</summary>
    private static readonly TimeSpan LeaderWait = TimeSpan.FromSeconds(10);
}
