using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TailGuard.Hosting;

/// <summary>
/// A hosted server's health: healthy while it serves, degraded while it drains (it refuses new requests with DROP),
/// unhealthy before its start, after its stop, or when its start failed. The data carry its address and counts.
/// </summary>
internal sealed class R2P2ServerHealthCheck(R2P2ServerHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = host.State;
        var server = host.Server;
        var data = new Dictionary<string, object> { ["state"] = state.ToString() };
        if (server is not null)
        {
            data["address"] = server.LocalAddress.ToString();
            data["requests"] = server.Statistics.Requests;
            data["drops"] = server.Statistics.Drops;
            data["handler_failures"] = server.Statistics.HandlerFailures;
        }

        var result = state switch
        {
            R2P2ServerHostState.Running when server is not null => HealthCheckResult.Healthy($"R2P2 server '{host.Name}' serves on {server.LocalAddress}.", data),
            R2P2ServerHostState.Draining => new HealthCheckResult(context.Registration.FailureStatus == HealthStatus.Unhealthy ? HealthStatus.Degraded : context.Registration.FailureStatus, $"R2P2 server '{host.Name}' is draining: new requests are refused with DROP.", data: data),
            _ => new HealthCheckResult(context.Registration.FailureStatus, $"R2P2 server '{host.Name}' is not serving ({state}).", data: data),
        };
        return Task.FromResult(result);
    }
}
