using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
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
/// while a fault thread kills, restarts and pauses (SIGSTOP: a node cut off without dying) random nodes; every
/// recorded history must be linearizable (docs/replication.md, "Guarantees"). Reads go the read-only path (run by one
/// replica). CI runs one short round; <c>tests/Replication.Tests/run-linearizability.sh</c> runs many longer ones
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
        using var cluster = LocalCluster.Start(3);
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var history = new List<RegisterOperation>();
        var faults = new List<string>();
        using var stop = new CancellationTokenSource(duration);
        var clients = Enumerable.Range(0, 3).Select(c => RunClientAsync(cluster, c, random.Next(), history, stop.Token)).ToArray();
        var faulting = InjectFaultsAsync(cluster, new Random(random.Next()), faults, stop.Token);
        await Task.WhenAll(clients);
        await faulting;

        var completed = history.Count(o => o.Completed);
        output.WriteLine($"{history.Count} operations ({completed} completed); faults: {string.Join(", ", faults)}");
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

    private static async Task InjectFaultsAsync(LocalCluster cluster, Random random, List<string> faults, CancellationToken stop)
    {
        var down = -1;
        var paused = -1;
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
                else
                {
                    // One node at a time: a majority stays, so the cluster keeps making progress.
                    var node = random.Next(3);
                    if (random.Next(2) == 0)
                    {
                        cluster.Kill(node);
                        down = node;
                        faults.Add($"kill {node}");
                    }
                    else
                    {
                        cluster.Pause(node);
                        paused = node;
                        faults.Add($"pause {node}");
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
        }
    }

    private static int EnvironmentNumber(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}
