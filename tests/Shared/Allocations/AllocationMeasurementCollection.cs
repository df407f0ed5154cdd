namespace TailGuard.Testing;

/// <summary>
/// The tests that count allocated bytes run alone, after the parallel ones (xunit needs the definition in each test
/// assembly; tests/Shared is compiled into every one). Alone, no other test's work lands on the threads they count.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasurementCollection
{
    /// <summary>The collection name: <c>[Collection(AllocationMeasurementCollection.Name)]</c>.</summary>
    public const string Name = "Allocation measurement";
}
