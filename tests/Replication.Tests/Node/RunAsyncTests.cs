using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Tool.Commands.Cluster;

namespace TailGuard.Replication.Tests.Node;

/// <summary>
/// <see cref="ReplicatedNode.RunAsync"/> (docs/replication.md, "A failed Raft engine"): a node whose Raft engine failed
/// is disposed and started again from its data directory with a fresh state, which it rebuilds from disk; cancelling
/// stops it. The failure is injected where the watch reports one (a real one takes a loaded multi-process cluster:
/// RaftFailureTests), so what is tested here is the host's part, with what a stopped node reports for the host to print.
/// </summary>
public sealed class RunAsyncTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tg-runasync-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ANodeWhoseEngineFailedStartsAgainFromItsDataDirectoryWithAFreshState()
    {
        var options = new ReplicatedNodeOptions { Members = [FreePorts.Pick(IPAddress.Loopback, 1)[0]], Self = 0, DataDirectory = _directory };
        var stores = new List<ClusterKeyValueStore>();
        var starts = new List<(ReplicatedNode Node, Exception? Failure)>();
        var startedAgain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstStart = new TaskCompletionSource<ReplicatedNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var running = ReplicatedNode.RunAsync(
            options,
            () =>
            {
                var store = new ClusterKeyValueStore();
                stores.Add(store);
                return (new ClusterKeyValueDispatcher(store), store);
            },
            (node, failure) =>
            {
                starts.Add((node, failure));
                if (starts.Count == 1)
                {
                    firstStart.SetResult(node);
                }
                else
                {
                    startedAgain.TrySetResult();
                }
            },
            stop.Token);

        var first = await firstStart.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await first.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        await using (var client = ReplicatedClient.CreateUdp(options.Members))
        {
            var store = new ClusterKeyValueClient(client);
            for (var i = 1; i <= 20; i++)
            {
                await store.WriteAsync("k" + i % 4, i);
            }
        }

        var injected = new InvalidOperationException("injected: WAL page 7 doesn't exist on the disk");
        first.ReportRaftFailure(injected);
        await startedAgain.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, starts.Count);
        Assert.Same(injected, starts[1].Failure);
        Assert.Null(starts[0].Failure);
        Assert.NotSame(stores[0], stores[1]);

        // The new node rebuilt the state from its data directory, and serves it.
        var second = starts[1].Node;
        await second.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        await using (var client = ReplicatedClient.CreateUdp(options.Members))
        {
            var store = new ClusterKeyValueClient(client);
            Assert.Equal(20, await store.ReadAsync("k0"));
            Assert.Equal(17, await store.ReadAsync("k1"));
            await store.WriteAsync("k1", 100);
            Assert.Equal(100, await store.ReadAsync("k1"));
        }

        Assert.Null(second.RaftFailure);
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, starts.Count);
        Assert.Contains("raft=ok", second.DescribeStatus(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStoppedNodeStillReportsTheTermItReached()
    {
        // What `tailguard cluster node` prints when it stops: a closed log answers term 0, which the node must not repeat.
        // Two members, because DotNext makes a lone member leader without an election (term 0).
        var members = FreePorts.Pick(IPAddress.Loopback, 2);
        var nodes = new List<ReplicatedNode>();
        try
        {
            for (var self = 0; self < members.Count; self++)
            {
                var options = new ReplicatedNodeOptions { Members = members, Self = self, DataDirectory = Path.Combine(_directory, $"node{self}") };
                var store = new ClusterKeyValueStore();
                nodes.Add(await ReplicatedNode.StartAsync(options, new ClusterKeyValueDispatcher(store), store));
            }

            Assert.True(await nodes[0].WaitForLeaderAsync(TimeSpan.FromSeconds(30)) >= 0, "no leader was elected");
            var term = nodes[0].Term;
            Assert.True(term > 0, $"an elected leader's term is at least 1, not {term}");

            await nodes[0].DisposeAsync();

            var stopped = nodes[0].Term;
            Assert.True(stopped >= term, $"the stopped node reports term {stopped}, below the {term} it had reached");
            Assert.Contains($"term={stopped} ", nodes[0].DescribeStatus(), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ACancelledRunStopsWithoutThrowing()
    {
        var options = new ReplicatedNodeOptions { Members = [FreePorts.Pick(IPAddress.Loopback, 1)[0]], Self = 0, DataDirectory = _directory };
        using var stop = new CancellationTokenSource();
        var started = new TaskCompletionSource<ReplicatedNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = ReplicatedNode.RunAsync(options, () => { var s = new ClusterKeyValueStore(); return (new ClusterKeyValueDispatcher(s), s); }, (node, _) => started.SetResult(node), stop.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(30));

        // Stopped for good: its endpoint is free again.
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        socket.Bind(options.Members[0]);
    }
}
