using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>Creates trust domains that serve a <see cref="TrustDomainAttribute"/> interface, on the backend the options name.</summary>
public static class TrustDomainHost
{
    /// <summary>
    /// Creates a domain, loads <paramref name="implementation"/> behind the generated entry, grants it private memory,
    /// shares the call region, seals it, obtains its attestation report and returns the host with a proxy. Dispose the
    /// host to revoke everything. An implementation given as an instance lives in the host's process: only in-process
    /// backends (<see cref="SimulatedBackend"/>) take it; see <see cref="Create{TService, TBinding, TImplementation}"/>.
    /// </summary>
    /// <typeparam name="TService">The interface.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <param name="implementation">The implementation that lives in the domain.</param>
    /// <param name="options">Options, or null for the defaults.</param>
    /// <returns>The host.</returns>
    public static TrustDomainHost<TService> Create<TService, TBinding>(TService implementation, TrustDomainHostOptions? options = null)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
    {
        ArgumentNullException.ThrowIfNull(implementation);
        return Start<TService, TBinding>(TrustDomainImage.OfInstance(implementation), options);
    }

    /// <summary>
    /// As <see cref="Create{TService, TBinding}"/>, with the implementation built by the backend inside the domain
    /// (every backend can, including those that run the domain in another process).
    /// </summary>
    /// <typeparam name="TService">The interface.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <typeparam name="TImplementation">The implementation, with a public parameterless constructor.</typeparam>
    /// <param name="options">Options, or null for the defaults.</param>
    /// <returns>The host.</returns>
    public static TrustDomainHost<TService> Create<TService, TBinding, TImplementation>(TrustDomainHostOptions? options = null)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
        where TImplementation : class, TService, new()
        => Start<TService, TBinding>(TrustDomainImage.OfType<TService, TImplementation>(), options);

    /// <summary>
    /// As <see cref="Create{TService, TBinding}"/>, for a domain that also calls out to the host through a
    /// <see cref="HostCallsAttribute"/> contract: a second shared region carries those calls, the host serves them with
    /// <paramref name="hostImplementation"/> behind the generated entry, and the domain's implementation is built around
    /// the generated proxy, which validates everything the host returns. In-process backends only (the factory runs in
    /// the host's process); name the implementation's type instead for the process backend.
    /// </summary>
    /// <typeparam name="TService">The [TrustDomain] interface.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <typeparam name="THostCalls">The [HostCalls] interface.</typeparam>
    /// <typeparam name="THostBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <param name="createImplementation">Builds the domain's implementation around the proxy to the host.</param>
    /// <param name="hostImplementation">The host's implementation of the out-calls.</param>
    /// <param name="options">Options, or null for the defaults.</param>
    /// <returns>The host.</returns>
    public static TrustDomainHost<TService> Create<TService, TBinding, THostCalls, THostBinding>(
        Func<THostCalls, TService> createImplementation, THostCalls hostImplementation, TrustDomainHostOptions? options = null)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
        where THostCalls : class
        where THostBinding : ITrustDomainBinding<THostCalls>
    {
        ArgumentNullException.ThrowIfNull(createImplementation);
        ArgumentNullException.ThrowIfNull(hostImplementation);
        var plan = new HostCallsPlan<TService, THostCalls, THostBinding>(createImplementation, null, hostImplementation, options?.HostCallTamper);
        return Start<TService, TBinding>(TrustDomainImage<TService>.WithHostCalls(plan), options);
    }

