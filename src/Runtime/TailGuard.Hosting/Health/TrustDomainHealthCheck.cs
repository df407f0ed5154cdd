using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TailGuard.Boundary;

namespace TailGuard.Hosting;

/// <summary>
/// A hosted trust domain's health: healthy while its boundary answers (the entry has answered or refused calls, or
/// the domain is sealed and not revoked), unhealthy once it was revoked.
/// </summary>
internal sealed class TrustDomainHealthCheck<TService>(TrustDomainHost<TService> host) : IHealthCheck
    where TService : class
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(host.IsRevoked
            ? new HealthCheckResult(context.Registration.FailureStatus, $"Trust domain {typeof(TService).Name} was revoked.")
            : HealthCheckResult.Healthy($"Trust domain {typeof(TService).Name} is sealed on core {host.Core}."));
}
