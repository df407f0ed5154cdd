using System.CommandLine;

namespace TailGuard.Tool.Commands.Cluster;

/// <summary>
/// <c>tailguard cluster</c>: replicated R2P2 services (HovercRaft, docs/replication.md) serving the built-in
/// <see cref="IClusterKeyValue"/> store: <c>start</c> a local cluster of processes, run one <c>node</c> (one per
/// machine), ask members for their <c>status</c>, or <c>bench</c> a cluster.
/// </summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var command = new Command("cluster", "Replicated R2P2 services (HovercRaft on Raft): start a local cluster, run one node, query status, benchmark.");
        command.Subcommands.Add(ClusterStartCommand.Create());
        command.Subcommands.Add(ClusterNodeCommand.Create());
        command.Subcommands.Add(ClusterStatusCommand.Create());
        command.Subcommands.Add(ClusterBenchCommand.Create());
        return command;
    }
}
