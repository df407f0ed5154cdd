using System;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TailGuard.Boundary;

namespace TailGuard.Hosting;

/// <summary>Health checks for what <see cref="TailGuardServiceCollectionExtensions"/> registers.</summary>
public static class TailGuardHealthChecksBuilderExtensions
{
    /// <summary>
    /// Checks the hosted R2P2 server <paramref name="serverName"/>: healthy while it serves, degraded while it drains,
    /// <paramref name="failureStatus"/> (unhealthy by default) before its start and after its stop.
    /// </summary>
    /// <param name="builder">The health checks.</param>
    /// <param name="serverName">The server's name, as given to <c>AddR2P2Server</c>.</param>
    /// <param name="failureStatus">What a server that does not serve reports; null for unhealthy.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddR2P2Server(this IHealthChecksBuilder builder, string serverName, HealthStatus? failureStatus = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(serverName);
        return builder.Add(new HealthCheckRegistration(
            "r2p2-server-" + serverName,
            provider => new R2P2ServerHealthCheck(provider.GetRequiredKeyedService<R2P2ServerHost>(serverName)),
            failureStatus,
            ["tailguard", "r2p2"]));
    }

    /// <summary>Checks the trust domain of <typeparamref name="TService"/>: healthy while sealed, <paramref name="failureStatus"/> once revoked.</summary>
    /// <typeparam name="TService">The trust-domain contract, as given to <c>AddTrustDomain</c>.</typeparam>
    /// <param name="builder">The health checks.</param>
    /// <param name="failureStatus">What a revoked domain reports; null for unhealthy.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddTrustDomain<TService>(this IHealthChecksBuilder builder, HealthStatus? failureStatus = null)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            "trust-domain-" + typeof(TService).Name,
            provider => new TrustDomainHealthCheck<TService>(provider.GetRequiredService<TrustDomainHost<TService>>()),
            failureStatus,
            ["tailguard", "tyche"]));
    }
}
