namespace TailGuard.Replication.Tests.Infrastructure;

/// <summary>
/// Tests that start clusters of node processes run one at a time: three or five replicas, their Raft timers and a
/// client on two shared cores are already a crowd.
/// </summary>
[CollectionDefinition(nameof(ClusterTests), DisableParallelization = true)]
public sealed class ClusterTests;
