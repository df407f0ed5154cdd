using System.ComponentModel;

namespace TailGuard.Boundary;

/// <summary>
/// What the generator emits for a <see cref="TrustDomainAttribute"/> interface (<c>{Name}Boundary</c>): its layout, a
/// way to build the domain-side entry around an implementation, and a way to build the host-side proxy.
/// </summary>
/// <typeparam name="TService">The interface.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ITrustDomainBinding<TService>
    where TService : class
{
    /// <summary>The contract's frame and scratch sizes.</summary>
    static abstract BoundaryLayout Layout { get; }

    /// <summary>Creates the domain-side entry.</summary>
    /// <param name="implementation">The implementation that will live in the domain.</param>
    /// <param name="region">Where the shared region and private memory are.</param>
    /// <returns>The entry.</returns>
    static abstract BoundaryEntry CreateEntry(TService implementation, BoundaryRegion region);

    /// <summary>Creates the host-side proxy.</summary>
    /// <param name="channel">The host's end of the boundary.</param>
    /// <returns>The proxy.</returns>
    static abstract TService CreateProxy(BoundaryChannel channel);
}
