using System;
using System.Diagnostics.Metrics;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>How <see cref="TrustDomainHost"/> sets a domain up.</summary>
public sealed class TrustDomainHostOptions
{
    /// <summary>
    /// Where the domain runs. By default <see cref="SimulatedBackend"/>: on <see cref="Monitor"/> when it is set, otherwise
    /// on a new <see cref="SimulatedMonitor"/> owned (and disposed) by the host. Setting both this and <see cref="Monitor"/> is an error.
    /// </summary>
    public ITrustDomainBackend? Backend { get; init; }

    /// <summary>Shorthand for a <see cref="SimulatedBackend"/> on this monitor, which the caller keeps and disposes.</summary>
    public SimulatedMonitor? Monitor { get; init; }

    /// <summary>The domain's first core (default 0): it runs on cores <see cref="Core"/> to <see cref="Core"/> + <see cref="CoreCount"/> - 1.</summary>
    public int Core { get; init; }

    /// <summary>
    /// How many cores the domain runs on (default 1). Each core has its own call region, frame and private scratch, and
    /// serves one call at a time, so up to this many callers (an R2P2 server's receive loops, say) call the domain at
    /// once through <see cref="TrustDomainHost{TService}.Proxy"/>. With more than one, the implementation is called
    /// concurrently and must be thread-safe. The simulated backend takes up to the monitor's cores; the process backend
    /// and out-call (<see cref="HostCallsAttribute"/>) contracts take one.
    /// </summary>
    public int CoreCount { get; init; } = 1;

    /// <summary>The verifier's nonce bound into the attestation report (1-64 bytes); by default 32 fresh random bytes.</summary>
    public ReadOnlyMemory<byte> Nonce { get; init; }

    /// <summary>
    /// Where the domain's measurements go (the "TailGuard.Boundary" meter: calls, violations, refused entries,
    /// revocations): that factory's meter, so each host's listeners see only its own domains. Null (the default) uses a
    /// process-wide static meter of the same name. <c>TailGuard.Hosting</c> sets the container's factory.
    /// </summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>The domain's name in its measurements (the <c>tailguard.domain</c> tag); by default the contract's name (<c>IKeyStore</c>).</summary>
    public string? Name { get; init; }

    /// <summary>The name a domain of contract <typeparamref name="TService"/> goes by in measurements.</summary>
    internal string NameFor<TService>() => Name ?? typeof(TService).Name;

    /// <summary>Tests only: runs after the host served a host call, with the out-call region's address, to play a host that lies.</summary>
    internal Action<SimulatedMonitor, ulong>? HostCallTamper { get; init; }

    /// <summary>The backend these options name.</summary>
    internal ITrustDomainBackend ResolveBackend()
    {
        if (Backend is not null && Monitor is not null)
        {
            throw new ArgumentException("Set either TrustDomainHostOptions.Backend or TrustDomainHostOptions.Monitor (a simulated backend on that monitor), not both.");
        }

        return Backend ?? (Monitor is null ? new SimulatedBackend() : new SimulatedBackend(Monitor));
    }
}
