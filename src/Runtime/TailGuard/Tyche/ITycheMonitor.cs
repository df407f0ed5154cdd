using System;

namespace TailGuard.Tyche;

/// <summary>
/// The host's view of a Tyche monitor: what the C SDK and the <c>/dev/tyche</c> driver let an untrusted host do.
/// The host creates a domain, maps memory for it, records which segments are granted (confidential) or shared,
/// configures it, allocates core contexts, commits (sends the segments and seals), reads its attestation and runs it.
/// <see cref="Simulation.SimulatedMonitor"/> is the default implementation; <see cref="Driver.DriverMonitor"/> speaks to
/// the real driver. Domain handles are plain values; nothing here allocates per call on the transition path.
/// </summary>
public interface ITycheMonitor : IDisposable
{
    /// <summary>A short name for the backend ("simulated" or "/dev/tyche").</summary>
    string BackendName { get; }

    /// <summary>How many cores domains may run on.</summary>
    int CoreCount { get; }

    /// <summary>Creates a child domain of the host with the C SDK's defaults (every monitor call, every core, all manager register access).</summary>
    /// <returns>The domain's handle.</returns>
    TrustDomain CreateDomain();

    /// <summary>Reserves zeroed, page-aligned memory for the domain, still reachable by the host until committed.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="size">The size in bytes (rounded up to 4 KiB).</param>
    /// <returns>The host address of the block. On the simulator the domain sees the same addresses; on the driver it sees
    /// the physical ones (the driver sends segments identity-mapped).</returns>
    ulong MapMemory(TrustDomain domain, ulong size);

    /// <summary>
    /// Records a segment of the domain's mapped memory, sent in order at <see cref="Commit"/>. Portable code adds segments
    /// in mapping order, contiguously, until every mapped byte is in one (the driver requires it), and uses only
    /// <see cref="SegmentType.Shared"/> and <see cref="SegmentType.Confidential"/> (the only types COMMIT sends).
    /// </summary>
    /// <param name="domain">The domain.</param>
    /// <param name="address">Start, page-aligned, inside memory from <see cref="MapMemory"/>.</param>
    /// <param name="size">Size, page-aligned.</param>
    /// <param name="rights">Access rights, plus the extras <see cref="MemoryRights.Hash"/>, <see cref="MemoryRights.Cleanup"/>, <see cref="MemoryRights.Vital"/>.</param>
    /// <param name="type">Confidential segments are granted (the host loses access); shared ones aliased.</param>
    void AddSegment(TrustDomain domain, ulong address, ulong size, MemoryRights rights, SegmentType type);

    /// <summary>Sets one of the domain's permission bitmaps (before a core context is allocated).</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="index">Which bitmap.</param>
    /// <param name="value">Its value.</param>
    void Configure(TrustDomain domain, PermissionIndex index, ulong value);

    /// <summary>Allocates the domain's context on a core; this freezes its permissions.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="core">The core.</param>
    void AllocateCoreContext(TrustDomain domain, int core);

    /// <summary>Sets a field of the domain's context on a core (initial registers).</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="core">The core.</param>
    /// <param name="field">The field encoding.</param>
    /// <param name="value">The value.</param>
    void SetCoreField(TrustDomain domain, int core, ulong field, ulong value);

    /// <summary>Sends the recorded segments in order and seals the domain (its measurement is fixed here).</summary>
    /// <param name="domain">The domain.</param>
    void Commit(TrustDomain domain);

    /// <summary>Serializes the monitor's capability graph, in the engine's format (<see cref="Attestation.CapabilityGraph"/> parses it), into <paramref name="destination"/>.</summary>
    /// <param name="domain">The domain the attestation is for.</param>
    /// <param name="destination">Where to write.</param>
    /// <returns>The bytes written (on the driver, the monitor's count, which may include one byte past the graph).</returns>
    int SerializeAttestation(TrustDomain domain, Span<byte> destination);

    /// <summary>Runs the domain on <paramref name="core"/> until it switches back or traps to the host.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="core">The core; the calling thread plays it for the duration.</param>
    /// <param name="quantum">A time quantum (0: none).</param>
    /// <returns>How the transition ended.</returns>
    TransitionResult Transition(TrustDomain domain, int core, uint quantum);

    /// <summary>Reads host-accessible memory; fails with <see cref="MonitorError.AccessDenied"/> where the host has no read right.</summary>
    /// <param name="address">The host address.</param>
    /// <param name="destination">Where the bytes go.</param>
    void HostRead(ulong address, Span<byte> destination);

    /// <summary>Writes host-accessible memory; fails with <see cref="MonitorError.AccessDenied"/> where the host has no write right.</summary>
    /// <param name="address">The host address.</param>
    /// <param name="source">The bytes.</param>
    void HostWrite(ulong address, ReadOnlySpan<byte> source);

    /// <summary>Revokes the domain: it stops everywhere and all its memory returns to the host (zeroed where CLEANUP).</summary>
    /// <param name="domain">The domain.</param>
    void Destroy(TrustDomain domain);
}
