using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using TailGuard.Boundary;
using TailGuard.Diagnostics;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tyche.Simulation;

/// <summary>
/// The instruments of the "TailGuard.Tyche" meter (docs/hosting.md, "Metrics"), recorded by a simulated monitor: on
/// <see cref="SimulatedMonitorOptions.MeterFactory"/>'s meter when set (the simulated backend passes the domain's
/// <see cref="TailGuard.Boundary.TrustDomainHostOptions.MeterFactory"/> to the monitor it creates), otherwise on a
/// process-wide static meter. Each measurement is tagged with the domain it is about: <c>tailguard.tyche.domain</c>, the
/// monitor's id for it, and, for a domain a trust domain host created, <c>tailguard.domain</c>, the name the boundary's
/// measurements give it. The tags are built with the domain, so a measurement allocates nothing.
/// </summary>
internal sealed class MonitorInstruments
{
    /// <summary>The tag holding the monitor's id of the domain a measurement is about.</summary>
    public const string DomainIdTag = "tailguard.tyche.domain";

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

    private Counter<long> Switches { get; }

    private Counter<long> Revocations { get; }

    public static MonitorInstruments For(IMeterFactory? factory)
        => factory is null
            ? Shared
            : ByFactory.GetValue(factory, static f => new MonitorInstruments(f.Create(new MeterOptions(TailGuardTelemetry.MonitorMeterName) { Version = TailGuardTelemetry.Version })));

    /// <summary>The <c>tailguard.domain</c> tag for a domain a trust domain host named (the boundary's own tag).</summary>
    public static KeyValuePair<string, object?> NameTag(string name) => new(BoundaryInstruments.DomainTag, name);

    /// <summary>A switch into <paramref name="domain"/> completed (it returned).</summary>
    public void Switched(DomainState domain) => Add(Switches, domain);

    /// <summary>The monitor revoked <paramref name="domain"/>.</summary>
    public void Revoked(DomainState domain) => Add(Revocations, domain);

    private static void Add(Counter<long> counter, DomainState domain)
    {
        if (domain.NameTag is { } name)
        {
            counter.Add(1, domain.IdTag, name);
        }
        else
        {
            counter.Add(1, domain.IdTag);
        }
    }
}
