using System;

namespace TailGuard.Boundary;

/// <summary>
/// The host's server of a process domain's out-calls (<see cref="HostCallsAttribute"/>): the generated entry of the
/// [HostCalls] contract, bound to the host, serving each out-call from the host's own copy of the out-call region
/// (read once from shared memory, validated and dispatched from the copy, written back whole), so nothing the domain
/// rewrites during the host's work reaches it. Served by the caller's thread while it waits for its call's reply: one
/// core, one out-call at a time.
/// </summary>
internal sealed class ProcessHostCalls(BoundaryEntry entry, int regionSize)
{
    private readonly byte[] _copy = new byte[regionSize];

    /// <summary>What the host has answered the domain so far (refused out-calls are counted as refused).</summary>
    public BoundaryCounters Counters => entry.Counters;

    /// <summary>Serves the out-call now in <paramref name="shared"/> and writes the answer back into it.</summary>
    public void Serve(Span<byte> shared)
    {
        shared.CopyTo(_copy);
        entry.ServeHostCall(_copy);
        _copy.CopyTo(shared);
    }

    /// <summary>After this the host serves no more out-calls (its domain is gone).</summary>
    public void Retire() => entry.Retire();
}
