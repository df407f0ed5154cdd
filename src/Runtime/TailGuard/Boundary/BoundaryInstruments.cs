using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading;
using TailGuard.Diagnostics;

namespace TailGuard.Boundary;

/// <summary>
/// The instruments of the "TailGuard.Boundary" meter (docs/hosting.md, "Metrics"), each measurement tagged with its
/// domain (<c>tailguard.domain</c>). With an <see cref="IMeterFactory"/> (<see cref="TrustDomainHostOptions.MeterFactory"/>,
/// which <c>TailGuard.Hosting</c> sets from dependency injection) the meter is that factory's; without one, a
/// process-wide static meter is the fallback. Calls, violations and refused entries are observed from each live
/// domain's <see cref="TrustDomainHost{TService}.Counters"/> when a listener collects, so a call costs nothing more
/// and every backend (the process backend's domain runs elsewhere) is measured the same way, on the host's side.
/// </summary>
internal sealed class BoundaryInstruments
{
    /// <summary>The tag naming the domain a measurement is about.</summary>
    public const string DomainTag = "tailguard.domain";

    private static readonly ConditionalWeakTable<IMeterFactory, BoundaryInstruments> ByFactory = [];

    private readonly Lock _gate = new();
    private readonly List<Registration> _domains = [];

    private BoundaryInstruments(Meter meter)
    {
        meter.CreateObservableCounter(
            "tailguard.boundary.calls", () => Observe(static counters => counters.Completed), "{call}", "Calls a trust domain answered (status Ok).");
        meter.CreateObservableCounter(
            "tailguard.boundary.violations", () => Observe(static counters => counters.Refused), "{call}", "Calls a trust domain refused: a frame that broke the contract (method, buffer, bound, value), a fault of the implementation, or a domain that stopped serving.");
        meter.CreateObservableCounter(
            "tailguard.boundary.refused_entries", () => Observe(static counters => counters.EntriesRefused), "{entry}", "Entries into a trust domain refused before any call: a second call on a core while one was in flight there.");
        Revocations = meter.CreateCounter<long>(
            "tailguard.boundary.revocations", "{domain}", "Trust domains revoked through their host (TrustDomainHost disposed).");
    }

    /// <summary>The process-wide fallback: a static meter, for domains created without a meter factory.</summary>
    public static BoundaryInstruments Shared { get; } = new(new Meter(TailGuardTelemetry.BoundaryMeterName, TailGuardTelemetry.Version));

    public Counter<long> Revocations { get; }

    public static BoundaryInstruments For(IMeterFactory? factory)
        => factory is null
            ? Shared
            : ByFactory.GetValue(factory, static f => new BoundaryInstruments(f.Create(new MeterOptions(TailGuardTelemetry.BoundaryMeterName) { Version = TailGuardTelemetry.Version })));

    /// <summary>Measures <paramref name="domain"/> under <paramref name="name"/> until <see cref="Registration.Revoked"/>.</summary>
    public Registration Register(string name, ITrustDomainInstance domain)
    {
        var registration = new Registration(this, new KeyValuePair<string, object?>(DomainTag, name), domain);
        lock (_gate)
        {
            _domains.Add(registration);
        }

        return registration;
    }

    private List<Measurement<long>> Observe(Func<BoundaryCounters, long> select)
    {
        lock (_gate)
        {
            var measurements = new List<Measurement<long>>(_domains.Count);
            for (var index = _domains.Count - 1; index >= 0; index--)
            {
                if (_domains[index].Domain.TryGetTarget(out var domain))
                {
                    measurements.Add(new Measurement<long>(select(domain.Counters), _domains[index].Tag));
                }
                else
                {
                    _domains.RemoveAt(index); // a host dropped without being disposed
                }
            }

            return measurements;
        }
    }

    /// <summary>One domain's place on the meter. Weak: a host dropped undisposed is not kept alive by its metrics.</summary>
    internal sealed class Registration(BoundaryInstruments owner, KeyValuePair<string, object?> tag, ITrustDomainInstance domain)
    {
        public KeyValuePair<string, object?> Tag { get; } = tag;

        public WeakReference<ITrustDomainInstance> Domain { get; } = new(domain);

        /// <summary>Counts the revocation and stops observing the domain.</summary>
        public void Revoked()
        {
            owner.Revocations.Add(1, Tag);
            lock (owner._gate)
            {
                owner._domains.Remove(this);
            }
        }
    }
}
