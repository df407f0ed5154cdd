using System.Diagnostics.Metrics;
using TailGuard.Diagnostics;

namespace TailGuard.Tyche.Simulation;

/// <summary>
/// The instruments of the "TailGuard.Tyche" meter (docs/hosting.md, "Metrics"), recorded by the simulated monitor: a
/// process-wide static meter. Untagged counters: adding to one allocates nothing.
/// </summary>
internal static class MonitorInstruments
{
    private static readonly Meter Meter = new(TailGuardTelemetry.MonitorMeterName, TailGuardTelemetry.Version);

    public static Counter<long> Switches { get; } = Meter.CreateCounter<long>(
        "tailguard.tyche.switches", "{switch}", "Switches into a domain that it left by returning (SWITCH completed).");

    public static Counter<long> Revocations { get; } = Meter.CreateCounter<long>(
        "tailguard.tyche.revocations", "{domain}", "Domains the monitor revoked (destroyed, or revoked with their parent).");
}
