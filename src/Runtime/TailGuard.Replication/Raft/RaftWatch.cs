using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace TailGuard.Replication.Raft;

/// <summary>
/// Watches a replica's Raft engine for a failure it never recovers from (docs/replication.md, "A failed Raft engine").
/// DotNext's <see cref="WriteAheadLog"/> flushes and applies on background tasks, and when one fails every later append
/// throws; a <see cref="RaftCluster"/> whose state transition fails (a log it cannot read) turns into a "zombie" that
/// takes part in nothing again. Either way the process keeps its connections and a follower freezes where it was, with
/// nothing in its output to say why: DotNext tells only a caller that asks, so this asks every <c>interval</c>.
/// </summary>
internal static class RaftWatch
{
    /// <summary>
    /// Completes with the failure of <paramref name="log"/> or <paramref name="cluster"/> (null for no cluster: the log
    /// alone), or with null once <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static async Task<Exception?> WatchAsync(WriteAheadLog log, RaftCluster? cluster, TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);

                // Index 0 is always applied: a working log answers at once, a failed one with its failure.
                await log.WaitForApplyAsync(0, cancellationToken).ConfigureAwait(false);
                if (cluster is not null && Failure(cluster) is { } failure)
                {
                    return failure;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (ObjectDisposedException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (WriteAheadLog.InternalException failure)
        {
            return failure;
        }
    }

    /// <summary>The failure that turned <paramref name="cluster"/> into a zombie, or null while it works.</summary>
    public static Exception? Failure(RaftCluster cluster)
    {
        try
        {
            _ = cluster.ConsensusToken;
            return null;
        }
        catch (UnreachableException failure)
        {
            return failure;
        }
    }
}
