using System;
using System.Collections.Generic;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>A domain on the simulated monitor: its entry, the host's channel into it, and its out-call server.</summary>
internal sealed class SimulatedDomain(
    SimulatedMonitor monitor, bool ownsMonitor, TrustDomain domain, BoundaryRegion region, int[] cores, BoundaryEntry entry,
    DomainCallChannel[] channels, HostCallChannel? hostCalls, BoundaryEntry? hostEntry) : ITrustDomainInstance, ISharedRegionAccess
{
    private bool _disposed;

    public SimulatedMonitor Monitor => monitor;

    public TrustDomain Handle => domain;

    public BoundaryRegion Region => region;

    public IReadOnlyList<int> Cores => cores;

    public IReadOnlyList<BoundaryChannel> Channels => channels;

    public BoundaryCounters Counters => entry.Counters;

    public string? StopReason => entry.StopReason;

    /// <summary>The domain's code. Never handed to the host's code: it runs only inside the domain.</summary>
    public BoundaryEntry Entry => entry;

    /// <summary>The channel of the domain's calls out to the host, when it has one.</summary>
    public HostCallChannel? HostCalls => hostCalls;

    public void Seal() => monitor.Commit(domain);

    public byte[] Attest(ReadOnlySpan<byte> nonce) => monitor.CreateAttestationReport(domain, nonce);

    public void HostWrite(int offset, ReadOnlySpan<byte> bytes) => monitor.HostWrite(region.SharedAddress + (ulong)offset, bytes);

    public void HostRead(int offset, Span<byte> bytes) => monitor.HostRead(region.SharedAddress + (ulong)offset, bytes);

    public bool Enter() => monitor.Transition(domain, cores[0], 0).Status == MonitorStatus.Success;

    public void Revoke()
    {
        foreach (DomainCallChannel channel in channels)
        {
            channel.MarkRevoked();
        }

        hostEntry?.Retire();
        hostCalls?.Dispose();
        try
        {
            monitor.Destroy(domain);
        }
        catch (MonitorException exception) when (exception.Error == MonitorError.DomainRevoked)
        {
            // Already revoked (by the test of B10, for instance): nothing is left to revoke.
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Revoke();
        if (ownsMonitor)
        {
            monitor.Dispose();
        }
    }
}
