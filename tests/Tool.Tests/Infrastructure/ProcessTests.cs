namespace TailGuard.Tool.Tests.Infrastructure;

/// <summary>
/// Tests that start servers and agents as processes and put load through them run one at a time: two load runs at
/// once on two cores would starve each other.
/// </summary>
[CollectionDefinition(nameof(ProcessTests), DisableParallelization = true)]
public sealed class ProcessTests;
