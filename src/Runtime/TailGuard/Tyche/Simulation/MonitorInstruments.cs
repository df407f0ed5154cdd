using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using TailGuard.Diagnostics;

namespace TailGuard.Tyche.Simulation;

/// <summary>
/// The instruments of the "TailGuard.Tyche" meter (docs/hosting.md, "Metrics"), recorded by a simulated monitor: on
/// <see cref="SimulatedMonitorOptions.MeterFactory"/>'s meter when set (the simulated backend passes the domain's
/// <see cref="TailGuard.Boundary.TrustDomainHostOptions.MeterFactory"/> to the monitor it creates), otherwise on a
/// process-wide static meter. Untagged counters: a monitor serves many domains; adding to one allocates nothing.
/// </summary>
internal sealed class MonitorInstruments
{
    private static readonly ConditionalWeakTable<IMeterFactory, MonitorInstruments> ByFactory = [];

    private MonitorInstruments(Meter meter)
    {
        Switches = meter.CreateCounter<long>(
            "tailguard.tyche.switches", "{switch}", "Switches into a domain that it left by returning (SWITCH completed).");
        Revocations = meter.CreateCounter<long>(
            "tailguard.tyche.revocations", "{domain}", "Domains the monitor revoked (destroyed, or revoked with their parent).");
    }

    /// <summary>The process-wide fallback: a static meter, for monitors created without a meter factory.</summary>
    public static MonitorInstruments Shared { get; } = new(new Meter(TailGuardTelemetry.MonitorMeterName, TailGuardTelemetry.Version));

    public Counter<long> Switches { get; }

    public Counter<long> Revocations { get; }

    public static MonitorInstruments For(IMeterFactory? factory)
        => factory is null
            ? Shared
            : ByFactory.GetValue(factory, static f => new MonitorInstruments(f.Create(new MeterOptions(TailGuardTelemetry.MonitorMeterName) { Version = TailGuardTelemetry.Version })));
}
