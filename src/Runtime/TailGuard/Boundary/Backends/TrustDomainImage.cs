using System;

namespace TailGuard.Boundary;

/// <summary>
/// What runs in a domain: the implementation of <typeparamref name="TService"/>, either as a type the backend
/// constructs inside the domain (every backend) or as a factory run in the host's process (in-process backends only),
/// and, for a domain that calls out to the host, how that is wired (in-process backends only).
/// </summary>
/// <typeparam name="TService">The [TrustDomain] interface.</typeparam>
public sealed class TrustDomainImage<TService>
    where TService : class
{
    internal TrustDomainImage(Type? implementationType, Func<TService>? factory)
    {
        ImplementationType = implementationType;
        Factory = factory;
    }

    /// <summary>The implementation's type, when the backend builds it (it has a public parameterless constructor), or null.</summary>
    public Type? ImplementationType { get; }

    /// <summary>Builds the implementation in the host's process (in-process backends), or null when only <see cref="ImplementationType"/> is known.</summary>
    internal Func<TService>? Factory { get; }

    /// <summary>The domain's calls out to the host, when it makes any (in-process backends only).</summary>
    internal HostCallsPlan<TService>? HostCalls { get; private init; }

    internal static TrustDomainImage<TService> WithHostCalls(HostCallsPlan<TService> plan) => new(null, null) { HostCalls = plan };
}

/// <summary>Builds <see cref="TrustDomainImage{TService}"/> values.</summary>
public static class TrustDomainImage
{
    /// <summary>An image of a type the backend constructs inside the domain.</summary>
    /// <typeparam name="TService">The [TrustDomain] interface.</typeparam>
    /// <typeparam name="TImplementation">The implementation, with a public parameterless constructor.</typeparam>
    /// <returns>The image.</returns>
    public static TrustDomainImage<TService> OfType<TService, TImplementation>()
        where TService : class
        where TImplementation : class, TService, new()
        => new(typeof(TImplementation), static () => new TImplementation());

    /// <summary>An image of an implementation the host already built (in-process backends only).</summary>
    /// <typeparam name="TService">The [TrustDomain] interface.</typeparam>
    /// <param name="implementation">The implementation.</param>
    /// <returns>The image.</returns>
    public static TrustDomainImage<TService> OfInstance<TService>(TService implementation)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(implementation);
        return new(null, () => implementation);
    }
}
