namespace TailGuard.Boundary;

/// <summary>What a trust domain's entry has done so far: a snapshot, read from the host (<see cref="TrustDomainHost{TService}.Counters"/>).</summary>
/// <param name="Completed">Calls answered <see cref="CallStatus.Ok"/>.</param>
/// <param name="Refused">Calls answered with any other status (refused frames, implementation faults, calls after the domain stopped).</param>
/// <param name="EntriesRefused">
/// Switches into the domain refused without touching the call region, because another call was in flight on it (a
/// second core entering, or an entry during the domain's own out-call).
/// </param>
/// <param name="LastStatus">The status of the last answered call (<see cref="CallStatus.Pending"/> before the first).</param>
public readonly record struct BoundaryCounters(long Completed, long Refused, long EntriesRefused, CallStatus LastStatus)
{
    /// <summary>A domain's counters from its cores' (a host counting per core channel): the sums, and the last status any core saw.</summary>
    internal static BoundaryCounters Sum(System.Collections.Generic.IEnumerable<BoundaryCounters> cores)
    {
        long completed = 0;
        long refused = 0;
        long entriesRefused = 0;
        CallStatus last = CallStatus.Pending;
        foreach (BoundaryCounters counters in cores)
        {
            completed += counters.Completed;
            refused += counters.Refused;
            entriesRefused += counters.EntriesRefused;
            last = counters.LastStatus == CallStatus.Pending ? last : counters.LastStatus;
        }

        return new BoundaryCounters(completed, refused, entriesRefused, last);
    }
}
