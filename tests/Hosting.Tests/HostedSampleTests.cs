using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TailGuard.R2P2;
using TailGuard.Samples.HostedService;

namespace TailGuard.Hosting.Tests;

/// <summary>
/// The host samples/HostedService builds (<see cref="PricingApp.CreateBuilder"/>), started, serving, stopped with
/// requests in flight, its metrics and spans read back from OpenTelemetry's in-memory exporters.
/// </summary>
public sealed class HostedSampleTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    private static readonly string[] s_testSettings =
    [
        "--TailGuard:Servers:Pricing:Address=127.0.0.1:0",
        "--Reporter:Enabled=false",
        "--Logging:LogLevel:Default=Warning",
    ];

    [Fact]
    public async Task The_sample_serves_and_a_stop_with_requests_in_flight_loses_none_each_completes_or_is_refused_with_DROP()
    {
        // Snapshots: an exported Metric is a live object the SDK keeps updating (and resets), a snapshot is a copy.
        var metrics = new List<MetricSnapshot>();
        var builder = PricingApp.CreateBuilder(
            [.. s_testSettings, "--Pricing:WorkTime=00:00:00.020", "--TailGuard:Servers:Pricing:DrainTimeout=00:00:30"],
            telemetry => telemetry.WithMetrics(m => m.AddInMemoryExporter(metrics)));
        using var host = builder.Build();
        await host.StartAsync();
        var server = host.Services.GetRequiredKeyedService<R2P2ServerHost>(PricingApp.ServerName);

        // Clients with a timeout far beyond the drain: a call that neither completes nor is refused would time out,
        // and that is a lost request.
        using var client = R2P2Client.CreateUdp(server.LocalAddress.ToEndPoint(), new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(45) });
        var pricing = new PricingClient(client);
        var sku = Encoding.UTF8.GetBytes("gadget");
        Assert.Equal(3 * 1999, await pricing.QuoteAsync(sku, 3).AsTask().WaitAsync(s_limit));

        var calls = Enumerable.Range(1, 60).Select(quantity => Outcome(pricing.QuoteAsync(sku, quantity).AsTask(), 1999L * quantity)).ToArray();
        Assert.True(await TestHost.EventuallyAsync(() => server.Server!.Statistics.Requests >= 3), "the burst should be in flight");
        await host.StopAsync().WaitAsync(s_limit);

        var outcomes = await Task.WhenAll(calls).WaitAsync(s_limit);
        Assert.All(outcomes, outcome => Assert.True(outcome is "completed" or "dropped", outcome));
        Assert.Contains("completed", outcomes);
        Assert.Equal(R2P2ServerHostState.Stopped, server.State);

        // The stopped host's meter provider flushed on disposal; flush explicitly in case disposal comes later.
        host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        List<MetricSnapshot> exported = [.. metrics];

        // OpenTelemetry's AddMeter subscribes by name: every "TailGuard.R2P2" meter of the process (other tests' hosts,
        // the static fallback) is exported beside this host's, as separate streams of the same name. This host's
        // points are those tagged with its service; the most recent snapshot holding them has the cumulative count.
        var durations = exported.Where(metric => metric.Name == "tailguard.r2p2.server.request.duration").ToList();
        Assert.NotEmpty(durations);
        Assert.All(durations, metric => Assert.Equal(MetricType.Histogram, metric.MetricType));
        var okQuotes = durations.Select(metric => metric.MetricPoints.Where(point => Tags(point) is { } tags
                && tags.GetValueOrDefault("service") as string == typeof(IPricing).FullName
                && tags.GetValueOrDefault("method") as string == "Quote"
                && tags.GetValueOrDefault("outcome") as string == "ok").Sum(point => point.GetHistogramCount()))
            .Max();
        Assert.True(okQuotes >= 1 + outcomes.Count(o => o == "completed"), $"{okQuotes} ok quotes recorded");

        // Every refused call was refused by the server. At least as many DROPs as refused calls: a request queued behind
        // the drain may be refused more than once. Other servers of the process may add to a stream of the same name.
        var drops = exported.Where(metric => metric.Name == "tailguard.r2p2.server.drops")
            .Select(metric => metric.MetricPoints.Sum(point => point.GetSumLong()))
            .DefaultIfEmpty(0)
            .Sum();
        Assert.True(drops >= outcomes.Count(o => o == "dropped"), $"{drops} DROPs for {outcomes.Count(o => o == "dropped")} refused calls");
    }

    [Fact]
    public async Task A_typed_client_call_and_its_handling_are_one_trace_carried_in_the_payload()
    {
        var spans = new List<Activity>();
        var builder = PricingApp.CreateBuilder(
            [.. s_testSettings, "--TailGuard:Clients:Pricing:Server=127.0.0.1:1"],
            telemetry => telemetry.WithTracing(t => t.AddInMemoryExporter(spans)));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var server = host.Services.GetRequiredKeyedService<R2P2ServerHost>(PricingApp.ServerName);
            using var client = R2P2Client.CreateUdp(server.LocalAddress.ToEndPoint(), new R2P2ClientOptions { Timeout = s_limit });
            Assert.Equal(250, await new PricingClient(client).QuoteAsync("widget"u8.ToArray(), 1).AsTask().WaitAsync(s_limit));

            var name = typeof(IPricing).FullName + "/Quote";
            Assert.True(await TestHost.EventuallyAsync(() => { lock (spans) { return spans.Count(s => s.DisplayName == name) >= 2; } }), "both spans should end");
            Activity clientSpan, serverSpan;
            lock (spans)
            {
                clientSpan = spans.Single(s => s.DisplayName == name && s.Kind == ActivityKind.Client);
                serverSpan = spans.Single(s => s.DisplayName == name && s.Kind == ActivityKind.Server);
            }

            Assert.Equal(clientSpan.TraceId, serverSpan.TraceId);
            Assert.Equal(clientSpan.SpanId, serverSpan.ParentSpanId);
            Assert.Equal("ok", serverSpan.GetTagItem("outcome"));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<string> Outcome(Task<long> call, long expected)
    {
        try
        {
            var price = await call;
            return price == expected ? "completed" : $"wrong result {price} instead of {expected}";
        }
        catch (R2P2DroppedException)
        {
            return "dropped";
        }
        catch (Exception exception)
        {
            return "lost: " + exception.GetType().Name + ": " + exception.Message;
        }
    }

    private static Dictionary<string, object?> Tags(MetricPoint point)
    {
        var tags = new Dictionary<string, object?>();
        foreach (var tag in point.Tags)
        {
            tags[tag.Key] = tag.Value;
        }

        return tags;
    }
}
