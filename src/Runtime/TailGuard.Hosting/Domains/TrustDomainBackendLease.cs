using System;

namespace TailGuard.Hosting;

/// <summary>The backend a hosted domain created for itself (the process backend and its signing key), disposed with the container.</summary>
internal sealed class TrustDomainBackendLease<TService> : IDisposable
    where TService : class
{
    public IDisposable? Owned { get; set; }

    public void Dispose() => Owned?.Dispose();
}
