using System;
using TailGuard;

namespace TailGuard.Samples.HostedService;

/// <summary>The service contract: the generator turns it into <c>PricingClient</c>, <c>IPricingClient</c> and <c>PricingDispatcher</c>.</summary>
[R2P2Service(TraceContext = true)]
public interface IPricing
{
    /// <summary>The price, in cents, of <paramref name="quantity"/> units of <paramref name="sku"/>; -1 when the SKU is unknown.</summary>
    long Quote([R2P2MaxLength(64)] ReadOnlySpan<byte> sku, int quantity);
}
