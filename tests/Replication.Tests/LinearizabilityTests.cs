using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Replication.Tests.Infrastructure;
using TailGuard.Replication.Tests.Linearizability;
using TailGuard.Tool.Commands.Cluster;
using Xunit.Abstractions;

namespace TailGuard.Replication.Tests;

/// <summary>
/// Concurrent clients read, write, compare-and-swap and increment a few registers of a 3-node cluster (processes)
/// while a fault thread kills, restarts, pauses (SIGSTOP: a node stalled without dying) and partitions (network
/// namespaces, blackhole routes between the nodes, often the leader) random nodes; every recorded history must be
/// linearizable (docs/replication.md, "Guarantees"). On each partition a client that reaches only the cut-off node
/// writes through it: that write must not be acknowledged (split brain), and it joins the history. Reads go the
/// read-only path (run by one replica). Without network namespaces (not root) the round runs without partitions and
/// says so. CI runs one short round; <c>tests/Replication.Tests/run-linearizability.sh</c> runs many longer ones
/// (TG_LINEARIZABILITY_ROUNDS, TG_LINEARIZABILITY_SECONDS).
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class LinearizabilityTests(ITestOutputHelper output)
{
    private static readonly string[] Keys = ["x", "y", "z"];

    [Fact]
    public async Task HistoriesOfConcurrentClientsUnderRandomFaultsAreLinearizable()
    {
        var rounds = EnvironmentNumber("TG_LINEARIZABILITY_ROUNDS", 1);
        var seconds = EnvironmentNumber("TG_LINEARIZABILITY_SECONDS", 6);
        var seed = EnvironmentNumber("TG_LINEARIZABILITY_SEED", Environment.TickCount);
        output.WriteLine($"rounds {rounds}, {seconds} s each, seed {seed}");
        for (var round = 0; round < rounds; round++)
        {
            await RunRoundAsync(new Random(seed + round), TimeSpan.FromSeconds(seconds));
        }
    }

    private async Task RunRoundAsync(Random random, TimeSpan duration)
    {
        using var network = NamespaceNetwork.TryCreate(3, out var reason);
        if (network is null)
        {
            output.WriteLine($"partitions skipped: needs network namespaces, veth and a bridge (root): {reason}");
        }

        var port = Random.Shared.Next(20000, 30000); // inside namespaces of this test alone
        using var cluster = network is null
            ? LocalCluster.Start(3)
            : LocalCluster.Start(network.Addresses.Select(a => new IPEndPoint(a, port)).ToArray(), i => network.Namespaces[i]);
        await cluster.WaitForLeaderAsync();
        var history = new List<RegisterOperation>();
        var faults = new List<string>();
        var splitBrain = new List<string>();
        using var stop = new CancellationTokenSource(duration);
        var clients = Enumerable.Range(0, 3).Select(c => RunClientAsync(cluster, c, random.Next(), history, stop.Token)).ToArray();
        var faulting = InjectFaultsAsync(cluster, network, new Random(random.Next()), history, faults, splitBrain, stop.Token);
        await Task.WhenAll(clients);
        await faulting;

        var completed = history.Count(o => o.Completed);
        output.WriteLine($"{history.Count} operations ({completed} completed); faults: {string.Join(", ", faults)}");
        Assert.True(splitBrain.Count == 0, $"a node cut off from the majority acknowledged a write: {string.Join(", ", splitBrain)}\nfaults: {string.Join(", ", faults)}\n{await cluster.DiagnoseAsync()}");
        Assert.True(completed >= 10, $"too few operations completed to check anything ({completed})\n{await cluster.DiagnoseAsync()}");
        Assert.True(LinearizabilityChecker.Check(history, out var failure), $"{failure}\nfaults: {string.Join(", ", faults)}\n{await cluster.DiagnoseAsync()}");
    }

    private static async Task RunClientAsync(LocalCluster cluster, int id, int seed, List<RegisterOperation> history, CancellationToken stop)
    {
        var random = new Random(seed);
        await using var client = cluster.Client(new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromMilliseconds(150), Timeout = TimeSpan.FromSeconds(2) });
        var store = new ClusterKeyValueClient(client);
        while (!stop.IsCancellationRequested)
        {
            var key = Keys[random.Next(Keys.Length)];
            var value = random.Next(1, 6);
            var expected = random.Next(0, 6);
            var kind = (RegisterOperationKind)random.Next(4);
            var call = Stopwatch.GetTimestamp();
            RegisterOperation operation;
            try
            {
                operation = kind switch
                {
                    RegisterOperationKind.Read => RegisterOperation.Read(id, key, call, 0, await store.ReadAsync(key)),
                    RegisterOperationKind.Write => await WriteAsync(store, id, key, value, call),
                    RegisterOperationKind.CompareAndSwap => RegisterOperation.CompareAndSwap(id, key, expected, value, call, 0, await store.CompareAndSwapAsync(key, expected, value)),
                    _ => RegisterOperation.Increment(id, key, call, 0, await store.IncrementAsync(key)),
                };
                operation = operation with { Return = Stopwatch.GetTimestamp() };
            }
            catch (R2P2Exception)
            {
                // Timed out or refused: the outcome is unknown (it may still take effect).
                operation = new RegisterOperation(id, key, kind, kind == RegisterOperationKind.CompareAndSwap || kind == RegisterOperationKind.Write ? value : 0, expected, call, 0, true, 0).Unknown();
            }

            lock (history)
            {
                history.Add(operation);
            }
        }
    }

    private static async Task<RegisterOperation> WriteAsync(ClusterKeyValueClient store, int id, string key, long value, long call)
    {
        await store.WriteAsync(key, value);
        return RegisterOperation.Write(id, key, value, call, 0);
    }

    private static async Task InjectFaultsAsync(LocalCluster cluster, NamespaceNetwork? network, Random random, List<RegisterOperation> history, List<string> faults, List<string> splitBrain, CancellationToken stop)
    {
        var down = -1;
        var paused = -1;
        var partitioned = -1;
        var isolatedWrites = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(random.Next(400, 1200), stop);
                if (down >= 0)
                {
                    cluster.Start(down);
                    faults.Add($"restart {down}");
                    down = -1;
                }
                else if (paused >= 0)
                {
                    cluster.Resume(paused);
                    faults.Add($"resume {paused}");
                    paused = -1;
                }
                else if (partitioned >= 0)
                {
                    network!.Heal();
                    faults.Add($"heal {partitioned}");
                    partitioned = -1;
                }
                else
                {
                    // One node at a time: a majority stays, so the cluster keeps making progress.
                    var node = random.Next(3);
                    switch (random.Next(network is null ? 2 : 3))
                    {
                        case 0:
                            cluster.Kill(node);
                            down = node;
                            faults.Add($"kill {node}");
                            break;
                        case 1:
                            cluster.Pause(node);
                            paused = node;
                            faults.Add($"pause {node}");
                            break;
                        default:
                            // Half the partitions cut off the leader: the old leader still believes it leads.
                            var leader = await cluster.StatusFieldAsync(node, "leader");
                            if (random.Next(2) == 0 && leader is >= 0 and < 3)
                            {
                                node = (int)leader.Value;
                            }

                            network!.Partition(node);
                            partitioned = node;
                            faults.Add($"partition {node}{(node == leader ? " (leader)" : string.Empty)}");
                            await WriteThroughIsolatedAsync(cluster, node, 1000 + isolatedWrites++, history, splitBrain);
                            break;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            if (paused >= 0)
            {
                cluster.Resume(paused);
            }

            network?.Heal();
        }
    }

    /// <summary>
    /// Writes through the node just cut off, with a client that reaches it alone: it cannot gather a majority, so the
    /// write must not be acknowledged. Either way the write joins the history (unknown when unacknowledged: it may
    /// still take effect later, and the checker must allow that).
    /// </summary>
    private static async Task WriteThroughIsolatedAsync(LocalCluster cluster, int node, long value, List<RegisterOperation> history, List<string> splitBrain)
    {
        const int IsolatedClient = 3;
        var key = Keys[(int)(value % Keys.Length)];
        await using var isolated = ReplicatedClient.CreateUdp([cluster.Members[node]], new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromMilliseconds(150), Timeout = TimeSpan.FromMilliseconds(600) });
        var call = Stopwatch.GetTimestamp();
        RegisterOperation operation;
        try
        {
            await new ClusterKeyValueClient(isolated).WriteAsync(key, value);
            operation = RegisterOperation.Write(IsolatedClient, key, value, call, Stopwatch.GetTimestamp());
            splitBrain.Add($"node {node} acknowledged {key}={value}");
        }
        catch (R2P2Exception)
        {
            operation = RegisterOperation.Write(IsolatedClient, key, value, call, 0).Unknown();
        }

        lock (history)
        {
            history.Add(operation);
        }
    }

    private static int EnvironmentNumber(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}
