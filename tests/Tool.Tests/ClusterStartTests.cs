using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.Tool.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TailGuard.Tool.Tests;

/// <summary>
/// <c>tailguard cluster start</c> watches the node processes it started (docs/replication.md, "The tailguard cluster
/// command"): a node that exits before there is a leader fails the start, and the others are stopped; one that exits
/// later leaves the cluster running, until no node is left. The node processes are found by their <c>--data</c>
/// folders on their command lines, so the tests see exactly what runs.
/// </summary>
[Collection(nameof(ProcessTests))]
public sealed class ClusterStartTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patient = TimeSpan.FromSeconds(90);

    private readonly string _folder = Directory.CreateTempSubdirectory("tailguard-cluster-start-").FullName;

    [Fact]
    public async Task A_node_that_cannot_start_fails_the_start_and_the_other_nodes_are_stopped()
    {
        File.WriteAllText(Path.Combine(_folder, "node1"), "a file where node 1's folder would go");
        using var start = ToolProcess.Start(null, "cluster", "start", "--data", _folder);

        var code = await start.WaitForExitAsync(Patient);
        output.WriteLine(start.Output);

        Assert.Equal(1, code);
        Assert.Contains("node 1 exited with code 2", start.Output, StringComparison.Ordinal);
        Assert.Contains("a node exited before the cluster had a leader", start.Output, StringComparison.Ordinal);
        Assert.Contains("stopped 3 node processes", start.Output, StringComparison.Ordinal);
        Assert.Empty(NodeProcesses());
    }

    [Fact]
    public async Task A_node_killed_after_the_election_leaves_the_cluster_running_until_no_node_is_left()
    {
        using var start = ToolProcess.Start(null, "cluster", "start", "--data", _folder);
        await start.WaitForOutputAsync("leader: node", Patient);
        var nodes = NodeProcesses();
        Assert.Equal(3, nodes.Count);

        // Each exit is reported while the command runs on: one that had stopped on the first exit would not report
        // the second (a stopping cluster's exits are its own doing).
        Kill(nodes[0]);
        await start.WaitForOutputAsync("2 of 3 still running", Patient);
        Kill(nodes[1]);
        await start.WaitForOutputAsync("1 of 3 still running", Patient);
        Assert.False(start.HasExited, start.Output);

        Kill(nodes[2]);
        var code = await start.WaitForExitAsync(Patient);
        output.WriteLine(start.Output);
        Assert.Equal(1, code);
        Assert.Contains("every node exited", start.Output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var id in NodeProcesses())
        {
            Kill(id);
        }

        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>The ids of the running processes whose command line names this test's data folder (its nodes).</summary>
    private List<int> NodeProcesses()
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var id) || id == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var arguments = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0');
                if (arguments.Contains("node") && arguments.Any(a => a.StartsWith(_folder, StringComparison.Ordinal)))
                {
                    found.Add(id);
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }

        found.Sort();
        return found;
    }

    private static void Kill(int id)
    {
        try
        {
            using var process = Process.GetProcessById(id);
            process.Kill();
            process.WaitForExit(10_000);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }
}
