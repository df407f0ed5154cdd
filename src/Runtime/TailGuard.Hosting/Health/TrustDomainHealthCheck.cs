using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TailGuard.Boundary;

namespace TailGuard.Hosting;

/// <summary>
/// A hosted trust domain's health: healthy while it serves; unhealthy once it was revoked (by its host or by the
/// monitor) or stopped serving for good (<see cref="TrustDomainHost{TService}.StopReason"/>).
/// </summary>
internal sealed class TrustDomainHealthCheck<TService>(TrustDomainHost<TService> host) : IHealthCheck
    where TService : class
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var name = typeof(TService).Name;
        var result = host.IsRevoked
            ? new HealthCheckResult(context.Registration.FailureStatus, $"Trust domain {name} was revoked.")
            : host.StopReason is { } reason
                ? new HealthCheckResult(context.Registration.FailureStatus, $"Trust domain {name} stopped serving: {reason}")
                : HealthCheckResult.Healthy($"Trust domain {name} is sealed on core {host.Core}.");
        return Task.FromResult(result);
    }
}
