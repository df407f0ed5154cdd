using System;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TailGuard.Diagnostics;
using TailGuard.Hosting;

namespace TailGuard.Samples.HostedService;

/// <summary>How the sample's host is put together, apart from <c>Main</c> so tests build the same host.</summary>
public static class PricingApp
{
    /// <summary>The server's name: its options section is <c>TailGuard:Servers:Pricing</c>.</summary>
    public const string ServerName = "Pricing";

    /// <summary>Builds the host: the server, the typed client, health checks, and OpenTelemetry when configured.</summary>
    /// <param name="args">Command-line configuration overrides (<c>--TailGuard:Servers:Pricing:Address=127.0.0.1:0</c>).</param>
    /// <param name="configureOpenTelemetry">Extra OpenTelemetry set-up (tests add an in-memory exporter); may be null.</param>
    /// <returns>The builder, ready to <c>Build()</c>.</returns>
    public static HostApplicationBuilder CreateBuilder(string[] args, Action<OpenTelemetry.OpenTelemetryBuilder>? configureOpenTelemetry = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var services = builder.Services;

        services.AddOptions<PricingOptions>().BindConfiguration("Pricing");
        services.AddOptions<ReporterOptions>().BindConfiguration("Reporter");
        services.AddSingleton<IPricing, PriceList>();

        // The server: generated dispatcher, implementation from DI, settings from configuration, graceful stop.
        services.AddR2P2Server<IPricing, PricingDispatcher>(ServerName).BindConfiguration("TailGuard:Servers:" + ServerName);

        // A typed client to it, used by the reporter.
        services.AddR2P2Client<IPricingClient>(client => new PricingClient(client)).BindConfiguration("TailGuard:Clients:Pricing");
        services.AddHostedService<QuoteReporter>();

        services.AddHealthChecks().AddR2P2Server(ServerName);

        var telemetry = services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics.AddMeter([.. TailGuardTelemetry.MeterNames]))
            .WithTracing(tracing => tracing.AddSource(TailGuardTelemetry.ActivitySourceName));
        if (builder.Configuration.GetValue<bool>("OpenTelemetry:Console"))
        {
            telemetry.WithMetrics(metrics => metrics.AddConsoleExporter()).WithTracing(tracing => tracing.AddConsoleExporter());
        }

        configureOpenTelemetry?.Invoke(telemetry);
        return builder;
    }
}
