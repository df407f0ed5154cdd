using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using Microsoft.Extensions.Options;

namespace TailGuard.Samples.HostedService;

/// <summary>The sample's settings (section <c>Pricing</c>).</summary>
public sealed class PricingOptions
{
    /// <summary>Unit prices in cents by SKU.</summary>
    public Dictionary<string, long> Prices { get; set; } = [];

    /// <summary>Work each quote pretends to do (a busy wait on the receive thread), to watch a graceful stop with requests in flight.</summary>
    public TimeSpan WorkTime { get; set; }
}

/// <summary>The implementation the hosted server serves; it runs on the receive thread and allocates nothing per call.</summary>
public sealed class PriceList : IPricing
{
    private readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _prices;
    private readonly TimeSpan _workTime;

    /// <summary>Creates the price list from the settings.</summary>
    /// <param name="options">The settings.</param>
    public PriceList(IOptions<PricingOptions> options)
    {
        _prices = new Dictionary<string, long>(options.Value.Prices, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _workTime = options.Value.WorkTime;
    }

    /// <inheritdoc/>
    public long Quote(ReadOnlySpan<byte> sku, int quantity)
    {
        if (_workTime > TimeSpan.Zero)
        {
            Thread.Sleep(_workTime);
        }

        Span<char> name = stackalloc char[64];
        if (quantity < 0 || !Encoding.UTF8.TryGetChars(sku, name, out var length) || !_prices.TryGetValue(name[..length], out var price))
        {
            return -1;
        }

        return checked(price * quantity);
    }
}
