using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TailGuard.Boundary;
using TailGuard.Diagnostics;

namespace TailGuard.Hosting.Tests;

/// <summary>AddTrustDomain: a domain sealed and attested at the start, its proxy injected, revoked at the stop.</summary>
public sealed class TrustDomainHostingTests
{
    [Fact]
    public async Task The_domain_is_created_at_the_start_serves_through_the_injected_proxy_and_is_revoked_at_the_stop()
    {
        var logs = new CapturedLogs();
        var implementations = 0;
        var builder = TestHost.CreateBuilder(logs);
        builder.Services.AddTrustDomain<ICounter, CounterBoundary>(_ =>
        {
            implementations++;
            return new Counter();
        });
        builder.Services.AddHealthChecks().AddTrustDomain<ICounter>();
        using var host = builder.Build();
        Assert.Equal(0, implementations);

        await host.StartAsync();
        Assert.Equal(1, implementations);
        Assert.True(logs.Has(3000), logs.Describe());
        var counter = host.Services.GetRequiredService<ICounter>();
        Assert.IsNotType<Counter>(counter);
        Assert.Equal(2, counter.Increment(2));
        Assert.Equal(7, counter.Increment(5));
        var domain = host.Services.GetRequiredService<TrustDomainHost<ICounter>>();
        Assert.Contains(Convert.ToHexStringLower(domain.Attestation.Measurement.Span), logs.Describe(), StringComparison.Ordinal);
        var health = host.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

        await host.StopAsync();
        Assert.True(domain.IsRevoked);
        Assert.Throws<BoundaryRevokedException>(() => counter.Increment(1));
        Assert.True(logs.Has(3001), logs.Describe());
        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync()).Status);
    }

    [Fact]
    public async Task Boundary_and_monitor_meters_are_on_the_hosts_meter_factory_tagged_with_the_domain()
    {
        var builder = TestHost.CreateBuilder(new CapturedLogs());
        builder.Services.AddMetrics();
        builder.Services.AddTrustDomain<ICounter, CounterBoundary>(_ => new Counter());
        using var host = builder.Build();
        var factory = host.Services.GetRequiredService<IMeterFactory>();

        // Only the host's own meters: a listener that checks the scope, as an application's exporter would.
        var observed = new ConcurrentDictionary<(string Instrument, string? Domain), long>();
        var added = new ConcurrentDictionary<(string Instrument, string? Domain), long>();
        var monitorIds = new ConcurrentDictionary<(string Instrument, int? Id), long>(); // tailguard.tyche.domain
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Meter.Name is TailGuardTelemetry.BoundaryMeterName or TailGuardTelemetry.MonitorMeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? domain = null;
            int? monitorId = null;
            foreach (var tag in tags)
            {
                domain = tag.Key == "tailguard.domain" ? (string?)tag.Value : domain;
                monitorId = tag.Key == "tailguard.tyche.domain" ? (int?)tag.Value : monitorId;
            }

            if (instrument.Meter.Name == TailGuardTelemetry.MonitorMeterName)
            {
                monitorIds.AddOrUpdate((instrument.Name, monitorId), value, (_, total) => total + value);
            }

            if (instrument.IsObservable)
            {
                observed[(instrument.Name, domain)] = value; // a cumulative total, read when collected
            }
            else
            {
                added.AddOrUpdate((instrument.Name, domain), value, (_, total) => total + value);
            }
        });
        listener.Start();

        // A domain outside the host (no factory): it counts on the static fallback meter, which this listener ignores.
        using (var outside = TrustDomainHost.Create<ICounter, CounterBoundary>(new Counter()))
        {
            outside.Proxy.Increment(1);
            outside.Proxy.Increment(1);
        }

        await host.StartAsync();
        var counter = host.Services.GetRequiredService<ICounter>();
        for (var i = 0; i < 5; i++)
        {
            counter.Increment(1);
        }

        Assert.ThrowsAny<Exception>(() => counter.Increment(int.MinValue));
        listener.RecordObservableInstruments();
        Assert.Equal(5, observed.GetValueOrDefault(("tailguard.boundary.calls", "ICounter")));
        Assert.Equal(1, observed.GetValueOrDefault(("tailguard.boundary.violations", "ICounter")));
        Assert.Equal(0, observed.GetValueOrDefault(("tailguard.boundary.refused_entries", "ICounter"), -1));
        // The monitor's measurements carry the domain too: the host's name for it, and the monitor's id (the same one
        // domain's, never absent).
        Assert.True(added.GetValueOrDefault(("tailguard.tyche.switches", "ICounter")) >= 6, Describe(observed, added));
        Assert.Equal(0, added.GetValueOrDefault(("tailguard.tyche.switches", null)));
        var switchedInto = Assert.Single(monitorIds.Keys, key => key.Instrument == "tailguard.tyche.switches");
        Assert.True(switchedInto.Id > 0, $"switches tagged with monitor domain {switchedInto.Id}"); // 0 is the host's own domain

        await host.StopAsync();
        Assert.Equal(1, added.GetValueOrDefault(("tailguard.boundary.revocations", "ICounter")));
        Assert.True(added.GetValueOrDefault(("tailguard.tyche.revocations", "ICounter")) >= 1, Describe(observed, added));
        Assert.True(monitorIds.GetValueOrDefault(("tailguard.tyche.revocations", switchedInto.Id)) >= 1, string.Join(", ", monitorIds));
        Assert.Equal(4, observed.Keys.Concat(added.Keys).Count(key => key.Instrument.StartsWith("tailguard.boundary.", StringComparison.Ordinal)));

        // A revoked domain is no longer observed; nothing of the outside domain ever reached this factory's meters.
        observed.Clear();
        listener.RecordObservableInstruments();
        Assert.Empty(observed);
        Assert.Equal(6, added.GetValueOrDefault(("tailguard.tyche.switches", "ICounter"))); // the 6 hosted calls; the outside domain switched on the static meter
    }

    private static string Describe(IDictionary<(string, string?), long> observed, IDictionary<(string, string?), long> added)
        => "observed: " + string.Join(", ", observed) + "; added: " + string.Join(", ", added);

    [Fact]
    public void Registering_a_contract_in_two_domains_fails_at_once()
    {
        var services = new ServiceCollection();
        services.AddTrustDomain<ICounter, CounterBoundary>(_ => new Counter());
        Assert.Throws<InvalidOperationException>(() => services.AddTrustDomain<ICounter, CounterBoundary>(_ => new Counter()));
    }
}
