using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TailGuard.R2P2;

namespace TailGuard.Samples.HostedService;

/// <summary>The settings of the built-in caller (section <c>Reporter</c>).</summary>
public sealed class ReporterOptions
{
    /// <summary>Whether the sample also calls its own server, once per <see cref="Interval"/>.</summary>
    public bool Enabled { get; set; }

    /// <summary>How often it calls.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The SKU it asks about.</summary>
    public string Sku { get; set; } = "widget";
}

/// <summary>A typed-client consumer: asks for a quote through the injected <see cref="IPricingClient"/> and logs it.</summary>
public sealed partial class QuoteReporter(IPricingClient pricing, IOptions<ReporterOptions> options, ILogger<QuoteReporter> logger) : BackgroundService
{
    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }

        var sku = System.Text.Encoding.UTF8.GetBytes(settings.Sku);
        using var timer = new PeriodicTimer(settings.Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                Quoted(logger, settings.Sku, await pricing.QuoteAsync(sku, 3, stoppingToken).ConfigureAwait(false));
            }
            catch (R2P2Exception exception)
            {
                QuoteFailed(logger, settings.Sku, exception.Message);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "3 x {Sku} costs {Cents} cents")]
    private static partial void Quoted(ILogger logger, string sku, long cents);

    [LoggerMessage(2, LogLevel.Warning, "Quote for {Sku} failed: {Reason}")]
    private static partial void QuoteFailed(ILogger logger, string sku, string reason);
}
