using System;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>How <see cref="TrustDomainHost"/> sets a domain up.</summary>
public sealed class TrustDomainHostOptions
{
    /// <summary>The monitor to create the domain on; by default a new <see cref="SimulatedMonitor"/> owned (and disposed) by the host.</summary>
    public SimulatedMonitor? Monitor { get; init; }

    /// <summary>The core the domain runs on and the proxy calls from (default 0).</summary>
    public int Core { get; init; }

    /// <summary>The verifier's nonce bound into the attestation report (1-64 bytes); by default 32 fresh random bytes.</summary>
    public ReadOnlyMemory<byte> Nonce { get; init; }

    /// <summary>Tests only: runs after the host served a host call, with the out-call region's address, to play a host that lies.</summary>
    internal Action<SimulatedMonitor, ulong>? HostCallTamper { get; init; }
}
