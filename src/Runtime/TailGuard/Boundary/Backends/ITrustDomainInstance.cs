using System;
using System.Collections.Generic;
using TailGuard.Tyche;

namespace TailGuard.Boundary;

/// <summary>
/// One domain on an <see cref="ITrustDomainBackend"/>, as the host drives it: seal, attest, enter and return through
/// <see cref="Channels"/>, revoke. Disposing revokes it and releases what the backend holds for it.
/// </summary>
public interface ITrustDomainInstance : IDisposable
{
    /// <summary>The backend's handle for the domain (the simulator: the engine's domain id; a process: its process id).</summary>
    TrustDomain Handle { get; }

    /// <summary>Where the shared call region is (in the host's terms) and where the domain's private memory is (in the domain's); on several cores, the first core's.</summary>
    BoundaryRegion Region { get; }

    /// <summary>The cores the domain runs on (at least one), in the order of <see cref="Channels"/>.</summary>
    IReadOnlyList<int> Cores { get; }

    /// <summary>
    /// The host's end of each core's call region, one per entry of <see cref="Cores"/>: the proxy writes a call, the
    /// channel enters the domain on that core and returns when it answered. Each runs one call at a time.
    /// </summary>
    IReadOnlyList<BoundaryChannel> Channels { get; }

    /// <summary>What the domain has answered so far.</summary>
    BoundaryCounters Counters { get; }

    /// <summary>Why the domain stopped serving for good, or null while it serves.</summary>
    string? StopReason { get; }

    /// <summary>Commits the domain: from now on its configuration and code cannot change, and it can be entered.</summary>
    void Seal();

    /// <summary>The backend's signed attestation report of the sealed domain, bound to <paramref name="nonce"/> (encoded; see <see cref="Tyche.Attestation.AttestationReport"/>).</summary>
    /// <param name="nonce">The verifier's nonce (1-64 bytes).</param>
    /// <returns>The encoded report.</returns>
    byte[] Attest(ReadOnlySpan<byte> nonce);

    /// <summary>Revokes the domain: it stops, its private memory is gone, and every call (in flight or later) fails with <see cref="BoundaryRevokedException"/>. Idempotent.</summary>
    void Revoke();
}
