using System.Diagnostics.Metrics;
using TailGuard.Diagnostics;

namespace TailGuard.Boundary;

/// <summary>
/// The instruments of the "TailGuard.Boundary" meter (docs/hosting.md, "Metrics"): a process-wide static meter, as a
/// trust domain has no options a host's meter factory could come through. Untagged counters: adding to one allocates
/// nothing, and costs a check when nothing listens.
/// </summary>
internal static class BoundaryInstruments
{
    private static readonly Meter Meter = new(TailGuardTelemetry.BoundaryMeterName, TailGuardTelemetry.Version);

    public static Counter<long> Calls { get; } = Meter.CreateCounter<long>(
        "tailguard.boundary.calls", "{call}", "Calls a trust domain's entry answered (status Ok).");

    public static Counter<long> Violations { get; } = Meter.CreateCounter<long>(
        "tailguard.boundary.violations", "{call}", "Calls a trust domain's entry refused: a frame that broke the contract (method, buffer, bound, value), a fault of the implementation, or a domain that stopped serving.");

    public static Counter<long> RefusedEntries { get; } = Meter.CreateCounter<long>(
        "tailguard.boundary.refused_entries", "{entry}", "Entries into a trust domain refused before any call: a second call while one was in flight.");

    public static Counter<long> Revocations { get; } = Meter.CreateCounter<long>(
        "tailguard.boundary.revocations", "{domain}", "Trust domains revoked through their host (TrustDomainHost disposed).");
}