    /// <summary>
    /// As <see cref="Create{TService, TBinding, THostCalls, THostBinding}(Func{THostCalls, TService}, THostCalls, TrustDomainHostOptions?)"/>,
    /// with the domain's implementation named by its type, which the backend builds inside the domain with its public
    /// constructor taking the [HostCalls] proxy: every backend, including the process backend (the implementation, the
    /// binding and the [HostCalls] binding must then be in one assembly).
    /// </summary>
    /// <typeparam name="TService">The [TrustDomain] interface.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <typeparam name="TImplementation">The implementation, with a public constructor taking <typeparamref name="THostCalls"/>.</typeparam>
    /// <typeparam name="THostCalls">The [HostCalls] interface.</typeparam>
    /// <typeparam name="THostBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <param name="hostImplementation">The host's implementation of the out-calls.</param>
    /// <param name="options">Options, or null for the defaults.</param>
    /// <returns>The host.</returns>
    /// <exception cref="ArgumentException"><typeparamref name="TImplementation"/> has no public constructor taking <typeparamref name="THostCalls"/>.</exception>
    public static TrustDomainHost<TService> Create<TService, TBinding, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImplementation, THostCalls, THostBinding>(
        THostCalls hostImplementation, TrustDomainHostOptions? options = null)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
        where TImplementation : class, TService
        where THostCalls : class
        where THostBinding : ITrustDomainBinding<THostCalls>
    {
        ArgumentNullException.ThrowIfNull(hostImplementation);
        ConstructorInfo constructor = typeof(TImplementation).GetConstructor([typeof(THostCalls)])
            ?? throw new ArgumentException($"{typeof(TImplementation)} needs a public constructor taking {typeof(THostCalls)} (the proxy to the host).", nameof(TImplementation));
        var plan = new HostCallsPlan<TService, THostCalls, THostBinding>(
            host => (TService)constructor.Invoke([host]), typeof(TImplementation), hostImplementation, options?.HostCallTamper);
        return Start<TService, TBinding>(TrustDomainImage<TService>.WithHostCalls(plan), options);
    }

    private static TrustDomainHost<TService> Start<TService, TBinding>(TrustDomainImage<TService> image, TrustDomainHostOptions? options)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
    {
        options ??= new TrustDomainHostOptions();
        ITrustDomainBackend backend = options.ResolveBackend();
        ITrustDomainInstance domain = backend.CreateDomain<TService, TBinding>(image, options);
        try
        {
            domain.Seal();
            byte[] nonce = options.Nonce.IsEmpty ? RandomNumberGenerator.GetBytes(32) : options.Nonce.ToArray();
            byte[] encoded = domain.Attest(nonce);
            if (!AttestationReport.TryParse(encoded, out AttestationReport? report) || report is null)
            {
                throw new InvalidOperationException($"The {backend.Name} backend returned an attestation report that does not parse.");
            }

            var proxies = new TService[domain.Channels.Count];
            for (int index = 0; index < proxies.Length; index++)
            {
                proxies[index] = TBinding.CreateProxy(domain.Channels[index]);
            }

            TService proxy = proxies.Length == 1 ? proxies[0] : TBinding.CreateProxy(new CoreChannels(domain.Channels));
            var measured = BoundaryInstruments.For(options.MeterFactory).Register(options.NameFor<TService>(), domain);
            return new TrustDomainHost<TService>(domain, proxy, proxies, report, encoded, measured);
        }
        catch
        {
            domain.Dispose();
            throw;
        }
    }
}

