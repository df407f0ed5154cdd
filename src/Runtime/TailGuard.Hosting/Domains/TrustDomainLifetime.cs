using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TailGuard.Boundary;

namespace TailGuard.Hosting;

/// <summary>
/// Creates, seals and attests a trust domain when the host starts (so a failure stops the start, not a later call) and
/// revokes it when the host stops: from then on its proxy throws <see cref="BoundaryRevokedException"/>.
/// </summary>
internal sealed class TrustDomainLifetime<TService>(IServiceProvider services, ILogger<TrustDomainLifetime<TService>> logger) : IHostedService
    where TService : class
{
    private TrustDomainHost<TService>? _host;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _host = services.GetRequiredService<TrustDomainHost<TService>>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _host, null) is { } host)
        {
            host.Dispose();
            Log.DomainRevoked(logger, typeof(TService).Name);
        }

        return Task.CompletedTask;
    }
}
