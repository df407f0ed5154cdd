using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TailGuard.Boundary;

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
    public async Task Boundary_and_monitor_meters_count_calls_switches_and_revocations()
    {
        var totals = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name is TailGuard.Diagnostics.TailGuardTelemetry.BoundaryMeterName or TailGuard.Diagnostics.TailGuardTelemetry.MonitorMeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, total) => total + value));
        listener.Start();

        var builder = TestHost.CreateBuilder(new CapturedLogs());
        builder.Services.AddTrustDomain<ICounter, CounterBoundary>(_ => new Counter());
        using var host = builder.Build();
        await host.StartAsync();
        var counter = host.Services.GetRequiredService<ICounter>();
        for (var i = 0; i < 5; i++)
        {
            counter.Increment(1);
        }

        await host.StopAsync();

        // Other tests of this assembly may add to these process-wide meters at the same time: at least ours.
        Assert.True(totals.GetValueOrDefault("tailguard.boundary.calls") >= 5, string.Join(", ", totals));
        Assert.True(totals.GetValueOrDefault("tailguard.tyche.switches") >= 5, string.Join(", ", totals));
        Assert.True(totals.GetValueOrDefault("tailguard.boundary.revocations") >= 1, string.Join(", ", totals));
        Assert.True(totals.GetValueOrDefault("tailguard.tyche.revocations") >= 1, string.Join(", ", totals));
    }

    [Fact]
    public void Registering_a_contract_in_two_domains_fails_at_once()
    {
        var services = new ServiceCollection();
        services.AddTrustDomain<ICounter, CounterBoundary>(_ => new Counter());
        Assert.Throws<InvalidOperationException>(() => services.AddTrustDomain<ICounter, CounterBoundary>(_ => new Counter()));
    }
}
