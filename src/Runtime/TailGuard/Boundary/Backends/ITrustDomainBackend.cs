namespace TailGuard.Boundary;

/// <summary>
/// Where trust domains run: the seam between the boundary (generated entries and proxies, <see cref="TrustDomainHost"/>)
/// and what isolates a domain. A backend creates a domain and loads its code (<see cref="CreateDomain"/>), shares the
/// call region with it, commits (seals) it, attests it, enters it and returns, and revokes it (the operations of
/// <see cref="ITrustDomainInstance"/>). The boundary code names no backend. Backends: <see cref="SimulatedBackend"/>
/// (the simulated Tyche monitor, in-process), <see cref="ProcessBackend"/> (a child process per domain) and
/// <see cref="DriverBackend"/> (a Tyche domain through /dev/tyche, running a native binary);
/// docs/trust-boundary.md says what each one isolates.
/// </summary>
public interface ITrustDomainBackend
{
    /// <summary>A short name for messages and test names ("simulated", "process", "driver").</summary>
    string Name { get; }

    /// <summary>
    /// Creates a domain and loads <paramref name="image"/> into it: its private memory and the shared call region are
    /// set up, the generated entry is ready, and the domain is not yet sealed (see <see cref="ITrustDomainInstance.Seal"/>).
    /// </summary>
    /// <typeparam name="TService">The [TrustDomain] interface.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <param name="image">What runs in the domain.</param>
    /// <param name="options">The host's options (core, nonce).</param>
    /// <returns>The domain, owned by the caller (dispose it to revoke it).</returns>
    /// <exception cref="System.NotSupportedException">The backend cannot run this image (for instance an out-call contract, or an implementation given as an instance to a backend that builds it in another process).</exception>
    ITrustDomainInstance CreateDomain<TService, TBinding>(TrustDomainImage<TService> image, TrustDomainHostOptions options)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>;
}
