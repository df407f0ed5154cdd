namespace TailGuard.Load.Tests.Infrastructure;

/// <summary>
/// Tests that put real load on this machine run one at a time: two generators at once on two cores would starve each
/// other and fail their lateness checks for reasons that are not the code's.
/// </summary>
[CollectionDefinition(nameof(LoadMeasurement), DisableParallelization = true)]
public sealed class LoadMeasurement;
