using System;
using Microsoft.Extensions.DependencyInjection;
using TailGuard.Boundary;

namespace TailGuard.Hosting;

/// <summary>What a <see cref="TrustDomainOptions.Backend"/> name stands for.</summary>
internal enum TrustDomainBackendKind
{
    Simulated,
    Process,
    Keyed,
    Unknown,
}

/// <summary>Turns a domain's <see cref="TrustDomainOptions.Backend"/> into the backend it names.</summary>
internal static class TrustDomainBackends
{
    public static TrustDomainBackendKind Kind(string? backend, IServiceProvider services)
    {
        if (string.IsNullOrWhiteSpace(backend))
        {
            return TrustDomainBackendKind.Unknown;
        }

        // A keyed registration wins over the built-in names: an application may replace either.
        if (services.GetService<IServiceProviderIsKeyedService>()?.IsKeyedService(typeof(ITrustDomainBackend), backend) == true)
        {
            return TrustDomainBackendKind.Keyed;
        }

        return backend.Equals(TrustDomainOptions.SimulatedBackend, StringComparison.OrdinalIgnoreCase) ? TrustDomainBackendKind.Simulated
            : backend.Equals(TrustDomainOptions.ProcessBackend, StringComparison.OrdinalIgnoreCase) ? TrustDomainBackendKind.Process
            : TrustDomainBackendKind.Unknown;
    }

    /// <summary>
    /// The backend <paramref name="settings"/> names, and what the caller must dispose with the domain (the process
    /// backend it created; a keyed backend belongs to the container, the simulated one to its domain).
    /// </summary>
    public static (ITrustDomainBackend Backend, IDisposable? Owned) Create(string domain, TrustDomainOptions settings, IServiceProvider services)
    {
        switch (Kind(settings.Backend, services))
        {
            case TrustDomainBackendKind.Simulated:
                return (new SimulatedBackend(), null);
            case TrustDomainBackendKind.Process:
                var process = settings.Process ?? new TrustDomainProcessOptions();
                var defaults = new ProcessBackendOptions();
                var backend = new ProcessBackend(new ProcessBackendOptions
                {
                    DomainHostPath = process.DomainHostPath,
                    CallTimeout = process.CallTimeout ?? defaults.CallTimeout,
                    StartTimeout = process.StartTimeout ?? defaults.StartTimeout,
                    SpinIterations = process.SpinIterations ?? defaults.SpinIterations,
                });
                return (backend, backend);
            case TrustDomainBackendKind.Keyed:
                return (services.GetRequiredKeyedService<ITrustDomainBackend>(settings.Backend), null);
            default:
                throw new InvalidOperationException($"Trust domain '{domain}': Backend '{settings.Backend}' names no backend.");
        }
    }
}