/// <summary>
/// A sealed trust domain serving <typeparamref name="TService"/>, and the host's proxy to it. Disposing revokes the
/// domain: it stops, its private memory is zeroed and returned, and the proxy fails with
/// <see cref="BoundaryRevokedException"/> from then on.
/// </summary>
/// <typeparam name="TService">The interface.</typeparam>
public sealed class TrustDomainHost<TService> : IDisposable, IAsyncDisposable
    where TService : class
{
    private readonly ITrustDomainInstance _domain;
    private readonly TService[] _coreProxies;
    private int _disposed;
    private readonly byte[] _encodedAttestation;
    private readonly BoundaryInstruments.Registration _measured;

    internal TrustDomainHost(ITrustDomainInstance domain, TService proxy, TService[] coreProxies, AttestationReport attestation, byte[] encodedAttestation, BoundaryInstruments.Registration measured)
    {
        _measured = measured;
        _domain = domain;
        Proxy = proxy;
        _coreProxies = coreProxies;
        Attestation = attestation;
        _encodedAttestation = encodedAttestation;
    }

    /// <summary>
    /// The generated proxy: call the domain through it, from any thread. Each call runs on a free core of the domain
    /// (the one the calling thread used last when it is free, so a long-lived thread keeps its core); with every core in
    /// a call it throws <see cref="InvalidOperationException"/>. A domain on one core serves one call at a time.
    /// </summary>
    public TService Proxy { get; }

    /// <summary>The cores the domain runs on (<see cref="TrustDomainHostOptions.CoreCount"/> of them, from <see cref="TrustDomainHostOptions.Core"/>).</summary>
    public IReadOnlyList<int> Cores => _domain.Cores;

    /// <summary>
    /// A proxy bound to one core of the domain: its calls always run there, one at a time (a second concurrent call
    /// through it throws <see cref="InvalidOperationException"/>, and so does one that meets a call of <see cref="Proxy"/>
    /// on that core).
    /// </summary>
    /// <param name="core">One of <see cref="Cores"/>.</param>
    /// <returns>The proxy (the same instance for every call with this core).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The domain does not run on <paramref name="core"/>.</exception>
    public TService ProxyOn(int core)
    {
        IReadOnlyList<int> cores = _domain.Cores;
        for (int index = 0; index < cores.Count; index++)
        {
            if (cores[index] == core)
            {
                return _coreProxies[index];
            }
        }

        throw new ArgumentOutOfRangeException(nameof(core), core, "The trust domain does not run on this core; its cores are " + string.Join(", ", cores) + ".");
    }

    /// <summary>The attestation report obtained right after sealing (measurement, nonce, signature).</summary>
    public AttestationReport Attestation { get; }

    /// <summary>The encoded attestation report, for a remote verifier.</summary>
    public ReadOnlySpan<byte> EncodedAttestation => _encodedAttestation;

    /// <summary>The simulated monitor the domain lives on, or null on any other backend.</summary>
    public SimulatedMonitor? Monitor => (_domain as SimulatedDomain)?.Monitor;

    /// <summary>The backend's handle for the domain (the simulator: the engine's domain id; the process backend: the child's process id).</summary>
    public TrustDomain Domain => _domain.Handle;

    /// <summary>
    /// Where its shared region (in the host's terms) and private memory (in the domain's) are: on several cores, its first
    /// core's; each further core's region and memory follow the previous one's, each starting on a page boundary.
    /// </summary>
    public BoundaryRegion Region => _domain.Region;

    /// <summary>Its first core (of <see cref="Cores"/>, the only ones it may run on: the domain's allowed cores, in its attested configuration).</summary>
    public int Core => _domain.Cores[0];

    /// <summary>What the domain has answered so far: calls completed and refused, switches refused because a call was in flight, the last status.</summary>
    public BoundaryCounters Counters => _domain.Counters;

    /// <summary>
    /// Why the domain stopped serving for good (its private memory was taken away, or is no longer a carved, exclusive
    /// region zeroed on revocation at the address it was given), or null while it serves. A stopped domain answers every
    /// call <see cref="CallStatus.Stopped"/>, which the proxy reports as <see cref="BoundaryRevokedException"/>.
    /// </summary>
    public string? StopReason => _domain.StopReason;

    /// <summary>The domain's code, on the simulated backend (tests reach it to play a host that calls it directly).</summary>
    internal BoundaryEntry Entry => ((SimulatedDomain)_domain).Entry;

    /// <summary>The channel of the domain's calls out to the host, on the simulated backend when it has one.</summary>
    internal HostCallChannel? HostCalls => (_domain as SimulatedDomain)?.HostCalls;

    /// <summary>
    /// Whether the domain is revoked: this host was disposed or, on the simulated monitor, the monitor no longer knows
    /// the domain (asked now, so a revocation by anyone is seen). Once true, the proxy throws <see cref="BoundaryRevokedException"/>.
    /// </summary>
    public bool IsRevoked => Volatile.Read(ref _disposed) != 0 || (_domain is SimulatedDomain simulated && simulated.IsRevoked);

    /// <summary>The backend's domain (tests reach it for the host's raw access to the shared region).</summary>
    internal ITrustDomainInstance Instance => _domain;

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _measured.Revoked();
        }

        _domain.Dispose();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
