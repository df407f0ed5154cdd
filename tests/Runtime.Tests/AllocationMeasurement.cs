namespace TailGuard.Tests;

/// <summary>
/// The tests that assert zero allocations run alone, after the parallel ones. Each also collects before measuring: a
/// collection triggered by another thread retires this thread's allocation context, and the unused rest of that context
/// then shows up in <see cref="System.GC.GetAllocatedBytesForCurrentThread"/> as if it had been allocated.
/// </summary>
[CollectionDefinition(nameof(AllocationMeasurement), DisableParallelization = true)]
public sealed class AllocationMeasurement;
