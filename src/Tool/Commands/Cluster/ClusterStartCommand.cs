using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Cluster;

/// <summary>
/// <c>tailguard cluster start [--nodes 3|5]</c>: a local cluster of the built-in store, one process per node, until
/// Ctrl+C, SIGTERM or <c>--duration</c>; then every node process is killed and a temporary data directory removed.
/// Prints the members list clients need and the first leader. Fails (exit 1) when a node exits before there is a
/// leader, or when every node has exited.
/// </summary>
internal static class ClusterStartCommand
{
    public static Command Create()
    {
        var nodes = ToolOptions.Count("--nodes", "How many nodes (processes): 3 tolerates one failure, 5 two.", 3, 1, 9);
        var host = new Option<string?>("--host") { Description = "The address every node binds. [default: 127.0.0.1]", HelpName = "ADDRESS" };
        var basePort = ToolOptions.Count("--base-port", "Node i listens on BASE+i (0: free ports the kernel picks).", 0, 0, 65000);
        var data = new Option<string?>("--data") { Description = "The parent of the nodes' data directories (node0, node1, ...), kept after the run. [default: a temporary directory, removed]", HelpName = "DIR" };
        var duration = ToolOptions.Duration("--duration", "Stop by itself after this long (0: until Ctrl+C or SIGTERM).", TimeSpan.Zero);
        var settings = NodeSettings.Create();

        var command = new Command("start", "Start a local replicated cluster of the built-in key-value store, one process per node.");
        command.Options.Add(nodes.Option);
        command.Options.Add(host);
        command.Options.Add(basePort.Option);
        command.Options.Add(data);
        command.Options.Add(duration.Option);
        settings.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var count = nodes.Get(parse);
            if (!IPAddress.TryParse(parse.GetValue(host) ?? "127.0.0.1", out var address))
            {
                throw ToolException.Usage($"--host: '{parse.GetValue(host)}' is not an IP address");
            }

            var first = basePort.Get(parse);
            var members = first == 0
                ? FreePorts.Pick(address, count)
                : Enumerable.Range(0, count).Select(i => new IPEndPoint(address, first + i)).ToArray();
            var given = parse.GetValue(data);
            var root = given is null ? Directory.CreateTempSubdirectory("tailguard-cluster-").FullName : DataDirectory.Prepare(given);
            var list = string.Join(',', members.Select(m => m.ToString()));
            var processes = new List<NodeProcess>();
            var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken); // not disposed: a late exit may still cancel it
            if (duration.Get(parse) is var limit && limit > TimeSpan.Zero)
            {
                stop.CancelAfter(limit);
            }

            // A node that exits before there is a leader failed to start, and so did the cluster; one that exits later
            // is a failure the cluster rides out (kill the leader to watch a failover) until no node is left.
            var running = count;
            var led = false;
            var failed = false;
            void Exited(NodeProcess node)
            {
                if (stop.IsCancellationRequested)
                {
                    return; // the cluster is stopping (Ctrl+C also reaches the nodes, --duration, this command's kill)
                }

                var left = Interlocked.Decrement(ref running);
                Say(output, $"node {node.Index} exited with code {node.ExitCode}; {left} of {count} still running");
                if (!Volatile.Read(ref led) || left == 0)
                {
                    Volatile.Write(ref failed, true);
                    stop.Cancel();
                }
            }

            try
            {
                Say(output, $"cluster of {count} nodes: --members {list} (data in {root})");
                for (var i = 0; i < count; i++)
                {
                    var arguments = new List<string> { "--members", list, "--id", i.ToString(CultureInfo.InvariantCulture), "--data", Path.Combine(root, $"node{i}") };
                    arguments.AddRange(settings.Arguments(parse));
                    processes.Add(NodeProcess.Start(i, arguments, output, Exited));
                }

                var leader = await WaitForLeaderAsync(members, LeaderWait, stop.Token).ConfigureAwait(false);
                Volatile.Write(ref led, leader is not null);
                if (leader is not null)
                {
                    Say(output, $"leader: {leader}; try: tailguard cluster status --members {list}");
                }
                else if (!stop.IsCancellationRequested)
                {
                    Say(output, $"no leader yet after {LeaderWait.TotalSeconds:0} s: check the nodes' output above");
                }

                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C, SIGTERM, --duration or the nodes' exits.
                }

                if (Volatile.Read(ref failed))
                {
                    throw new ToolException(Volatile.Read(ref led)
                        ? "every node exited: see their output above"
                        : "a node exited before the cluster had a leader: see its output above");
                }

                return ExitCodes.Ok;
            }
            finally
            {
                stop.Cancel(); // from here on, nodes exit because this command kills them
                foreach (var process in processes)
                {
                    process.Dispose();
                }

                Say(output, $"stopped {processes.Count} node processes");
                if (given is null)
                {
                    try
                    {
                        Directory.Delete(root, recursive: true);
                    }
                    catch (IOException)
                    {
                        // Best effort: a temporary directory.
                    }
                }
            }
        });
        return command;
    }

    /// <summary>How long <c>cluster start</c> waits for the first leader before it says there is none yet.</summary>
    private static readonly TimeSpan LeaderWait = TimeSpan.FromSeconds(30);

    /// <summary>The status line of the member that says it leads, or null.</summary>
    public static async Task<string?> WaitForLeaderAsync(IReadOnlyList<IPEndPoint> members, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            for (var i = 0; i < members.Count; i++)
            {
                var status = await ClusterStatusCommand.QueryAsync(members[i], TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
                if (status is not null && status.Contains($"node={i} leader={i} ", StringComparison.Ordinal))
                {
                    return $"node {i} ({members[i]})";
                }
            }

            try
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return null;
    }

    private static void Say(TextWriter output, string line)
    {
        lock (output)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
